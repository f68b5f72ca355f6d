"""Health check and the shared OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import text

from backends.fastapi.deps import SessionDep
from backends.fastapi.responses import json_response
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
