"""/api/v1 comment edits and their history in Flask: thin views over ``finboard.core.comment_service``.

Replies themselves are ``POST /posts/{id}/comments`` with ``parent_id`` (``finboard.api.views``).
Order of checks, as in the other adapters: path (404), token (401), body (400/422), then the use case's.
"""

from __future__ import annotations

from finboard.api.views import body, bp, current_api_user, respond
from finboard.contract.comments import CommentUpdate
from finboard.contract.request_parsing import parse_id
from finboard.core import comment_service
from finboard.extensions import cache, db


@bp.patch("/comments/<comment_id>")
def update_comment(comment_id: str):
    ident = parse_id(comment_id)
    user = current_api_user()
    updated = comment_service.update_comment(db.session, user, ident, body(CommentUpdate))
    cache.invalidate()
    return respond(updated)


@bp.get("/comments/<comment_id>/history")
def comment_history(comment_id: str):
    return respond(comment_service.revisions(db.session, parse_id(comment_id)))
