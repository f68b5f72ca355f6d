"""/api/v1 member profiles and a post's edit history in Django: thin views over the profile
services and ``services.revisions``.

The reference is finboard/api/profiles.py, and so is the order of checks: the path (404), the
bearer token (401), the body or query (400/422), then the use case's own checks.
"""

from __future__ import annotations

from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text, parse_query
from finboard.contract.users import ProfileUpdate

from . import profile_services, services
from .responses import json_response
from .views import ApiView, body, current_user, query_items


class UserView(ApiView):
    """GET /users/<username>, and PATCH /users/me: Flask's two rules share this path.

    As in Werkzeug's routing, ``me`` is a username to GET, and PATCH is allowed on ``me`` only.
    """

    def _allowed_methods(self):
        methods = super()._allowed_methods()
        return methods if self.kwargs.get("username") == "me" else [m for m in methods if m != "PATCH"]

    def get(self, request, username: str):
        return json_response(profile_services.profile(parse_path_text(username)))

    def patch(self, request, username: str):
        if username != "me":
            return self.http_method_not_allowed(request)
        user = current_user(request)
        return json_response(profile_services.update_profile(user, body(request, ProfileUpdate)))


class UserCommentsView(ApiView):
    def get(self, request, username: str):
        username = parse_path_text(username)
        return json_response(profile_services.user_comments(username, parse_query(query_items(request), PageQuery)))


class RevisionsView(ApiView):
    def get(self, request, post_id: str):
        return json_response(services.revisions(parse_id(post_id)))
