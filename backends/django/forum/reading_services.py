"""Read state and bookmarks on the Django ORM, as finboard.core.reading_service.

Marking read is two idempotent statements in one transaction: create the row if absent
(``ignore_conflicts``), then move ``last_read_comment_id`` up only (a filtered UPDATE), so
concurrent opens leave one row and never move the mark back.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

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

from . import lookups, watches
from .models import Bookmark, Comment, Post, PostRead, User


def _progress(user_id: int, post_id: int) -> tuple[ReadState, int]:
    """The member's read state of the post, and its newest visible comment id (0 if none)."""
    last_read = (
        PostRead.objects.filter(user_id=user_id, post_id=post_id).values_list("last_read_comment_id", flat=True).first()
    )
    news = Q(id__gt=last_read or 0) & ~Q(author_id=user_id)
    seen = Comment.objects.filter(post_id=post_id, hidden_at__isnull=True).aggregate(
        latest=Max("id"), unread=Count("id", filter=news), first_unread=Min("id", filter=news)
    )
    state = read_state(post_id, last_read, seen["unread"], seen["first_unread"])
    return state, seen["latest"] or 0


def read_state_of(user: User, post_id: int) -> ReadState:
    lookups.visible_post(post_id)
    return _progress(user.id, post_id)[0]


def read_states(user: User, query: ReadStateQuery) -> ReadStateList:
    """The read state of a listing page's posts: the visible ones, the member's rows, their news."""
    ids = query.ids
    visible = set(Post.objects.filter(id__in=ids, hidden_at__isnull=True).values_list("id", flat=True))
    mine = PostRead.objects.filter(user_id=user.id)
    last_read = dict(mine.filter(post_id__in=ids).values_list("post_id", "last_read_comment_id"))
    seen_up_to = Subquery(mine.filter(post_id=OuterRef("post_id")).values("last_read_comment_id")[:1])
    news = (
        Comment.objects.filter(post_id__in=list(last_read), hidden_at__isnull=True)
        .exclude(author_id=user.id)
        .annotate(seen_up_to=seen_up_to)
        .filter(id__gt=F("seen_up_to"))
        .values("post_id")
        .annotate(unread=Count("id"), first=Min("id"))
        .order_by()
    )
    unread = {row["post_id"]: (row["unread"], row["first"]) for row in news}
    return ReadStateList(
        items=[read_state(pid, last_read.get(pid), *unread.get(pid, (0, None))) for pid in ids if pid in visible]
    )


def mark_read(user: User, post_id: int) -> ReadState:
    lookups.visible_post(post_id)
    state, latest = _progress(user.id, post_id)
    last_read = state.last_read_comment_id
    if last_read is None or last_read < latest:
        try:
            with transaction.atomic():
                now = timezone.now()
                PostRead.objects.bulk_create(
                    [PostRead(user_id=user.id, post_id=post_id, last_read_comment_id=latest, read_at=now)],
                    ignore_conflicts=True,
                )
                PostRead.objects.filter(user_id=user.id, post_id=post_id, last_read_comment_id__lt=latest).update(
                    last_read_comment_id=latest, read_at=now
                )
        except IntegrityError:  # the post was deleted between the check and the insert
            raise ApiError(404, "post_not_found") from None
    return read_state(post_id, max(latest, last_read or 0), 0, None)


def set_bookmark(user: User, post_id: int, bookmarking: bool) -> BookmarkState:
    lookups.visible_post(post_id)
    try:
        with transaction.atomic():
            watches.set_watch(Bookmark, bookmarking, user_id=user.id, post_id=post_id)
    except IntegrityError:  # the post was deleted between the check and the insert
        raise ApiError(404, "post_not_found") from None
    return BookmarkState(bookmarked=bookmarking)


def bookmarks(user: User, query: BookmarkQuery) -> BookmarkPage:
    """The member's bookmarked visible posts, newest bookmark first, by keyset."""
    rows = Bookmark.objects.filter(user_id=user.id, post__hidden_at__isnull=True)
    if query.after is not None:
        at, post_id = query.after
        rows = rows.filter(Q(created_at__lt=at) | Q(created_at=at, post_id__lt=post_id))
    chosen = rows.select_related("post__author", "post__category").order_by("-created_at", "-post_id")
    return bookmark_page([(b.created_at, post_public(b.post)) for b in chosen[: query.per_page + 1]], query.per_page)
