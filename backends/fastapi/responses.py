"""Responses as the Flask reference writes them: the schema's own JSON, nothing else.

This is also FastAPI's documented JSON performance advice, applied: every body
is serialised once, to bytes, before it reaches a plain ``Response`` — by
pydantic-core in Rust (``model_dump_json``, what FastAPI >= 0.130 recommends
over the now-deprecated ``ORJSONResponse``) or, for the five reads with
``DATA_LAYER=sql``, by orjson (``finboard.rawsql.documents``) — so no
``jsonable_encoder`` pass and no ``JSONResponse`` re-encoding ever runs.
"""

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
