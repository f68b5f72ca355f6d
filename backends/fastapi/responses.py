"""Responses as the Flask reference writes them: the schema's own JSON, nothing else."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel

from finboard.contract.errors import ApiError
from finboard.contract.request_parsing import JSON_CONTENT_TYPE


def json_response(content: BaseModel | bytes, status_code: int = 200) -> Response:
    """A model (``model_dump_json``) or JSON already serialised (from the cache)."""
    body = content if isinstance(content, bytes) else content.model_dump_json()
    return Response(body, status_code=status_code, media_type=JSON_CONTENT_TYPE)


def error_response(error: ApiError) -> Response:
    return Response(error.json(), status_code=error.status, media_type=JSON_CONTENT_TYPE)
