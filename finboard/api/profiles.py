"""/api/v1 member profiles and a post's edit history in Flask: thin views over
``finboard.core.profile_service`` and ``api_service.revisions``.

Order of checks on every route, as in the other adapters: path (404), token (401), body or
query (400/422), then the use case's own checks.
"""

from __future__ import annotations

from finboard.api.views import body, bp, current_api_user, list_query, respond
from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text
from finboard.contract.users import ProfileUpdate
from finboard.core import api_service, profile_service
from finboard.extensions import db


@bp.get("/users/<username>")
def user_profile(username: str):
    return respond(profile_service.profile(db.session, parse_path_text(username)))


@bp.patch("/users/me")
def update_profile():
    user = current_api_user()
    return respond(profile_service.update_profile(db.session, user, body(ProfileUpdate)))


@bp.get("/users/<username>/comments")
def user_comments(username: str):
    username = parse_path_text(username)
    return respond(profile_service.user_comments(db.session, username, list_query(PageQuery, PageQuery())))


@bp.get("/posts/<post_id>/revisions")
def post_revisions(post_id: str):
    return respond(api_service.revisions(db.session, parse_id(post_id)))
