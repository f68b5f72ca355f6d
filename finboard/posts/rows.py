"""The pages' posts and comments as light objects, from their cached row documents.

A page read used to parse the API's cached JSON back into pydantic models (``PostPage``,
``PostPublic``, ``CommentPage``): validation of every field of every post on every render,
for data the database had already validated. The pages now read their own row documents
(``finboard.rawsql.page_rows``, cached like the API's reads and retired by the same writes;
``finboard.reads.page_*_rows``) with one ``orjson.loads`` into ``__slots__`` objects that
answer the attributes the templates and the shared rules use (``post.author.username``,
``post.cashtags``, ``comment.parent_id``…), so ``MemberFilter``, ``reading_marks`` and
``build_threads`` take them as they took the models. Times are ``Stamp`` objects: the
``reltime`` filter and ``finboard.posts.cards`` only add the words "3 h ago".
"""

from __future__ import annotations

from typing import NamedTuple

import orjson

from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.rawsql import page_rows as r
from finboard.reads import page_detail_rows, page_posts_rows
from finboard.relative_time import Stamp

_loads = orjson.loads


class Author(NamedTuple):
    id: int
    username: str


class CategoryRef(NamedTuple):
    id: int
    slug: str
    name: str


class TickerView(NamedTuple):
    ticker: str
    sentiment: str


class Position(NamedTuple):
    ticker: str
    position: str


class PostRow:
    """A post as the pages show it (the fields of ``PostPublic``, the times as ``Stamp``)."""

    __slots__ = (
        "id",
        "title",
        "body",
        "author",
        "category",
        "cashtags",
        "comment_count",
        "created_at",
        "sentiment",
        "sentiments",
        "pinned",
        "locked",
        "edit_count",
        "reaction_count",
        "_row",
    )

    def __init__(self, row: list):
        self.id = row[r.ID]
        self.title = row[r.TITLE]
        self.body = row[r.BODY]
        self.author = Author(row[r.AUTHOR_ID], row[r.AUTHOR_NAME])
        self.category = CategoryRef(row[r.CATEGORY_ID], row[r.CATEGORY_SLUG], row[r.CATEGORY_NAME])
        self.cashtags = row[r.CASHTAGS]
        self.comment_count = row[r.COMMENTS]
        self.created_at = Stamp(*row[r.CREATED])
        self.sentiment = row[r.SENTIMENT]
        self.sentiments = [TickerView(t, v) for t, v in row[r.SENTIMENTS]] if row[r.SENTIMENTS] else []
        self.pinned = row[r.PINNED]
        self.locked = row[r.LOCKED]
        self.edit_count = row[r.EDITS]
        self.reaction_count = row[r.REACTIONS]
        self._row = row

    # Only the post page shows these: a listing's cards never build them.
    @property
    def updated_at(self) -> Stamp:
        return Stamp(*self._row[r.UPDATED])

    @property
    def positions(self) -> list[Position]:
        return [Position(t, p) for t, p in self._row[r.POSITIONS]]


class CommentRow:
    """A comment as the post page shows it (the fields of ``CommentPublic``)."""

    __slots__ = ("id", "post_id", "parent_id", "author", "body", "created_at", "reaction_count", "edit_count")

    def __init__(self, row: list):
        self.id = row[r.C_ID]
        self.post_id = row[r.C_POST_ID]
        self.parent_id = row[r.C_PARENT_ID]
        self.author = Author(row[r.C_AUTHOR_ID], row[r.C_AUTHOR_NAME])
        self.body = row[r.C_BODY]
        self.created_at = Stamp(*row[r.C_CREATED])
        self.reaction_count = row[r.C_REACTIONS]
        self.edit_count = row[r.C_EDITS]


class Listing:
    """A page of posts: ``PostPage``'s envelope (page is None on a cursor page) and its rows."""

    __slots__ = ("page", "per_page", "total", "pages", "total_exact", "next_cursor", "items")

    def __init__(self, document: dict):
        self.page = document["page"]
        self.per_page = document["per_page"]
        self.total = document["total"]
        self.pages = document["pages"]
        self.total_exact = document["total_exact"]
        self.next_cursor = document["next_cursor"]
        self.items = [PostRow(row) for row in document["items"]]


class CommentPage:
    """A numbered page of comments: ``CommentPage``'s envelope and its rows."""

    __slots__ = ("page", "per_page", "total", "pages", "items")

    def __init__(self, document: dict):
        self.page = document["page"]
        self.per_page = document["per_page"]
        self.total = document["total"]
        self.pages = document["pages"]
        self.items = [CommentRow(row) for row in document["items"]]


def list_posts(query: PostListQuery) -> Listing:
    """A listing page (ApiError as ``finboard.reads.posts_json``: a named member who does not exist)."""
    return Listing(_loads(page_posts_rows(query)))


def get_post_with_comments(post_id: int, query: PageQuery) -> tuple[PostRow, CommentPage] | None:
    """The post page's post and its page of comments (one cached document); None when the post
    is missing or hidden."""
    document = page_detail_rows(post_id, query)
    if not document:
        return None
    post, comments = _loads(document)
    return PostRow(post), CommentPage(comments)
