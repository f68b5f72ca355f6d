"""Every answer of the API: a shared pydantic schema as JSON, or an error."""

from __future__ import annotations

from django.http import HttpResponse
from pydantic import BaseModel

from finboard.contract.errors import ApiError
from finboard.contract.request_parsing import JSON_CONTENT_TYPE


def json_response(model: BaseModel, status: int = 200) -> HttpResponse:
    return HttpResponse(model.model_dump_json(), status=status, content_type=JSON_CONTENT_TYPE)


def raw_json_response(body: str | bytes, status: int = 200) -> HttpResponse:
    """JSON that is already serialised (a cached read, the OpenAPI document)."""
    return HttpResponse(body, status=status, content_type=JSON_CONTENT_TYPE)


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def error_response(error: ApiError) -> HttpResponse:
    return raw_json_response(error.json(), error.status)
