"""Query builders and write operations shared by the Flask forum, the Flask
API and the FastAPI adapter.

Reads are built as SQLAlchemy ``Select`` statements so a sync session (Flask)
and an async one (FastAPI) execute exactly the same SQL: one statement for a
page of posts (author and category joined in), one for its total. Writes take
a sync ``Session`` (FastAPI runs them through ``AsyncSession.run_sync``) and
keep the derived data — cashtags, comment counts — right in the same
transaction. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Integer, Select, and_, bindparam, delete, func, literal_column, or_, select, text, update
from sqlalchemy.orm import Session, contains_eager

from finboard.contract.cashtags import extract_cashtags
from finboard.contract.pagination import CAPPED, ESTIMATED, EXACT, EXACT_TOTAL_MAX, Cursor
from finboard.contract.positions import positions_for
from finboard.contract.post_filters import PostFilters, given_filters, sqlite_fts_query
from finboard.contract.posts import PostListQuery
from finboard.core.models import (
    AuthorCounter,
    CashtagCounter,
    Category,
    CategoryCounter,
    Comment,
    Post,
    PostCashtag,
    PostRevision,
    Report,
    User,
    UTCDateTime,
    utcnow,
)
from finboard.rawsql.statements import search_total_sql


def search_predicate(dialect: str, fts_words: bool = True):
    """Full-text match on ``:search`` (PostgreSQL tsvector) or ``:fts`` (SQLite FTS5, see ``sqlite_fts_query``)."""
    if dialect == "postgresql":
        return text("posts.search_vector @@ websearch_to_tsquery('english', :search)")
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
    for name in ("category", "cashtag", "since", "until"):
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

    @classmethod
    def of(cls, query: PostListQuery, dialect: str) -> Listing:
        filters = PostFilters.from_query(query)
        cursor = query.decoded_cursor
        shape = ListingShape.of(filters, dialect, page=query.page, cursor=cursor)
        total, kind = post_total_statement(shape)
        params = listing_params(filters, query.per_page, page=query.page, cursor=cursor)
        return cls(post_page_statement(shape), total, kind, params)


def _sort_columns(shape: ListingShape):
    """(created_at, id) of the listing's order: the cashtag row's copy when filtering by ticker.

    ``post_cashtags`` repeats the post's id and creation time, so ordering on its
    columns gives the same order while letting PostgreSQL read the newest posts on
    a ticker straight off the (ticker, created_at, post_id) index.
    """
    if "cashtag" in shape.given:
        return PostCashtag.created_at, PostCashtag.post_id
    return Post.created_at, Post.id


def ordering(shape: ListingShape) -> tuple:
    created, ident = _sort_columns(shape)
    if shape.sort == "old":
        return created.asc(), ident.asc()
    if shape.sort == "comments":
        return Post.comment_count.desc(), created.desc(), ident.desc()
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
    if shape.sort == "comments":
        count = bindparam("cursor_count")
        return and_(Post.comment_count <= count, or_(Post.comment_count < count, older))
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
    if "cashtag" in shape.given:
        stmt = stmt.join(PostCashtag, _cashtag_join())
    stmt = _filtered(stmt, shape)
    if shape.cursor:
        stmt = stmt.where(_after(shape))
    stmt = stmt.order_by(*ordering(shape)).limit(bindparam("limit", type_=Integer()))
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


def user_by_login_statement(login: str) -> Select:
    """A user by username (case-insensitive) or by email."""
    login = login.strip()
    if "@" in login:
        return select(User).where(User.email == login.lower())
    return select(User).where(func.lower(User.username) == login.lower())


def username_taken(session: Session, username: str) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    return session.execute(stmt).first() is not None


def email_taken(session: Session, email: str) -> bool:
    return session.execute(select(User.id).where(User.email == email.lower())).first() is not None


# --- writes -------------------------------------------------------------------


def lock_author(session: Session, user_id: int) -> None:
    """Serialise the account's writes until this transaction ends (the allowance check + insert).

    PostgreSQL: ``FOR NO KEY UPDATE`` on the user's row, which another create
    by the same account waits for, but which does not block the ``FOR KEY
    SHARE`` locks that foreign keys to the user (notifications, watches) take,
    so two authors notifying each other cannot deadlock. SQLite: a no-op write
    to the row as the transaction's first statement takes the database's write
    lock (waiting out ``busy_timeout``), so the count and the insert that follow
    run in one write transaction that no other writer interleaves with.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    else:
        users = User.__table__
        session.execute(update(users).where(users.c.id == user_id).values(id=users.c.id))


