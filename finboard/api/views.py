"""/api/v1 in Flask: thin views over finboard.core.api_service.

Reads go through finboard.reads (cached, shared with the forum pages);
writes commit in api_service and then retire the cache. Every answer is
serialised by the shared pydantic schemas, so the JSON is the same bytes as
the FastAPI and Django adapters produce.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel
from sqlalchemy import text

from finboard.cache_keys import invalidate_content
from finboard.core import api_service
from finboard.core.api_contract import JSON_CONTENT_TYPE, ApiError, parse_body, parse_id, parse_query
from finboard.core.models import User
from finboard.core.openapi import openapi_json
from finboard.core.schemas import (
    CommentCreate,
    Health,
    LoginRequest,
    PageQuery,
    PostCreate,
    PostListQuery,
    PostUpdate,
    UserCreate,
)
from finboard.extensions import csrf, db, limiter
from finboard.ratelimits import (
    login_account_key,
    login_limit_per_account,
    login_limit_per_ip,
    register_limit_per_ip,
)
from finboard.reads import category_stats_list, list_categories, list_comments, list_posts, post_detail

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: no CSRF surface


def respond(model: BaseModel | None, status: int = 200) -> Response:
    if model is None:
        return Response(status=status)
    return Response(model.model_dump_json(), status=status, content_type=JSON_CONTENT_TYPE)


def settings():
    return current_app.config["FINBOARD_SETTINGS"]


def current_api_user() -> User:
    user = getattr(g, "api_user", None)
    if user is None:
        user = api_service.authenticate(db.session, settings(), request.headers.get("Authorization"))
        g.api_user = user
    return user


def body(schema):
    return parse_body(request.get_data(cache=True), schema)


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> Response:
    db.session.rollback()
    return Response(exc.json(), status=exc.status, content_type=JSON_CONTENT_TYPE)


@bp.post("/auth/register")
@limiter.limit(register_limit_per_ip)
def register():
    user = api_service.register(db.session, body(UserCreate))
    return respond(user, 201)


@bp.post("/auth/login")
@limiter.limit(login_limit_per_ip)
@limiter.limit(login_limit_per_account, key_func=login_account_key)
def login():
    return respond(api_service.login(db.session, settings(), body(LoginRequest)))


@bp.get("/posts")
def posts():
    return respond(list_posts(parse_query(request.args.items(multi=True), PostListQuery)))


@bp.post("/posts")
def create_post():
    user = current_api_user()
    created = api_service.create_post(db.session, user, body(PostCreate))
    invalidate_content()
    return respond(created, 201)


@bp.get("/posts/<post_id>")
def post(post_id: str):
    return respond(post_detail(parse_id(post_id)))


@bp.patch("/posts/<post_id>")
def update_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    updated = api_service.update_post(db.session, user, ident, body(PostUpdate))
    invalidate_content()
    return respond(updated)


@bp.delete("/posts/<post_id>")
def delete_post(post_id: str):
    ident = parse_id(post_id)
    api_service.delete_post(db.session, current_api_user(), ident)
    invalidate_content()
    return respond(None, 204)


@bp.get("/posts/<post_id>/comments")
def comments(post_id: str):
    ident = parse_id(post_id)
    return respond(list_comments(ident, parse_query(request.args.items(multi=True), PageQuery)))


@bp.post("/posts/<post_id>/comments")
def create_comment(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    created = api_service.create_comment(db.session, user, ident, body(CommentCreate))
    invalidate_content()
    return respond(created, 201)


@bp.get("/categories")
def categories():
    return respond(list_categories())


@bp.get("/stats/categories")
def stats():
    return respond(category_stats_list())


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return respond(Health(status="ok", database="ok"))


@bp.get("/openapi.json")
def openapi():
    return Response(openapi_json(), content_type=JSON_CONTENT_TYPE)
