"""/api/v1 comment edits and their history in Django: thin views over ``comment_services``.

The reference is finboard/api/replies.py, and so is the order of checks: the path (404), the
bearer token (401), the body (400/422), then the use case's own checks.
"""

from __future__ import annotations

from finboard.contract.comments import CommentUpdate
from finboard.contract.request_parsing import parse_id

from . import comment_services
from .responses import json_response
from .runtime import content_cache
from .views import ApiView, body, current_user


class CommentView(ApiView):
    def patch(self, request, comment_id: str):
        ident = parse_id(comment_id)
        user = current_user(request)
        updated = comment_services.update_comment(user, ident, body(request, CommentUpdate))
        content_cache().invalidate()
        return json_response(updated)


class CommentHistoryView(ApiView):
    def get(self, request, comment_id: str):
        return json_response(comment_services.revisions(parse_id(comment_id)))
