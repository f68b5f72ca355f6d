"""Rows to contract schemas, shared by every backend with an ORM.

Duck-typed on purpose: the SQLAlchemy models and the Django adapter's models
have the same attribute names, so both go through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from finboard.core.models import Category, Comment, Post, User, parse_positions
from finboard.core.pagination import listing_total, next_cursor
from finboard.core.schemas import (
    AuthorRef,
    CategoryPublic,
    CategoryRef,
    CategoryStats,
    CommentPage,
    CommentPublic,
    Page,
    PageQuery,
    Position,
    PostDetail,
    PostListQuery,
    PostPage,
    PostPublic,
    UserPublic,
)


def author_ref(user: User) -> AuthorRef:
    return AuthorRef(id=user.id, username=user.username)


def category_ref(category: Category) -> CategoryRef:
    return CategoryRef(id=category.id, slug=category.slug, name=category.name)


def category_public(category: Category) -> CategoryPublic:
    return CategoryPublic(id=category.id, slug=category.slug, name=category.name, description=category.description)


def user_public(user: User) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, created_at=user.created_at)


def post_public(post: Post) -> PostPublic:
    return PostPublic(
        id=post.id,
        title=post.title,
        body=post.body,
        author=author_ref(post.author),
        category=category_ref(post.category),
        cashtags=post.cashtag_list,
        comment_count=post.comment_count,
        created_at=post.created_at,
        updated_at=post.updated_at,
        sentiment=post.sentiment,
        positions=[Position(ticker=ticker, position=position) for ticker, position in parse_positions(post.positions)],
        pinned=bool(post.pinned),
        locked=bool(post.locked),
        edit_count=post.edit_count,
    )


def comment_public(comment: Comment) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        post_id=comment.post_id,
        author=author_ref(comment.author),
        body=comment.body,
        created_at=comment.created_at,
    )


def post_detail(post: Post, comments: Iterable[Comment]) -> PostDetail:
    return PostDetail(
        **post_public(post).model_dump(),
        comments=[comment_public(c) for c in comments],
    )


def category_stats(row) -> CategoryStats:
    return CategoryStats(
        id=row.id,
        slug=row.slug,
        name=row.name,
        post_count=row.post_count,
        comment_count=int(row.comment_count),
        author_count=row.author_count,
        newest_post_at=row.newest_post_at,
    )


def post_page(posts: list[Post], query: PostListQuery, total_row, total_kind: str) -> PostPage:
    """A page of posts with the pagination fields every backend computes the same way.

    ``posts`` holds up to ``per_page + 1`` rows (the extra one only says a next
    page exists); the total statement's first row and kind give the total.
    """
    total, exact = listing_total(total_kind, total_row)
    return PostPage(
        items=[post_public(p) for p in posts[: query.per_page]],
        page=None if query.cursor else query.page,
        per_page=query.per_page,
        total=total,
        pages=Page.count_pages(total, query.per_page),
        total_exact=exact,
        next_cursor=next_cursor(query.sort, posts, query.per_page),
    )


def comment_page(comments: Iterable[Comment], query: PageQuery, total: int) -> CommentPage:
    return CommentPage(
        items=[comment_public(c) for c in comments],
        page=query.page,
        per_page=query.per_page,
        total=total,
        pages=Page.count_pages(total, query.per_page),
    )
