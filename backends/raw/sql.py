"""The SQL of the raw backend, written by hand.

The same statements as the shared builders in ``finboard.core.queries`` (which the
Flask and FastAPI backends compile through SQLAlchemy), with the same shape: a page
of posts with author and category joined in plus one count; a post plus its newest
comments; a page of comments plus the post's ``comment_count``; one aggregate for
the category statistics; one query for the categories. Every value is a bound
parameter — user text never becomes SQL.

Column order of the post and comment rows is what ``backends.raw.render`` reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

POST_COLUMNS = (
    "p.id, p.title, p.body, u.id, u.username, c.id, c.slug, c.name, "
    "p.cashtags, p.comment_count, p.created_at, p.updated_at"
)
POST_FROM = "posts p JOIN users u ON u.id = p.author_id JOIN categories c ON c.id = p.category_id"

ORDER_BY = {
    "new": "p.created_at DESC, p.id DESC",
    "old": "p.created_at ASC, p.id ASC",
    "comments": "p.comment_count DESC, p.created_at DESC, p.id DESC",
}

# Statements are assembled from this module's fixed fragments only; every value is bound.
POST_DETAIL = f"SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.id = %s"  # nosec B608

_COMMENTS = (
    "SELECT m.id, m.post_id, u.id, u.username, m.body, m.created_at "
    "FROM comments m JOIN users u ON u.id = m.author_id WHERE m.post_id = %s "
)
NEWEST_COMMENTS = _COMMENTS + "ORDER BY m.created_at DESC, m.id DESC LIMIT %s"
COMMENT_PAGE = _COMMENTS + "ORDER BY m.created_at ASC, m.id ASC LIMIT %s OFFSET %s"
COMMENT_COUNT = "SELECT comment_count FROM posts WHERE id = %s"

CATEGORIES = "SELECT id, slug, name, description FROM categories ORDER BY position, id"

CATEGORY_STATS = (
    "SELECT c.id, c.slug, c.name, count(p.id), coalesce(sum(p.comment_count), 0), "
    "count(DISTINCT p.author_id), max(p.created_at) "
    "FROM categories c LEFT OUTER JOIN posts p ON p.category_id = c.id "
    "GROUP BY c.id, c.slug, c.name, c.position ORDER BY c.position, c.id"
)

HEALTH = "SELECT 1"


def aware(value: datetime | None) -> datetime | None:
    """A filter bound in UTC: naive means UTC (``finboard.core.queries._aware``)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def post_list(
    *,
    search: str | None,
    category: str | None,
    author: str | None,
    cashtag: str | None,
    since: datetime | None,
    until: datetime | None,
    sort: str,
    page: int,
    per_page: int,
) -> tuple[str, list, str, list]:
    """(page SQL, its parameters, count SQL, its parameters) for resolved filters.

    ``author`` is compared with ``lower(username)`` after Python's own ``lower()``,
    exactly as the shared builder does it (the two differ on a few Unicode letters).
    The count joins only the tables its filters need.
    """
    where: list[str] = []
    params: list = []
    count_joins = ""
    if category:
        where.append("c.slug = %s")
        params.append(category)
        count_joins += " JOIN categories c ON c.id = p.category_id"
    if author:
        where.append("lower(u.username) = %s")
        params.append(author.lower())
        count_joins += " JOIN users u ON u.id = p.author_id"
    if cashtag:
        where.append("p.id IN (SELECT post_id FROM post_cashtags WHERE ticker = %s)")
        params.append(cashtag)
    if since:
        where.append("p.created_at >= %s")
        params.append(since)
    if until:
        where.append("p.created_at <= %s")
        params.append(until)
    if search:
        where.append("p.search_vector @@ websearch_to_tsquery('english', %s)")
        params.append(search)
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    # Only this module's fixed fragments are joined (bandit's B608 is a false positive); the values are in params.
    order = ORDER_BY[sort]
    page_sql = f"SELECT {POST_COLUMNS} FROM {POST_FROM}{condition} ORDER BY {order} LIMIT %s OFFSET %s"  # nosec B608
    count_sql = f"SELECT count(*) FROM posts p{count_joins}{condition}"  # nosec B608
    return page_sql, [*params, per_page, (page - 1) * per_page], count_sql, params
