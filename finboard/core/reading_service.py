"""Unread and saved on a sync SQLAlchemy ``Session``: read state per post, bookmarks.

The rules are ``finboard.contract.reading``'s. Marking read is an upsert that only ever
moves ``last_read_comment_id`` up (``ON CONFLICT ... DO UPDATE ... WHERE`` the stored id
is lower), so two opens at once leave one row and an older view never un-reads a newer
one; when nothing changed there is no write at all. Neither marking read nor bookmarking
retires the shared cache: both are per member, and no cached document holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, case, func, literal_column, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from finboard.contract.errors import ApiError
from finboard.contract.reading import (
    BookmarkPage,
    BookmarkQuery,
    BookmarkState,
    ReadState,
    ReadStateList,
    ReadStateQuery,
    bookmark_page,
    read_state,
)
from finboard.contract.serializers import post_public
from finboard.core import lookups, watches
from finboard.core.models import Comment, Post, utcnow
from finboard.core.reading_models import Bookmark, PostRead


@dataclass(frozen=True)
class PostProgress:
    """What the post page needs: the read state *before* this visit, and the newest comment id."""

    state: ReadState
    latest_comment_id: int


@dataclass(frozen=True)
class CardMarks:
    """A listing card's per-member marks."""

    unread: int = 0
    bookmarked: bool = False


NO_MARKS = CardMarks()


def _upsert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


_READER_ID = bindparam("user_id", type_=Integer)  # the member, in every statement built below
_POST_ID = bindparam("post_id", type_=Integer)
_LAST_READ = (
    select(PostRead.last_read_comment_id)
    .where(PostRead.user_id == _READER_ID, PostRead.post_id == _POST_ID)
    .scalar_subquery()
)
_NEWS = and_(Comment.id > func.coalesce(_LAST_READ, 0), Comment.author_id != _READER_ID)
# The read row and one aggregate of the post's visible comments, in one round trip; built once.
_PROGRESS = select(
    _LAST_READ,
    func.coalesce(func.max(Comment.id), 0),
    func.count(case((_NEWS, 1))),
    func.min(case((_NEWS, Comment.id))),
).where(Comment.post_id == _POST_ID, Comment.hidden_at.is_(None))


def progress(session: Session, user_id: int, post_id: int) -> PostProgress:
    """The member's read state of a post: one statement (the row by primary key, one aggregate
    of the comments by the post's index)."""
    last_read, latest, unread, first_unread = session.execute(_PROGRESS, {"user_id": user_id, "post_id": post_id}).one()
    return PostProgress(state=read_state(post_id, last_read, unread, first_unread), latest_comment_id=latest)


def record_read(session: Session, user_id: int, post_id: int, seen: PostProgress) -> bool:
    """Mark the post read up to ``seen.latest_comment_id``; no statement when nothing changed.

    Commits when it wrote. True when it wrote (a first visit, or newer comments).
    """
    last_read = seen.state.last_read_comment_id
    if last_read is not None and last_read >= seen.latest_comment_id:
        return False
    insert = _upsert(session)
    statement = insert(PostRead).values(
        user_id=user_id, post_id=post_id, last_read_comment_id=seen.latest_comment_id, read_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=[PostRead.user_id, PostRead.post_id],
        set_={
            "last_read_comment_id": statement.excluded.last_read_comment_id,
            "read_at": statement.excluded.read_at,
        },
        where=PostRead.last_read_comment_id < statement.excluded.last_read_comment_id,
    )
    try:
        session.execute(statement)
        session.commit()
    except IntegrityError:  # the post was deleted meanwhile: nothing to remember
        session.rollback()
        return False
    return True


def read_state_of(session: Session, user, post_id: int) -> ReadState:
    """``GET /posts/{id}/read``: the member's read state of a visible post."""
    lookups.visible_post(session, post_id)
    return progress(session, user.id, post_id).state


