"""/api/v1 in Django: thin class-based views over the use cases in services.

The order of checks is the reference's (finboard/api/views.py): the path id
(404), then the bearer token (401), then the body (413/400/422), then the
use case (404/403/422/409). Reads are cached under the same names and
parameters as the Flask backend, on the data layer DATA_LAYER names
(``reads``); writes retire the cache once committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest
from django.views import View
from pydantic import BaseModel

from finboard.contract.comments import CommentCreate
from finboard.contract.errors import ApiError, http_error
from finboard.contract.health import Health
from finboard.contract.openapi import openapi_json
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostCreate, PostListQuery, PostUpdate
from finboard.contract.request_parsing import login_name, parse_body, parse_id, parse_query
from finboard.contract.two_factor import TwoFactorDisable, TwoFactorEnable
from finboard.contract.users import LoginRequest, UserCreate

from . import reads, services, two_factor_services
from .models import User
from .responses import error_response, json_response, no_content, raw_json_response
from .runtime import content_cache, finboard_settings, rate_limiter

# --- request helpers ------------------------------------------------------------


def request_body(request: HttpRequest) -> bytes:
    """The raw body, read once; over DATA_UPLOAD_MAX_MEMORY_SIZE it is a 413.

    Django reads no body without a Content-Length. A chunked request has none,
    but when the WSGI server de-chunks and terminates the stream itself
    (``wsgi.input_terminated``, as gunicorn does) the body is read from it,
    capped the same way, like the Flask backend (Werkzeug) does.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not request.META.get("CONTENT_LENGTH") and request.META.get("wsgi.input_terminated"):
        data = request.META["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            raise http_error(413)
        return data
    try:
        return request.body
    except RequestDataTooBig as exc:
        raise http_error(413) from exc


def body(request: HttpRequest, schema: type[BaseModel]):
    return parse_body(request_body(request), schema)


def query_items(request: HttpRequest) -> Iterator[tuple[str, str]]:
    """Each query parameter once, with its first value."""
    return ((key, values[0]) for key, values in request.GET.lists())


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def current_user(request: HttpRequest) -> User:
    return services.authenticate(finboard_settings(), request.headers.get("Authorization"))


class ApiView(View):
    """A wrong method answers 405 in the API's error shape (with Allow)."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(http_error(405))
        response.headers["Allow"] = ", ".join(self._allowed_methods())
        return response


# --- auth -----------------------------------------------------------------------


class RegisterView(ApiView):
    def post(self, request):
        if not rate_limiter().allow_register(client_ip(request)):
            raise http_error(429)
        return json_response(services.register(body(request, UserCreate)), 201)


class LoginView(ApiView):
    def post(self, request):
        raw = request_body(request)
        if not rate_limiter().allow_login(client_ip(request), services.login_account_key(login_name(raw))):
            raise http_error(429)
        allow_code = partial(rate_limiter().allow_code, client_ip(request))
        return json_response(services.login(finboard_settings(), parse_body(raw, LoginRequest), allow_code))


class TwoFactorView(ApiView):
    def get(self, request):
        return json_response(two_factor_services.status(current_user(request)))


class TwoFactorSetupView(ApiView):
    def post(self, request):
        user = current_user(request)
        return json_response(two_factor_services.setup(finboard_settings().secret_key, user))


class TwoFactorEnableView(ApiView):
    def post(self, request):
        user = current_user(request)
        payload = body(request, TwoFactorEnable)
        allow_code = partial(rate_limiter().allow_code, client_ip(request))
        return json_response(two_factor_services.enable(finboard_settings().secret_key, user, payload, allow_code))


class TwoFactorDisableView(ApiView):
    def post(self, request):
        user = current_user(request)
        payload = body(request, TwoFactorDisable)
        allow_code = partial(rate_limiter().allow_code, client_ip(request))
        return json_response(two_factor_services.disable(finboard_settings().secret_key, user, payload, allow_code))


# --- posts and comments ---------------------------------------------------------


class PostListView(ApiView):
    def get(self, request):
        query = parse_query(query_items(request), PostListQuery)
        return raw_json_response(reads.posts_json(query))

    def post(self, request):
        user = current_user(request)
        created = services.create_post(finboard_settings(), user, body(request, PostCreate))
        content_cache().invalidate()
        return json_response(created, 201)


class PostView(ApiView):
    def get(self, request, post_id: str):
        ident = parse_id(post_id)
        return raw_json_response(reads.post_json(ident))

    def patch(self, request, post_id: str):
        ident = parse_id(post_id)
        user = current_user(request)
        updated = services.update_post(user, ident, body(request, PostUpdate))
        content_cache().invalidate()
        return json_response(updated)

    def delete(self, request, post_id: str):
        ident = parse_id(post_id)
        services.delete_post(current_user(request), ident)
        content_cache().invalidate()
        return no_content()


class CommentListView(ApiView):
    def get(self, request, post_id: str):
        ident = parse_id(post_id)
        query = parse_query(query_items(request), PageQuery)
        return raw_json_response(reads.comments_json(ident, query))

    def post(self, request, post_id: str):
        ident = parse_id(post_id)
        user = current_user(request)
        created = services.create_comment(finboard_settings(), user, ident, body(request, CommentCreate))
        content_cache().invalidate()
        return json_response(created, 201)


# --- categories, health, the contract -------------------------------------------


class CategoryListView(ApiView):
    def get(self, request):
        return raw_json_response(reads.categories_json())


class CategoryStatsView(ApiView):
    def get(self, request):
        return raw_json_response(reads.category_stats_json())


class HealthView(ApiView):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return json_response(Health(status="ok", database="ok"))


class OpenApiView(ApiView):
    def get(self, request):
        return raw_json_response(openapi_json())


# --- errors outside the views (root URLconf handlers) ---------------------------


def bad_request(request, exception=None):
    return error_response(http_error(400))


def not_found(request, exception=None):
    return error_response(http_error(404))


def server_error(request):
    return error_response(ApiError(500, "internal"))
