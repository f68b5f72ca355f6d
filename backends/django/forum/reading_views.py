"""/api/v1 read state and bookmarks in Django: thin views over reading_services (per member,
never cached). The reference is finboard/api/reading.py, and so is the order of checks."""

from __future__ import annotations

from finboard.contract.reading import BookmarkQuery, ReadStateQuery
from finboard.contract.request_parsing import parse_id, parse_query

from . import reading_services
from .responses import json_response
from .views import ApiView, current_user, query_items


class BookmarkView(ApiView):
    def put(self, request, post_id: str):
        return self.switch(request, post_id, True)

    def delete(self, request, post_id: str):
        return self.switch(request, post_id, False)

    def switch(self, request, post_id: str, bookmarking: bool):
        ident = parse_id(post_id)
        return json_response(reading_services.set_bookmark(current_user(request), ident, bookmarking))


class BookmarksView(ApiView):
    def get(self, request):
        user = current_user(request)
        return json_response(reading_services.bookmarks(user, parse_query(query_items(request), BookmarkQuery)))


class ReadStateView(ApiView):
    def get(self, request, post_id: str):
        ident = parse_id(post_id)
        return json_response(reading_services.read_state_of(current_user(request), ident))

    def post(self, request, post_id: str):
        ident = parse_id(post_id)
        return json_response(reading_services.mark_read(current_user(request), ident))


class ReadStatesView(ApiView):
    def get(self, request):
        user = current_user(request)
        return json_response(reading_services.read_states(user, parse_query(query_items(request), ReadStateQuery)))