def read_states(session: Session, user, query: ReadStateQuery) -> ReadStateList:
    """``GET /read-states?post_ids=``: the read state of a listing page's posts in three queries."""
    ids = query.ids
    visible = set(session.scalars(select(Post.id).where(Post.id.in_(ids), Post.hidden_at.is_(None))))
    rows = select(PostRead.post_id, PostRead.last_read_comment_id).where(
        PostRead.user_id == user.id, PostRead.post_id.in_(ids)
    )
    last_read = dict(session.execute(rows).all())
    news = (
        select(Comment.post_id, func.count(Comment.id), func.min(Comment.id))
        .join(PostRead, and_(PostRead.post_id == Comment.post_id, PostRead.user_id == user.id))
        .where(
            Comment.post_id.in_(ids),
            Comment.id > PostRead.last_read_comment_id,
            Comment.author_id != user.id,
            Comment.hidden_at.is_(None),
        )
        .group_by(Comment.post_id)
    )
    unread = {post_id: (count, first) for post_id, count, first in session.execute(news)}
    return ReadStateList(
        items=[read_state(pid, last_read.get(pid), *unread.get(pid, (0, None))) for pid in ids if pid in visible]
    )


def mark_read(session: Session, user, post_id: int) -> ReadState:
    """``POST /posts/{id}/read``: every visible comment of the post is read now."""
    lookups.visible_post(session, post_id)
    seen = progress(session, user.id, post_id)
    record_read(session, user.id, post_id, seen)
    last_read = max(seen.latest_comment_id, seen.state.last_read_comment_id or 0)
    return read_state(post_id, last_read, 0, None)


# A listing page's marks for one member, built once (a bound ``user_id`` and an expanding
# ``post_ids``): new-comment counts (``saved`` 0) and bookmarks (``saved`` 1) in one round trip.
_PAGE_IDS = bindparam("post_ids", expanding=True, type_=Integer)
_CARD_MARKS = union_all(
    select(PostRead.post_id, func.count(Comment.id).label("unread"), literal_column("0").label("saved"))
    .join(
        Comment,
        and_(
            Comment.post_id == PostRead.post_id,
            Comment.id > PostRead.last_read_comment_id,
            Comment.hidden_at.is_(None),
            Comment.author_id != _READER_ID,
        ),
    )
    .where(PostRead.user_id == _READER_ID, PostRead.post_id.in_(_PAGE_IDS))
    .group_by(PostRead.post_id),
    select(Bookmark.post_id, literal_column("0"), literal_column("1")).where(
        Bookmark.user_id == _READER_ID, Bookmark.post_id.in_(_PAGE_IDS)
    ),
)


def card_marks(session: Session, user_id: int, post_ids: list[int]) -> dict[int, CardMarks]:
    """New-comment counts and bookmarks of a page's posts for one member: one query for the page."""
    if not post_ids:
        return {}
    counts: dict[int, int] = {}
    bookmarked: set[int] = set()
    for post_id, count, is_saved in session.execute(_CARD_MARKS, {"user_id": user_id, "post_ids": post_ids}):
        if is_saved:
            bookmarked.add(post_id)
        else:
            counts[post_id] = count
    return {pid: CardMarks(unread=counts.get(pid, 0), bookmarked=pid in bookmarked) for pid in post_ids}


def set_bookmark(session: Session, user, post_id: int, bookmarking: bool) -> BookmarkState:
    """PUT/DELETE ``/posts/{id}/bookmark``: idempotent, a double request leaves one row."""
    lookups.visible_post(session, post_id)
    try:
        watches.set_watch(session, Bookmark, (user.id, post_id), bookmarking)
        session.commit()
    except IntegrityError:  # the post was deleted between the check and the insert
        session.rollback()
        raise ApiError(404, "post_not_found") from None
    return BookmarkState(bookmarked=bookmarking)


def is_bookmarked(session: Session, user, post_id: int) -> bool:
    return user is not None and session.get(Bookmark, (user.id, post_id)) is not None


def bookmarks(session: Session, user, query: BookmarkQuery) -> BookmarkPage:
    """The member's bookmarked visible posts, newest bookmark first, by keyset."""
    statement = (
        select(Bookmark.created_at, Post)
        .join(Post, Post.id == Bookmark.post_id)
        .join(Post.author)
        .join(Post.category)
        .options(contains_eager(Post.author), contains_eager(Post.category))
        .where(Bookmark.user_id == user.id, Post.hidden_at.is_(None))
    )
    after = query.after
    if after is not None:
        at, post_id = after
        statement = statement.where(
            or_(Bookmark.created_at < at, and_(Bookmark.created_at == at, Bookmark.post_id < post_id))
        )
    rows = session.execute(
        statement.order_by(Bookmark.created_at.desc(), Bookmark.post_id.desc()).limit(query.per_page + 1)
    ).all()
    return bookmark_page([(at, post_public(post)) for at, post in rows], query.per_page)
