"""Categories: the reference every post carries, the list, and the per-category statistics."""

from __future__ import annotations

from datetime import datetime

from finboard.contract.base import Schema


class CategoryRef(Schema):
    id: int
    slug: str
    name: str


class CategoryPublic(CategoryRef):
    description: str


class CategoryList(Schema):
    items: list[CategoryPublic]


class CategoryStats(CategoryRef):
    post_count: int
    comment_count: int
    author_count: int
    newest_post_at: datetime | None


class CategoryStatsList(Schema):
    items: list[CategoryStats]
