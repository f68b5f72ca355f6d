"""The SQL of the raw backend, written by hand (and the search-alone total every backend runs).

The same statements as the shared builders in ``finboard.core.read_statements`` (which the
Flask and FastAPI backends compile through SQLAlchemy), with the same shape: a page
of posts with author and category joined in plus one count; a post plus its newest
comments; a page of comments plus the post's ``comment_count``; one aggregate for
the category statistics; one query for the categories. Every value is a bound
parameter — user text never becomes SQL.

Every selected column is named (``AS``) after the document key it becomes, and each
column list also gives the index of every name (``POST.title``), so
``finboard.rawsql.documents`` reads ``row[POST.title]`` — by name, on plain tuples
(psycopg's named-tuple rows cost ~17 µs per statement; measured in
docs/benchmarks/2026-12-07-layers): a new column is one line here and one key there.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from finboard.contract.pagination import CAPPED, ESTIMATED, EXACT, EXACT_TOTAL_MAX, SEARCH_EXACT_BELOW, Cursor
from finboard.contract.search_newest import pg_search_newest_ids, uses_search_newest
from finboard.contract.search_synonyms import pg_search_tsquery

# The search-alone total on PostgreSQL, written once for every backend: {p} is
# the driver's placeholder for the search text (bound twice), {query} the search as a tsquery.
SEARCH_TOTAL_SQL = (
    "SELECT CASE WHEN e.n <= {exact_below} THEN (SELECT count(*) FROM (SELECT 1 FROM posts p "
    "WHERE p.search_vector @@ {query} AND p.hidden_at IS NULL LIMIT {limit}) s) "
    "ELSE e.n END, "
    "e.n <= {exact_below} FROM finboard_search_estimate({p}) AS e(n)"
)


def search_total_sql(placeholder: str) -> str:
    """The estimate (``finboard_search_estimate``, migration 0003) is of the words as typed; it only
    decides whether to count exactly, and the exact count includes the synonyms' cashtags."""
    return SEARCH_TOTAL_SQL.format(
        p=placeholder,
        query=pg_search_tsquery(placeholder),
        exact_below=SEARCH_EXACT_BELOW,
        limit=EXACT_TOTAL_MAX + 1,
    )


def _alias(column: str) -> str:
    return column.split(" AS ")[1] if " AS " in column else column.rsplit(".", 1)[-1]


def _named(*columns: str) -> str:
    """``"p.id AS id, u.username AS author_username, …"`` from ``"p.id"``, ``"u.username AS author_username"``, …"""
    return ", ".join(f"{c.split(' AS ')[0]} AS {_alias(c)}" for c in columns)


def _indexes(*columns: str) -> SimpleNamespace:
    """Where each named column sits in the row: ``POST.title`` is the position of ``... AS title``."""
    return SimpleNamespace(**{_alias(c): i for i, c in enumerate(columns)})


_POST = (
    "p.id",
    "p.title",
    "p.body",
    "u.id AS author_id",
    "u.username AS author_username",
    "c.id AS category_id",
    "c.slug AS category_slug",
    "c.name AS category_name",
    "p.cashtags",
    "p.comment_count",
    "p.created_at",
    "p.updated_at",
    "p.sentiment",
    "p.positions",
    "p.sentiments",
    "p.pinned",
    "p.locked",
    "p.edit_count",
    "p.reaction_count",
    "p.hot_score",
)
POST = _indexes(*_POST)
POST_COLUMNS = _named(*_POST)
POST_FROM = "posts p JOIN users u ON u.id = p.author_id JOIN categories c ON c.id = p.category_id"

ORDER_BY = {
    "new": "{created} DESC, {id} DESC",
    "old": "{created} ASC, {id} ASC",
    "comments": "p.comment_count DESC, {created} DESC, {id} DESC",
    "hot": "p.hot_score DESC, {created} DESC, {id} DESC",
    "top": "p.reaction_count DESC, {created} DESC, {id} DESC",
}
# The count leading a counted sort (finboard.contract.pagination.COUNTED_SORTS).
_COUNT_COLUMN = {"comments": "p.comment_count", "hot": "p.hot_score", "top": "p.reaction_count"}

# Statements are assembled from this module's fixed fragments only; every value is bound.
POST_DETAIL = f"SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.id = %s AND p.hidden_at IS NULL"  # nosec B608