def create_user(session: Session, username: str, email: str, password_hash: str, role: str = "member") -> User:
    user = User(username=username, email=email.lower(), password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user


def _set_cashtags(session: Session, post: Post) -> None:
    tickers = extract_cashtags(post.title, post.body)
    post.cashtags = " ".join(tickers)
    if post.id is not None:
        session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))
    session.flush()
    session.add_all(PostCashtag(ticker=t, post_id=post.id, created_at=post.created_at) for t in tickers)


def create_post(
    session: Session,
    author: User,
    category: Category,
    title: str,
    body: str,
    *,
    sentiment: str | None = None,
    positions: dict[str, str] | None = None,
) -> Post:
    """A post with its cashtag rows; ``positions`` must name cashtags of the post (else a 422)."""
    now = utcnow()
    post = Post(
        author_id=author.id,
        category_id=category.id,
        title=title,
        body=body,
        created_at=now,
        updated_at=now,
        sentiment=sentiment,
    )
    post.positions = positions_for(extract_cashtags(title, body), positions or {}, [])
    post.author = author
    post.category = category
    session.add(post)
    session.flush()
    _set_cashtags(session, post)
    session.flush()
    return post


KEEP = object()
"""``update_post``'s default for a field the caller leaves as it is (``None`` is a value)."""


def update_post(
    session: Session,
    post: Post,
    *,
    editor: User | None = None,
    title: str | None = None,
    body: str | None = None,
    category: Category | None = None,
    sentiment=KEEP,
    positions: dict[str, str] | None = None,
) -> Post:
    """Apply an edit; a change of title or body keeps the previous version as a revision."""
    content_changes = (title is not None and title != post.title) or (body is not None and body != post.body)
    if content_changes:
        session.add(
            PostRevision(
                post_id=post.id,
                editor_id=(editor or post.author).id,
                title=post.title,
                body=post.body,
                created_at=utcnow(),
            )
        )
        post.edit_count += 1
    if title is not None:
        post.title = title
    if body is not None:
        post.body = body
    if category is not None:
        post.category_id = category.id
        post.category = category
    if sentiment is not KEEP:
        post.sentiment = sentiment
    post.positions = positions_for(extract_cashtags(post.title, post.body), positions, post.position_list)
    post.updated_at = utcnow()
    if post.hidden_at is None:
        _set_cashtags(session, post)
    else:
        post.cashtags = " ".join(extract_cashtags(post.title, post.body))
    session.flush()
    return post


def delete_post(session: Session, post: Post, author_id: int | None = None) -> bool:
    """Delete a post (an author's delete only while it is visible and theirs): False when no row went.

    The conditional DELETE is the guard (see ``finboard.contract.transitions.TRANSITIONS``): of two
    identical requests one deletes, the other changes nothing. Reports keep their snapshot
    (their ``post_id`` becomes NULL); comments and cashtag rows go explicitly rather than by
    ON DELETE CASCADE, so SQLite without foreign keys behaves like PostgreSQL.
    """
    guard = delete(Post).where(Post.id == post.id)
    if author_id is not None:
        guard = guard.where(Post.author_id == author_id, Post.hidden_at.is_(None))
    if session.execute(guard, execution_options={"synchronize_session": False}).rowcount == 0:
        return False
    session.execute(update(Report).where(Report.post_id == post.id).values(post_id=None, comment_id=None))
    session.execute(delete(Comment).where(Comment.post_id == post.id))
    session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))
    session.expunge(post)
    return True


def create_comment(session: Session, post: Post, author: User, body: str) -> Comment:
    """A comment, its post's ``comment_count`` moved in the same transaction."""
    comment = Comment(post_id=post.id, author_id=author.id, body=body, created_at=utcnow())
    comment.author = author
    session.add(comment)
    # The counter moves in the same transaction, with a SQL-side increment so
    # concurrent writers never lose an update.
    session.execute(update(Post).where(Post.id == post.id).values(comment_count=Post.comment_count + 1))
    session.flush()
    return comment


def delete_comment(session: Session, comment: Comment, author_id: int | None = None) -> bool:
    """Delete a comment (an author's delete only while it is visible and theirs): False when no row went.

    ``DELETE ... RETURNING hidden_at`` is the guard: the post's ``comment_count`` moves only when
    a visible comment really went (a hidden one already left the count), once, races included.
    """
    guard = delete(Comment).where(Comment.id == comment.id)
    if author_id is not None:
        guard = guard.where(Comment.author_id == author_id, Comment.hidden_at.is_(None))
    gone = session.execute(
        guard.returning(Comment.post_id, Comment.hidden_at), execution_options={"synchronize_session": False}
    ).first()
    if gone is None:
        return False
    session.execute(update(Report).where(Report.comment_id == comment.id).values(comment_id=None))
    if gone.hidden_at is None:
        session.execute(update(Post).where(Post.id == gone.post_id).values(comment_count=Post.comment_count - 1))
    session.expunge(comment)
    return True
