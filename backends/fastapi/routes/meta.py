"""Health check, the shared OpenAPI document and its viewer (``finboard.contract.api_docs``).

FastAPI's own ``/docs`` loads Swagger UI from a CDN with an inline script; this serves the
same viewer from the pinned package, as every backend does, under the API's CSP."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import text

from backends.fastapi.deps import SessionDep
from backends.fastapi.responses import json_response
from finboard.contract import api_docs
from finboard.contract.health import Health
from finboard.contract.openapi import openapi_json
from finboard.contract.request_parsing import JSON_CONTENT_TYPE

router = APIRouter(tags=["meta"])


@router.get("/healthz")
async def healthz(session: SessionDep) -> Response:
    await session.execute(text("SELECT 1"))
    return json_response(Health(status="ok", database="ok"))


@router.get("/openapi.json")
async def openapi() -> Response:
    """The contract's own document (FastAPI's generator is switched off)."""
    return Response(openapi_json(), media_type=JSON_CONTENT_TYPE)


def _send(file: api_docs.DocsFile) -> Response:
    return Response(file.body, media_type=file.content_type, headers={"Cache-Control": file.cache_control})


@router.get("/docs")
async def docs() -> Response:
    return _send(api_docs.page())


@router.get("/docs/{path:path}")
async def docs_asset(path: str) -> Response:
    file = api_docs.asset(path)
    if file is None:
        raise HTTPException(404)
    return _send(file)
