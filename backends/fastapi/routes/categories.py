"""The categories and their per-category statistics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi.deps import ReadsDep
from backends.fastapi.responses import json_response

router = APIRouter(tags=["categories"])


@router.get("/categories")
async def list_categories(reads: ReadsDep) -> Response:
    return json_response(await reads.categories_json())


@router.get("/stats/categories")
async def category_stats(reads: ReadsDep) -> Response:
    return json_response(await reads.category_stats_json())