_COMMENT = (
    "m.id",
    "m.post_id",
    "m.parent_id",
    "u.id AS author_id",
    "u.username AS author_username",
    "m.body",
    "m.created_at",
    "m.reaction_count",
    "m.edit_count",
)
COMMENT = _indexes(*_COMMENT)
_COMMENT_COLUMNS = _named(*_COMMENT)
_COMMENTS = (
    f"SELECT {_COMMENT_COLUMNS} "  # nosec B608 - fixed fragments only
    "FROM comments m JOIN users u ON u.id = m.author_id WHERE m.post_id = %s AND m.hidden_at IS NULL "
)
NEWEST_COMMENTS = _COMMENTS + "ORDER BY m.created_at DESC, m.id DESC LIMIT %s"
COMMENT_PAGE = _COMMENTS + "ORDER BY m.created_at ASC, m.id ASC LIMIT %s OFFSET %s"
COMMENT_COUNT = "SELECT comment_count FROM posts WHERE id = %s AND hidden_at IS NULL"

_CATEGORY = ("id", "slug", "name", "description")
CATEGORY = _indexes(*_CATEGORY)
CATEGORIES = f"SELECT {', '.join(_CATEGORY)} FROM categories ORDER BY position, id"  # nosec B608

_CATEGORY_STATS = (
    "c.id",
    "c.slug",
    "c.name",
    "coalesce(k.post_count, 0) AS post_count",
    "coalesce(k.comment_count, 0) AS comment_count",
    "coalesce(k.author_count, 0) AS author_count",
    "(SELECT max(p.created_at) FROM posts p WHERE p.category_id = c.id AND p.hidden_at IS NULL) AS newest_post_at",
)
CATEGORY_STAT = _indexes(*_CATEGORY_STATS)
CATEGORY_STATS = (
    f"SELECT {_named(*_CATEGORY_STATS)} "  # nosec B608 - fixed fragments only
    "FROM categories c LEFT OUTER JOIN category_counters k ON k.category_id = c.id ORDER BY c.position, c.id"
)

# Totals from the counter tables (finboard.core.read_statements.post_total_statement).
TOTAL_ALL = "SELECT coalesce(sum(post_count), 0) FROM category_counters"
TOTAL_BY_CATEGORY = (
    "SELECT k.post_count FROM category_counters k JOIN categories c ON c.id = k.category_id WHERE c.slug = %s"
)
TOTAL_BY_AUTHOR = (
    "SELECT k.post_count FROM author_counters k JOIN users u ON u.id = k.author_id WHERE lower(u.username) = %s"
)
TOTAL_BY_CASHTAG = "SELECT post_count FROM cashtag_counters WHERE ticker = %s"
SEARCH_TOTAL = search_total_sql("%s")

HEALTH = "SELECT 1"

# Does the category or member a listing filter names exist (finboard.contract.post_filters.named_targets)?
NAMED_TARGET_EXISTS = {
    "category": "SELECT 1 FROM categories WHERE slug = %s",
    "author": "SELECT 1 FROM users WHERE lower(username) = %s",
}


