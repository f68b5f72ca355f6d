"""/api/v1 reactions in Django: thin views over reaction_services (per member, never cached).
The reference is finboard/api/reactions.py, and so is the order of checks: path (404),
token (401), body (422), then the use case."""

from __future__ import annotations

from datetime import UTC, datetime

from finboard.contract.reactions import ReactionSet
from finboard.contract.request_parsing import parse_id
from finboard.rawsql.trending import CACHE_NAME, cache_params

from . import reaction_services
from .responses import json_response, raw_json_response
from .runtime import content_cache, rate_limiter
from .views import ApiView, body, current_user


def _viewer_id(request) -> int | None:
    return current_user(request).id if request.headers.get("Authorization") else None


class PostReactionsView(ApiView):
    def get(self, request, post_id: str):
        ident = parse_id(post_id)
        return json_response(reaction_services.post_reactions(ident, _viewer_id(request)))

    def post(self, request, post_id: str):
        ident = parse_id(post_id)
        user = current_user(request)
        kind = body(request, ReactionSet).kind
        return self.write(reaction_services.set_post_reaction(user, ident, kind, rate_limiter().allow_reaction))

    def delete(self, request, post_id: str):
        ident = parse_id(post_id)
        user = current_user(request)
        return self.write(reaction_services.set_post_reaction(user, ident, None, rate_limiter().allow_reaction))

    @staticmethod
    def write(state):
        content_cache().invalidate()
        return json_response(state)


class CommentReactionsView(ApiView):
    def get(self, request, comment_id: str):
        ident = parse_id(comment_id)
        return json_response(reaction_services.comment_reactions(ident, _viewer_id(request)))

    def post(self, request, comment_id: str):
        ident = parse_id(comment_id)
        user = current_user(request)
        kind = body(request, ReactionSet).kind
        state = reaction_services.set_comment_reaction(user, ident, kind, rate_limiter().allow_reaction)
        return PostReactionsView.write(state)

    def delete(self, request, comment_id: str):
        ident = parse_id(comment_id)
        user = current_user(request)
        state = reaction_services.set_comment_reaction(user, ident, None, rate_limiter().allow_reaction)
        return PostReactionsView.write(state)


class TrendingView(ApiView):
    def get(self, request):
        now = datetime.now(UTC)
        build = lambda: reaction_services.trending().model_dump_json().encode()  # noqa: E731
        return raw_json_response(content_cache().get_or_build(CACHE_NAME, cache_params(now), build))
