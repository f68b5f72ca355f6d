"""The read statements of posts, comments and categories, shared by the Flask forum, the Flask
API and the FastAPI adapter.

Built as SQLAlchemy ``Select`` statements so a sync session (Flask) and an async one (FastAPI)
execute exactly the same SQL: one statement for a page of posts (author and category joined
in), one for its total. Statements are built once per shape and bound per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Integer, Select, and_, bindparam, func, literal_column, or_, select, text
from sqlalchemy.orm import contains_eager

from finboard.contract.pagination import CAPPED, ESTIMATED, EXACT, EXACT_TOTAL_MAX, Cursor
from finboard.contract.post_filters import PostFilters, given_filters, named_targets, sqlite_fts_query
from finboard.contract.posts import PostListQuery
from finboard.contract.search_newest import pg_search_newest_ids, uses_search_newest
from finboard.contract.search_synonyms import pg_search_tsquery
from finboard.core.models import (
    AuthorCounter,
    CashtagCounter,
    Category,
    CategoryCounter,
    Comment,
    Post,
    PostCashtag,
    User,
    UTCDateTime,
)
from finboard.rawsql.statements import search_total_sql


def search_predicate(dialect: str, fts_words: bool = True):
    """Full-text match on ``:search`` (PostgreSQL tsvector) or ``:fts`` (SQLite FTS5, see ``sqlite_fts_query``)."""
    if dialect == "postgresql":
        return text(f"posts.search_vector @@ {pg_search_tsquery(':search')}")
    if not fts_words:
        return literal_column("0") == 1
    return Post.id.in_(
        select(literal_column("rowid")).select_from(text("posts_fts")).where(text("posts_fts MATCH :fts"))
    )


def _filtered(stmt: Select, shape: ListingShape) -> Select:
    """The filters given, as named bind parameters (the values come from ``listing_params``).

    Hidden posts (moderation) are never listed.
    """
    stmt = stmt.where(Post.hidden_at.is_(None))
    if "category" in shape.given:
        stmt = stmt.where(Category.slug == bindparam("category"))
    if "author" in shape.given:
        stmt = stmt.where(func.lower(User.username) == bindparam("author"))
    if "since" in shape.given:
        stmt = stmt.where(Post.created_at >= bindparam("since"))
    if "until" in shape.given:
        stmt = stmt.where(Post.created_at <= bindparam("until"))
    if "search" in shape.given:
        stmt = stmt.where(search_predicate(shape.dialect, shape.fts_words))
    if "top_since" in shape.given:
        stmt = stmt.where(Post.created_at >= bindparam("top_since", type_=UTCDateTime()))
    return stmt


@dataclass(frozen=True)
class ListingShape:
    """What decides a listing's SQL text; the values are bound separately.

    Statements are built once per shape (``lru_cache``) and executed with the
    request's values, so a request neither builds nor compiles SQL.
    """

    given: frozenset[str]
    sort: str
    dialect: str
    cursor: bool = False
    offset: bool = False
    fts_words: bool = True

    @classmethod
    def of(cls, filters: PostFilters, dialect: str, *, page: int = 1, cursor: Cursor | None = None):
        return cls(
            given=frozenset(given_filters(filters)),
            sort=filters.sort,
            dialect=dialect,
            cursor=cursor is not None,
            offset=cursor is None and page > 1,
            fts_words=dialect == "postgresql" or not filters.search or sqlite_fts_query(filters.search) is not None,
        )


def listing_params(filters: PostFilters, per_page: int, *, page: int = 1, cursor: Cursor | None = None) -> dict:
    """The bound values of a listing's page and total statements."""
    params: dict = {"limit": per_page + 1, "offset": (page - 1) * per_page}
    # finboard_search_newest's count: the rows from the newest match after the cursor to the page's end.
    params["wanted"] = per_page + 1 + (0 if cursor is not None else params["offset"])
    for name in ("category", "cashtag", "since", "until", "top_since"):
        if getattr(filters, name):
            params[name] = getattr(filters, name)
    if filters.author:
        params["author"] = filters.author.lower()
    if filters.search:
        params["search"] = filters.search
        params["fts"] = sqlite_fts_query(filters.search)
    if cursor is not None:
        params.update(cursor_at=cursor.created_at, cursor_id=cursor.id, cursor_count=cursor.comment_count)
    return params