def _keyset(sort: str, created: str, ident: str, cursor: Cursor) -> tuple[str, list]:
    """finboard.core.read_statements._after: rows strictly after the cursor, with a leading bound for the index."""
    at, last = cursor.created_at, cursor.id
    if sort == "old":
        return f"{created} >= %s AND ({created} > %s OR {ident} > %s)", [at, at, last]
    if sort in _COUNT_COLUMN:
        count, column = cursor.comment_count, _COUNT_COLUMN[sort]
        return (
            f"{column} <= %s AND ({column} < %s OR {created} < %s OR ({created} = %s AND {ident} < %s))",
            [count, count, at, at, last],
        )
    return f"{created} <= %s AND ({created} < %s OR {ident} < %s)", [at, at, last]


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
    cursor: Cursor | None = None,
    top_since: datetime | None = None,
) -> tuple[str, list, str, list, str]:
    """(page SQL, its parameters, total SQL, its parameters, total kind) for resolved filters.

    The page reads ``per_page + 1`` rows (the extra one says whether a next page
    exists), after ``cursor`` or at an offset. ``author`` is compared with
    ``lower(username)`` after Python's own ``lower()``, exactly as the shared
    builder does it (the two differ on a few Unicode letters). The total is
    ``finboard.core.read_statements.post_total_statement``'s: a counter row, the search
    estimate, or a count up to ``EXACT_TOTAL_MAX + 1``.
    """
    where: list[str] = ["p.hidden_at IS NULL"]  # hidden by a moderator: never listed
    params: list = []
    joins = ""
    count_joins = ""
    created, ident = "p.created_at", "p.id"
    if cashtag:
        # post_cashtags repeats the post's created_at: its index gives the newest posts on a ticker.
        joins = " JOIN post_cashtags t ON t.post_id = p.id AND t.ticker = %s"
        count_joins = joins
        created, ident = "t.created_at", "t.post_id"
    if category:
        where.append("c.slug = %s")
        params.append(category)
        count_joins += " JOIN categories c ON c.id = p.category_id"
    if author:
        where.append("lower(u.username) = %s")
        params.append(author.lower())
        count_joins += " JOIN users u ON u.id = p.author_id"
    if since:
        where.append("p.created_at >= %s")
        params.append(since)
    if until:
        where.append("p.created_at <= %s")
        params.append(until)
    if search:
        where.append(f"p.search_vector @@ {pg_search_tsquery('%s')}")
        params.append(search)
    if top_since:
        where.append("p.created_at >= %s")
        params.append(top_since)
    join_params = [cashtag] if cashtag else []
    filter_params = [*join_params, *params]
    page_where = list(where)
    page_params = list(filter_params)
    if cursor is not None:
        condition, values = _keyset(sort, created, ident, cursor)
        page_where.append(condition)
        page_params += values
    values = {"search": search, "category": category, "author": author, "cashtag": cashtag}
    bounds = {"since": since, "until": until, "top_since": top_since}
    given = {name for name, value in {**values, **bounds}.items() if value}
    if uses_search_newest(given, sort, "postgresql"):
        page_sql, page_params = _search_newest_page(search, page, per_page, cursor)
        return page_sql, page_params, SEARCH_TOTAL, [search, search], ESTIMATED
    # Only this module's fixed fragments are joined (bandit's B608 is a false positive); the values are in params.
    order = ORDER_BY[sort].format(created=created, id=ident)
    page_condition = f" WHERE {' AND '.join(page_where)}" if page_where else ""
    page_sql = f"SELECT {POST_COLUMNS} FROM {POST_FROM}{joins}{page_condition} ORDER BY {order} LIMIT %s"  # nosec B608
    page_params.append(per_page + 1)
    if cursor is None and page > 1:
        page_sql += " OFFSET %s"
        page_params.append((page - 1) * per_page)
    if not given:
        return page_sql, page_params, TOTAL_ALL, [], EXACT
    if given == {"category"}:
        return page_sql, page_params, TOTAL_BY_CATEGORY, [category], EXACT
    if given == {"author"}:
        return page_sql, page_params, TOTAL_BY_AUTHOR, [author.lower()], EXACT
    if given == {"cashtag"}:
        return page_sql, page_params, TOTAL_BY_CASHTAG, [cashtag], EXACT
    if given == {"search"}:
        return page_sql, page_params, SEARCH_TOTAL, [search, search], ESTIMATED
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    count_sql = f"SELECT count(*) FROM (SELECT 1 FROM posts p{count_joins}{condition} LIMIT %s) s"  # nosec B608
    return page_sql, page_params, count_sql, [*filter_params, EXACT_TOTAL_MAX + 1], CAPPED


def _search_newest_page(search: str, page: int, per_page: int, cursor: Cursor | None) -> tuple[str, list]:
    """A search alone, newest first: the ids ``finboard_search_newest`` picks (``finboard.contract.search_newest``)."""
    offset = 0 if cursor is not None else (page - 1) * per_page
    ids = pg_search_newest_ids("%s", "%s" if cursor else None, "%s" if cursor else None, "%s")
    params: list = [search, *((cursor.created_at, cursor.id) if cursor else ()), offset + per_page + 1]
    page_sql = (
        f"SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.hidden_at IS NULL AND p.id IN ({ids}) "  # nosec B608
        f"ORDER BY {ORDER_BY['new'].format(created='p.created_at', id='p.id')} LIMIT %s"
    )
    params.append(per_page + 1)
    if offset:
        page_sql += " OFFSET %s"
        params.append(offset)
    return page_sql, params
