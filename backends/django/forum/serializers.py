"""Django rows to the shared contract schemas.

The Django models expose the same attribute names as the SQLAlchemy ones
(``post.author``, ``post.category``, ``post.cashtag_list``, ``comment.post_id``…),
so the shared serializers in ``finboard.contract.serializers`` build the schemas
from either — one implementation, the same bytes. Only the statistics row
differs: Django's aggregate comes back as a dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finboard.contract.categories import CategoryStats
from finboard.contract.serializers import (
    author_ref,
    category_public,
    category_ref,
    comment_page,
    comment_public,
    post_detail,
    post_page,
    post_public,
    user_public,
)

__all__ = [
    "author_ref",
    "category_public",
    "category_ref",
    "category_stats",
    "comment_page",
    "comment_public",
    "post_detail",
    "post_page",
    "post_public",
    "user_public",
]


def category_stats(row: Mapping[str, Any]) -> CategoryStats:
    return CategoryStats(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        post_count=row["post_count"],
        comment_count=int(row["comment_count"]),
        author_count=row["author_count"],
        newest_post_at=row["newest_post_at"],
    )
