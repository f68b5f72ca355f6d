"""The SQL of finboard.core.queries, written with the Django ORM.

Same filters, same orderings, same number of statements: a page of posts is
one query with author and category joined in (select_related) plus one
count that joins only what the filters need.
"""

from __future__ import annotations

from django.db.models import BooleanField, Count, Max, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower

from finboard.core.queries import PostFilters, sqlite_fts_query

from .models import Category, Comment, Post, PostCashtag, User

# finboard.core.queries.ORDERINGS as Django order_by() arguments.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "new": ("-created_at", "-id"),
    "old": ("created_at", "id"),
    "comments": ("-comment_count", "-created_at", "-id"),
}


def search_predicate(search: str, vendor: str) -> RawSQL:
    """Full-text match, always with the user's text as a bound parameter.

    PostgreSQL: the generated ``search_vector`` column (not a model field, it
    exists only in the database). SQLite: the ``posts_fts`` FTS5 table, with
    the text turned into a safe FTS5 query by the shared helper.
    """
    if vendor == "postgresql":
        return RawSQL(
            '"posts"."search_vector" @@ websearch_to_tsquery(\'english\', %s)',
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


def filtered_posts(filters: PostFilters, vendor: str) -> QuerySet[Post]:
    """finboard.core.queries._filtered: posts matching every filter given."""
    posts = Post.objects.all()
    if filters.category:
        posts = posts.filter(category__slug=filters.category)
    if filters.author:
        # lower(username) = lower(x), lowered in Python like the reference
        # (not Django's iexact, which compares UPPER() on PostgreSQL).
        posts = posts.alias(author_username_lower=Lower("author__username")).filter(
            author_username_lower=filters.author.lower()
        )
    if filters.cashtag:
        posts = posts.filter(id__in=PostCashtag.objects.filter(ticker=filters.cashtag).values("post_id"))
    if filters.since:
        posts = posts.filter(created_at__gte=filters.since)
    if filters.until:
        posts = posts.filter(created_at__lte=filters.until)
    if filters.search:
        posts = posts.filter(search_predicate(filters.search, vendor))
    return posts


def post_page(posts: QuerySet[Post], sort: str, page: int, per_page: int) -> list[Post]:
    offset = (page - 1) * per_page
    return list(posts.select_related("author", "category").order_by(*ORDERINGS[sort])[offset : offset + per_page])


def post_with_author_and_category(post_id: int) -> Post | None:
    return Post.objects.select_related("author", "category").filter(id=post_id).first()


def comments(post_id: int, limit: int, offset: int = 0, newest_first: bool = True) -> list[Comment]:
    order = ("-created_at", "-id") if newest_first else ("created_at", "id")
    rows = Comment.objects.select_related("author").filter(post_id=post_id).order_by(*order)
    return list(rows[offset : offset + limit])


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("position", "id")


def category_stats() -> QuerySet:
    """Per category: posts, comments, distinct authors, newest post — one query."""
    return (
        Category.objects.values("id", "slug", "name", "position")
        .annotate(
            post_count=Count("posts__id"),
            comment_count=Coalesce(Sum("posts__comment_count"), Value(0)),
            author_count=Count("posts__author_id", distinct=True),
            newest_post_at=Max("posts__created_at"),
        )
        .order_by("position", "id")
    )


def user_by_login(login: str) -> User | None:
    """A user by email (when the login has an '@') or by username, case-insensitively."""
    login = login.strip()
    if "@" in login:
        return User.objects.filter(email=login.lower()).first()
    return _by_username(login).first()


def _by_username(username: str) -> QuerySet[User]:
    return User.objects.alias(username_lower=Lower("username")).filter(username_lower=username.lower())


def username_taken(username: str) -> bool:
    return _by_username(username).exists()


def email_taken(email: str) -> bool:
    return User.objects.filter(email=email.lower()).exists()
