"""/api/v1 in Flask: thin views over finboard.core.api_service.

Reads go through finboard.reads (cached, shared with the forum pages);
writes commit in api_service and then retire the cache. Every answer is
serialised by the shared pydantic schemas, so the JSON is the same bytes as
the FastAPI and Django adapters produce.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel
from sqlalchemy import text

from finboard.contract.comments import CommentCreate
from finboard.contract.errors import ApiError
from finboard.contract.health import Health
from finboard.contract.openapi import openapi_json
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostCreate, PostListQuery, PostUpdate
from finboard.contract.request_parsing import JSON_CONTENT_TYPE, login_name, parse_body, parse_id, parse_query
from finboard.contract.users import LoginRequest, UserCreate
from finboard.core import api_service
from finboard.core.models import User
from finboard.extensions import cache, csrf, db
from finboard.ratelimits import check_login, check_register, limiter
from finboard.reads import categories_json, category_stats_json, comments_json, post_json, posts_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: no CSRF surface


def respond(model: BaseModel | None, status: int = 200) -> Response:
    if model is None:
        return Response(status=status)
    return Response(model.model_dump_json(), status=status, content_type=JSON_CONTENT_TYPE)


def json_bytes(document: bytes) -> Response:
    """A read's answer: the cached (or freshly written) contract bytes, as they are."""
    return Response(document, content_type=JSON_CONTENT_TYPE)


DEFAULT_LIST_QUERY = PostListQuery()
DEFAULT_PAGE_QUERY = PageQuery()


def list_query(schema, default):
    """The query string validated by the contract; an absent one skips validation (its defaults are known)."""
    if not request.query_string:
        return default
    return parse_query(request.args.items(multi=True), schema)


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
def register():
    check_register(api=True)  # counted before the body is validated, like every backend
    user = api_service.register(db.session, body(UserCreate), settings())
    return respond(user, 201)


@bp.post("/auth/login")
def login():
    # Counted before the body is validated, on the account the raw body names.
    check_login(login_name(request.get_data(cache=True)), api=True)
    ip = request.remote_addr or ""
    allow_code = partial(limiter().allow_code, ip)
    return respond(api_service.login(db.session, settings(), body(LoginRequest), allow_code))


@bp.get("/posts")
def posts():
    return json_bytes(posts_json(list_query(PostListQuery, DEFAULT_LIST_QUERY)))


@bp.post("/posts")
def create_post():
    user = current_api_user()
    created = api_service.create_post(db.session, settings(), user, body(PostCreate))
    cache.invalidate()
    return respond(created, 201)


@bp.get("/posts/<post_id>")
def post(post_id: str):
    return json_bytes(post_json(parse_id(post_id)))


@bp.patch("/posts/<post_id>")
def update_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    updated = api_service.update_post(db.session, user, ident, body(PostUpdate))
    cache.invalidate()
    return respond(updated)


@bp.delete("/posts/<post_id>")
def delete_post(post_id: str):
    ident = parse_id(post_id)
    api_service.delete_post(db.session, current_api_user(), ident)
    cache.invalidate()
    return respond(None, 204)


@bp.get("/posts/<post_id>/comments")
def comments(post_id: str):
    ident = parse_id(post_id)
    return json_bytes(comments_json(ident, list_query(PageQuery, DEFAULT_PAGE_QUERY)))


@bp.post("/posts/<post_id>/comments")
def create_comment(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    created = api_service.create_comment(db.session, settings(), user, ident, body(CommentCreate))
    cache.invalidate()
    return respond(created, 201)


@bp.get("/categories")
def categories():
    return json_bytes(categories_json())


@bp.get("/stats/categories")
def stats():
    return json_bytes(category_stats_json())


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return respond(Health(status="ok", database="ok"))


@bp.get("/openapi.json")
def openapi():
    return Response(openapi_json(), content_type=JSON_CONTENT_TYPE)
