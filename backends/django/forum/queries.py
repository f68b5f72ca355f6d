"""The SQL of finboard.core.read_statements, written with the Django ORM.

Same filters, same orderings, same number of statements: a page of posts is
one query with author and category joined in (select_related) plus one
count that joins only what the filters need.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower

from finboard.contract.pagination import CAPPED, ESTIMATED, EXACT, EXACT_TOTAL_MAX, Cursor
from finboard.contract.post_filters import PostFilters, given_filters, sqlite_fts_query
from finboard.contract.search_newest import pg_search_newest_ids, uses_search_newest
from finboard.contract.search_synonyms import pg_search_tsquery
from finboard.rawsql.statements import search_total_sql

from .models import (
    AuthorCounter,
    CashtagCounter,
    Category,
    CategoryCounter,
    Comment,
    Post,
    User,
    UTCDateTimeField,
)

# finboard.core.read_statements.ordering as Django order_by() arguments; with a cashtag
# filter the (created_at, id) pair is read from the joined post_cashtags row.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "new": ("-{created}", "-{id}"),
    "old": ("{created}", "{id}"),
    "comments": ("-comment_count", "-{created}", "-{id}"),
    "hot": ("-hot_score", "-{created}", "-{id}"),
    "top": ("-reaction_count", "-{created}", "-{id}"),
}
# The count leading a counted sort (finboard.contract.pagination.COUNTED_SORTS).
COUNT_FIELDS = {"comments": "comment_count", "hot": "hot_score", "top": "reaction_count"}
CASHTAG_SORT_FIELDS = {"created": "cashtag_rows__created_at", "id": "cashtag_rows__post_id"}
POST_SORT_FIELDS = {"created": "created_at", "id": "id"}


PG_SEARCH_PREDICATE = f'"posts"."search_vector" @@ {pg_search_tsquery("%s")}'


def search_predicate(search: str, vendor: str) -> RawSQL:
    """Full-text match, always with the user's text as a bound parameter.

    PostgreSQL: the generated ``search_vector`` column (not a model field, it
    exists only in the database). SQLite: the ``posts_fts`` FTS5 table, with
    the text turned into a safe FTS5 query by the shared helper.
    """
    if vendor == "postgresql":
        return RawSQL(  # noqa: S611  # nosec B611 - constant SQL text (the contract's synonyms); the search is bound
            PG_SEARCH_PREDICATE,
            (search,),
            output_field=BooleanField(),
        )
    fts = sqlite_fts_query(search)
    if fts is None:
        return RawSQL("0 = 1", (), output_field=BooleanField())
    return RawSQL(
        '"posts"."id" IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH %s)',
        (fts,),
        output_field=BooleanField(),
    )


def search_newest_ids(search: str, cursor: Cursor | None, wanted: int) -> RawSQL:
    """``posts.id IN (the function's ids)``, every value bound."""
    at, ident = ("%s", "%s") if cursor else (None, None)
    params = (search, *((cursor.created_at, cursor.id) if cursor else ()), wanted)
    return RawSQL(  # noqa: S611  # nosec B611 - constant SQL text; the values are bound
        f'"posts"."id" IN ({pg_search_newest_ids("%s", at, ident, "%s")})', params, output_field=BooleanField()
    )


def filtered_posts(
    filters: PostFilters, vendor: str, cursor: Cursor | None = None, wanted: int | None = None
) -> QuerySet[Post]:
    """finboard.core.read_statements._filtered: visible posts matching every filter given (and after ``cursor``).

    The cashtag filter and the keyset condition go into one ``filter()`` call:
    with a multi-valued relation Django gives every ``filter()`` call its own
    join, and the cursor must compare the *same* post_cashtags row. With ``wanted``
    (the rows a page needs from the cursor on), a search alone newest first is the
    ids ``finboard_search_newest`` picks (``finboard.contract.search_newest``).
    """
    posts = Post.objects.filter(hidden_at__isnull=True)  # hidden by a moderator: never listed
    if wanted is not None and uses_search_newest(given_filters(filters), filters.sort, vendor):
        return posts.filter(search_newest_ids(filters.search, cursor, wanted))
    if cursor is not None:
        after = _after(filters, cursor)
        if filters.cashtag:
            after &= Q(cashtag_rows__ticker=filters.cashtag)
        posts = posts.filter(after)
    if filters.category:
        posts = posts.filter(category__slug=filters.category)
    if filters.author:
        # lower(username) = lower(x), lowered in Python like the reference
        # (not Django's iexact, which compares UPPER() on PostgreSQL).
        posts = posts.alias(author_username_lower=Lower("author__username")).filter(
            author_username_lower=filters.author.lower()
        )
    if filters.cashtag and cursor is None:
        posts = posts.filter(cashtag_rows__ticker=filters.cashtag)
    if filters.since:
        posts = posts.filter(created_at__gte=filters.since)
    if filters.until:
        posts = posts.filter(created_at__lte=filters.until)
    if filters.search:
        posts = posts.filter(search_predicate(filters.search, vendor))
    if filters.top_since:
        posts = posts.filter(created_at__gte=filters.top_since)
    return posts


def _sort_fields(filters: PostFilters) -> dict[str, str]:
    return CASHTAG_SORT_FIELDS if filters.cashtag else POST_SORT_FIELDS


def _after(filters: PostFilters, cursor: Cursor) -> Q:
    """finboard.core.read_statements._after: strictly after the cursor, with a leading bound for the index."""
    fields = _sort_fields(filters)
    created, ident = fields["created"], fields["id"]
    if filters.sort == "old":
        return Q(**{f"{created}__gte": cursor.created_at}) & (
            Q(**{f"{created}__gt": cursor.created_at}) | Q(**{f"{ident}__gt": cursor.id})
        )
    older = Q(**{f"{created}__lt": cursor.created_at}) | Q(**{created: cursor.created_at, f"{ident}__lt": cursor.id})
    count = COUNT_FIELDS.get(filters.sort)
    if count is not None:
        return Q(**{f"{count}__lte": cursor.comment_count}) & (Q(**{f"{count}__lt": cursor.comment_count}) | older)
    return Q(**{f"{created}__lte": cursor.created_at}) & (
        Q(**{f"{created}__lt": cursor.created_at}) | Q(**{f"{ident}__lt": cursor.id})
    )


def post_page(posts: QuerySet[Post], filters: PostFilters, per_page: int, page: int, cursor: Cursor | None) -> list:
    """Up to per_page + 1 posts (the extra one says a next page exists), by offset or after a cursor.

    ``posts`` comes from ``filtered_posts(..., cursor)``, which applied the keyset condition.
    """
    fields = _sort_fields(filters)
    order = [field.format(**fields) for field in ORDERINGS[filters.sort]]
    posts = posts.select_related("author", "category")
    offset = 0 if cursor is not None else (page - 1) * per_page
    return list(posts.order_by(*order)[offset : offset + per_page + 1])


def post_total(posts: QuerySet[Post], filters: PostFilters, vendor: str) -> tuple[tuple | None, str]:
    """finboard.core.read_statements.post_total_statement: (first row, kind) for ``pagination.listing_total``."""
    only = given_filters(filters)
    if not only:
        return (CategoryCounter.objects.aggregate(total=Coalesce(Sum("post_count"), Value(0)))["total"],), EXACT
    if only == {"category"}:
        counter = CategoryCounter.objects.filter(category__slug=filters.category)
    elif only == {"author"}:
        counter = AuthorCounter.objects.alias(username_lower=Lower("author__username")).filter(
            username_lower=filters.author.lower()
        )
    elif only == {"cashtag"}:
        counter = CashtagCounter.objects.filter(ticker=filters.cashtag)
    elif only == {"search"} and vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(search_total_sql("%s"), [filters.search, filters.search])
            return cursor.fetchone(), ESTIMATED
    else:
        return (posts.order_by()[: EXACT_TOTAL_MAX + 1].count(),), CAPPED
    return (sum(counter.values_list("post_count", flat=True)[:1]),), EXACT


def post_with_author_and_category(post_id: int) -> Post | None:
    return Post.objects.select_related("author", "category").filter(id=post_id, hidden_at__isnull=True).first()


def comments(post_id: int, limit: int, offset: int = 0, newest_first: bool = True) -> list[Comment]:
    order = ("-created_at", "-id") if newest_first else ("created_at", "id")
    rows = Comment.objects.select_related("author").filter(post_id=post_id, hidden_at__isnull=True).order_by(*order)
    return list(rows[offset : offset + limit])


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("position", "id")


def category_stats() -> QuerySet:
    """Per category: counts from the counter row, newest post by index — one query."""
    newest = (
        Post.objects.filter(category_id=OuterRef("id"), hidden_at__isnull=True)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Category.objects.values("id", "slug", "name", "position")
        .annotate(
            post_count=Coalesce("counter__post_count", Value(0)),
            comment_count=Coalesce("counter__comment_count", Value(0)),
            author_count=Coalesce("counter__author_count", Value(0)),
            newest_post_at=Subquery(newest, output_field=UTCDateTimeField()),
        )
        .order_by("position", "id")
    )


def user_by_login(login: str) -> User | None:
    """A user by email (when the login has an '@') or by username, case-insensitively; an
    address names its owner, else its one unconfirmed holder (finboard.core.account_queries)."""
    login = login.strip()
    if "@" in login:
        email = login.lower()
        others = User.objects.filter(email=email).exclude(id=OuterRef("id"))
        return User.objects.filter(Q(email_verified_at__isnull=False) | ~Exists(others), email=email).first()
    return _by_username(login).first()


def _by_username(username: str) -> QuerySet[User]:
    return User.objects.alias(username_lower=Lower("username")).filter(username_lower=username.lower())


def named_target_exists(kind: str, value: str) -> bool:
    """Whether the category or member a listing filter names exists (``post_filters.named_targets``)."""
    if kind == "category":
        return Category.objects.filter(slug=value).exists()
    return _by_username(value).exists()


def username_taken(username: str) -> bool:
    return _by_username(username).exists()
