"""/api/v1 reactions in Flask: thin views over ``finboard.core.reaction_service``.

``POST …/reactions {kind}`` sets the caller's reaction (the same kind again changes nothing,
another replaces it), ``DELETE`` removes it; both answer the item's ``ReactionState``. ``GET``
reads it (``mine`` only with a bearer token). Never cached: ``mine`` is per member; a write
retires the cached listings and posts, whose ``reaction_count`` and hot order moved.
Order of checks as everywhere: path (404), token (401), body (422), then the use case.
"""

from __future__ import annotations

from flask import request

from finboard.api.views import body, bp, current_api_user, json_bytes, respond
from finboard.contract.reactions import ReactionSet
from finboard.contract.request_parsing import parse_id
from finboard.core import reaction_service
from finboard.extensions import cache, db
from finboard.market.trending import trending_json
from finboard.ratelimits import limiter


def _viewer_id() -> int | None:
    return current_api_user().id if request.headers.get("Authorization") else None


def _kind() -> str | None:
    return body(ReactionSet).kind if request.method == "POST" else None


@bp.get("/posts/<post_id>/reactions")
def post_reactions(post_id: str):
    ident = parse_id(post_id)
    return respond(reaction_service.visible_post_reactions(db.session, ident, _viewer_id()))


@bp.route("/posts/<post_id>/reactions", methods=["POST", "DELETE"])
def react_to_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    state = reaction_service.set_post_reaction(db.session, user, ident, _kind(), limiter().allow_reaction)
    cache.invalidate()
    return respond(state)


@bp.get("/comments/<comment_id>/reactions")
def comment_reactions(comment_id: str):
    ident = parse_id(comment_id)
    return respond(reaction_service.visible_comment_reactions(db.session, ident, _viewer_id()))


@bp.route("/comments/<comment_id>/reactions", methods=["POST", "DELETE"])
def react_to_comment(comment_id: str):
    ident = parse_id(comment_id)
    user = current_api_user()
    state = reaction_service.set_comment_reaction(db.session, user, ident, _kind(), limiter().allow_reaction)
    cache.invalidate()
    return respond(state)


@bp.get("/trending")
def trending():
    """Trending tickers (finboard.contract.reactions), cached per minute."""
    return json_bytes(trending_json())