@dataclass(frozen=True)
class Listing:
    """A ``PostListQuery`` as statements: the page (+1 row), the total and its kind, their bound values."""

    page: Select
    total: Select
    total_kind: str
    params: dict
    targets: list[tuple[str, str]]  # the category and member the filters name (checked on an empty page)

    @classmethod
    def of(cls, query: PostListQuery, dialect: str) -> Listing:
        filters = PostFilters.from_query(query)
        cursor = query.decoded_cursor
        shape = ListingShape.of(filters, dialect, page=query.page, cursor=cursor)
        total, kind = post_total_statement(shape)
        params = listing_params(filters, query.per_page, page=query.page, cursor=cursor)
        return cls(post_page_statement(shape), total, kind, params, named_targets(filters))


@lru_cache
def named_target_exists(kind: str) -> Select:
    """Whether the category (by slug) or member (by lower-cased name) a filter names exists; bound ``value``."""
    if kind == "category":
        return select(Category.id).where(Category.slug == bindparam("value"))
    return select(User.id).where(func.lower(User.username) == bindparam("value"))


def _sort_columns(shape: ListingShape):
    """(created_at, id) of the listing's order: the cashtag row's copy when filtering by ticker.

    ``post_cashtags`` repeats the post's id and creation time, so ordering on its
    columns gives the same order while letting PostgreSQL read the newest posts on
    a ticker straight off the (ticker, created_at, post_id) index.
    """
    if "cashtag" in shape.given:
        return PostCashtag.created_at, PostCashtag.post_id
    return Post.created_at, Post.id


def _count_column(sort: str):
    """The count leading a counted sort (``pagination.COUNTED_SORTS``), or None."""
    return {"comments": Post.comment_count, "hot": Post.hot_score, "top": Post.reaction_count}.get(sort)


def ordering(shape: ListingShape) -> tuple:
    created, ident = _sort_columns(shape)
    if shape.sort == "old":
        return created.asc(), ident.asc()
    count = _count_column(shape.sort)
    if count is not None:
        return count.desc(), created.desc(), ident.desc()
    return created.desc(), ident.desc()


def _after(shape: ListingShape):
    """Rows strictly after the cursor in the listing's order (keyset pagination).

    Written as ``a <= x AND (a < x OR ...)`` rather than a row comparison: the
    leading bound lets every database and ORM start the index scan at the
    cursor, so page 5,000 costs what page 1 costs.
    """
    created, ident = _sort_columns(shape)
    at, last = bindparam("cursor_at", type_=UTCDateTime()), bindparam("cursor_id")
    if shape.sort == "old":
        return and_(created >= at, or_(created > at, ident > last))
    older = or_(created < at, and_(created == at, ident < last))
    column = _count_column(shape.sort)
    if column is not None:
        count = bindparam("cursor_count")
        return and_(column <= count, or_(column < count, older))
    return and_(created <= at, or_(created < at, ident < last))


def _posts_with_author_and_category() -> Select:
    """Posts joined to their author and category, both eagerly filled (one statement)."""
    return (
        select(Post)
        .join(Post.author)
        .join(Post.category)
        .options(contains_eager(Post.author), contains_eager(Post.category))
    )


def _cashtag_join():
    return and_(PostCashtag.post_id == Post.id, PostCashtag.ticker == bindparam("cashtag"))


@lru_cache(maxsize=512)
def post_page_statement(shape: ListingShape) -> Select:
    """One page of posts, author and category joined in, plus one extra row that says whether more follow.

    Bound values: ``listing_params``.
    """
    stmt = _posts_with_author_and_category()
    if uses_search_newest(shape.given, shape.sort, shape.dialect):
        return _search_newest_page(stmt, shape)
    if "cashtag" in shape.given:
        stmt = stmt.join(PostCashtag, _cashtag_join())
    stmt = _filtered(stmt, shape)
    if shape.cursor:
        stmt = stmt.where(_after(shape))
    stmt = stmt.order_by(*ordering(shape)).limit(bindparam("limit", type_=Integer()))
    return stmt.offset(bindparam("offset", type_=Integer())) if shape.offset else stmt


def _search_newest_page(stmt: Select, shape: ListingShape) -> Select:
    """A search alone, newest first: the ids ``finboard_search_newest`` picks (``finboard.contract.search_newest``)."""
    at, ident = (":cursor_at", ":cursor_id") if shape.cursor else (None, None)
    ids = text(f"posts.id IN ({pg_search_newest_ids(':search', at, ident, ':wanted')})")
    if shape.cursor:
        ids = ids.bindparams(bindparam("cursor_at", type_=UTCDateTime()), bindparam("cursor_id"))
    stmt = stmt.where(Post.hidden_at.is_(None), ids).order_by(*ordering(shape))
    stmt = stmt.limit(bindparam("limit", type_=Integer()))
    return stmt.offset(bindparam("offset", type_=Integer())) if shape.offset else stmt


