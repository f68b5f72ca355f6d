"""The categories and their per-category statistics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi import reads
from backends.fastapi.deps import CacheDep, SessionDep
from backends.fastapi.responses import json_response

router = APIRouter(tags=["categories"])


@router.get("/categories")
async def list_categories(session: SessionDep, cache: CacheDep) -> Response:
    return json_response(await reads.categories_json(session, cache))


@router.get("/stats/categories")
async def category_stats(session: SessionDep, cache: CacheDep) -> Response:
    return json_response(await reads.category_stats_json(session, cache))
