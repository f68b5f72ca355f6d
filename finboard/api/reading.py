"""/api/v1 read state and bookmarks in Flask: thin views over ``finboard.core.reading_service``
(per member, never cached, and they retire no cached read). Order of checks as everywhere:
path (404), token (401), query (400/422), then the use case (404 for a missing or hidden post).
"""

from __future__ import annotations

from flask import request

from finboard.api.views import bp, current_api_user, list_query, respond
from finboard.contract.reading import BookmarkQuery, ReadStateQuery
from finboard.contract.request_parsing import parse_id, parse_query
from finboard.core import reading_service
from finboard.extensions import db

DEFAULT_BOOKMARK_QUERY = BookmarkQuery()


@bp.route("/posts/<post_id>/bookmark", methods=["PUT", "DELETE"])
def bookmark_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    return respond(reading_service.set_bookmark(db.session, user, ident, request.method == "PUT"))


@bp.get("/bookmarks")
def list_bookmarks():
    user = current_api_user()
    return respond(reading_service.bookmarks(db.session, user, list_query(BookmarkQuery, DEFAULT_BOOKMARK_QUERY)))


@bp.get("/posts/<post_id>/read")
def post_read_state(post_id: str):
    ident = parse_id(post_id)
    return respond(reading_service.read_state_of(db.session, current_api_user(), ident))


@bp.post("/posts/<post_id>/read")
def mark_post_read(post_id: str):
    ident = parse_id(post_id)
    return respond(reading_service.mark_read(db.session, current_api_user(), ident))


@bp.get("/read-states")
def read_states():
    user = current_api_user()
    return respond(
        reading_service.read_states(db.session, user, parse_query(request.args.items(multi=True), ReadStateQuery))
    )