@lru_cache(maxsize=512)
def post_total_statement(shape: ListingShape) -> tuple[Select, str]:
    """(statement, kind): the total behind a listing without counting the table.

    All posts, one category, one author or one cashtag alone read their counter
    row (kept by triggers): ``EXACT``. A search alone on PostgreSQL is the
    planner's estimate unless it is small: ``ESTIMATED``. Any other combination
    counts matching rows up to ``EXACT_TOTAL_MAX + 1``: ``CAPPED``. Execute with
    ``listing_params`` and pass the first row to ``pagination.listing_total``.
    """
    only = shape.given
    if not only:
        return select(func.coalesce(func.sum(CategoryCounter.post_count), 0)), EXACT
    if only == {"category"}:
        return (
            select(CategoryCounter.post_count)
            .join(Category, Category.id == CategoryCounter.category_id)
            .where(Category.slug == bindparam("category"))
        ), EXACT
    if only == {"author"}:
        return (
            select(AuthorCounter.post_count)
            .join(User, User.id == AuthorCounter.author_id)
            .where(func.lower(User.username) == bindparam("author"))
        ), EXACT
    if only == {"cashtag"}:
        return select(CashtagCounter.post_count).where(CashtagCounter.ticker == bindparam("cashtag")), EXACT
    if only == {"search"} and shape.dialect == "postgresql":
        return text(search_total_sql(":search")), ESTIMATED
    matches = select(literal_column("1").label("hit")).select_from(Post)
    if "category" in only:
        matches = matches.join(Post.category)
    if "author" in only:
        matches = matches.join(Post.author)
    if "cashtag" in only:
        matches = matches.join(PostCashtag, _cashtag_join())
    matches = _filtered(matches, shape).limit(EXACT_TOTAL_MAX + 1).subquery()
    return select(func.count()).select_from(matches), CAPPED


@lru_cache(maxsize=1)
def post_detail_statement() -> Select:
    """One post with author and category; bound value ``post_id``."""
    return _posts_with_author_and_category().where(Post.id == bindparam("post_id"), Post.hidden_at.is_(None))


@lru_cache(maxsize=8)
def comments_statement(newest_first: bool = True, offset: bool = False) -> Select:
    """A post's comments with their authors; bound values ``post_id``, ``limit`` (and ``offset``)."""
    if newest_first:
        order = (Comment.created_at.desc(), Comment.id.desc())
    else:
        order = (Comment.created_at.asc(), Comment.id.asc())
    stmt = select(Comment).join(Comment.author).options(contains_eager(Comment.author))
    stmt = stmt.where(Comment.post_id == bindparam("post_id"), Comment.hidden_at.is_(None)).order_by(*order)
    stmt = stmt.limit(bindparam("limit", type_=Integer()))
    return stmt.offset(bindparam("offset", type_=Integer())) if offset else stmt


def comment_params(post_id: int, limit: int, offset: int = 0) -> dict:
    return {"post_id": post_id, "limit": limit, "offset": offset}


@lru_cache(maxsize=1)
def comment_total_statement() -> Select:
    """A visible post's ``comment_count`` (no row: the post is missing or hidden); bound value ``post_id``."""
    return select(Post.comment_count).where(Post.id == bindparam("post_id"), Post.hidden_at.is_(None))


@lru_cache(maxsize=1)
def categories_statement() -> Select:
    return select(Category).order_by(Category.position, Category.id)


@lru_cache(maxsize=1)
def category_stats_statement() -> Select:
    """Per category: posts, comments and distinct authors from the counters, newest post by index — one query."""
    newest = (
        select(func.max(Post.created_at))
        .where(Post.category_id == Category.id, Post.hidden_at.is_(None))
        .correlate(Category)
        .scalar_subquery()
    )
    return (
        select(
            Category.id,
            Category.slug,
            Category.name,
            func.coalesce(CategoryCounter.post_count, 0).label("post_count"),
            func.coalesce(CategoryCounter.comment_count, 0).label("comment_count"),
            func.coalesce(CategoryCounter.author_count, 0).label("author_count"),
            newest.label("newest_post_at"),
        )
        .outerjoin(CategoryCounter, CategoryCounter.category_id == Category.id)
        .order_by(Category.position, Category.id)
    )
