"""Blocks and mutes on a sync SQLAlchemy ``Session`` (the Flask app, and FastAPI through ``run_sync``).

The rules are ``finboard.contract.blocks``; here the rows. Each write is idempotent under
races: the row's primary key with ``INSERT … ON CONFLICT DO NOTHING`` (two identical
concurrent requests leave one row), and a new row is counted against its limit under the
member's row lock (``content_writes.lock_author``), as the ticker watchlist does.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from finboard.contract.blocks import (
    BlockList,
    MemberFilter,
    MuteList,
    check_block_room,
    check_block_target,
    check_mute_room,
    normalize_mute,
)
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostPage
from finboard.core import content_writes, header_reads, lookups, watch_service
from finboard.core.models import User, UserBlock, UserMute
from finboard.core.watches import insert_if_absent


def member_filter(session: Session, user_id: int) -> MemberFilter:
    """The member's blocks and mutes in one round trip (two primary-key range reads): the same
    aggregated columns the forum's pages read with the session (``finboard.core.header_reads``)."""
    return header_reads.member_filter(session, user_id)


def blocks(session: Session, user_id: int, blocked_id: int) -> bool:
    """Does ``user_id`` block ``blocked_id``?"""
    found = exists().where(UserBlock.blocker_id == user_id, UserBlock.blocked_id == blocked_id)
    return bool(session.scalar(select(found)))


def block_list(session: Session, user: User) -> BlockList:
    stmt = (
        select(User.username)
        .join(UserBlock, UserBlock.blocked_id == User.id)
        .where(UserBlock.blocker_id == user.id)
        .order_by(func.lower(User.username))
    )
    return BlockList(usernames=list(session.scalars(stmt)))


def set_block(session: Session, user: User, username: str, blocking: bool) -> BlockList:
    """Block or unblock a member by name: 404 unknown, 422 yourself or over ``BLOCKS_MAX``."""
    target = lookups.user_by_name(session, username)
    check_block_target(user.id, target.id)
    key = {"blocker_id": user.id, "blocked_id": target.id}
    if blocking:
        content_writes.lock_author(session, user.id)  # the count and the insert see no other block in between
        if session.get(UserBlock, (user.id, target.id)) is None:
            check_block_room(session.scalar(select(func.count()).where(UserBlock.blocker_id == user.id)))
            insert_if_absent(session, UserBlock, **key)
    else:
        session.execute(delete(UserBlock).filter_by(**key))
    session.commit()
    return block_list(session, user)


def mute_list(session: Session, user: User) -> MuteList:
    rows = session.execute(
        select(UserMute.kind, UserMute.term).where(UserMute.user_id == user.id).order_by(UserMute.term)
    ).all()
    return MuteList(
        words=[term for kind, term in rows if kind == "word"], tickers=[term for kind, term in rows if kind == "ticker"]
    )


def set_mute(session: Session, user: User, kind: str, raw: str, muting: bool) -> MuteList:
    """Mute or unmute a word or ticker: 422 for a bad term or over ``MUTES_MAX``."""
    term = normalize_mute(kind, raw)
    key = {"user_id": user.id, "kind": kind, "term": term}
    if muting:
        content_writes.lock_author(session, user.id)
        if session.get(UserMute, (user.id, kind, term)) is None:
            check_mute_room(session.scalar(select(func.count()).where(UserMute.user_id == user.id)), kind)
            insert_if_absent(session, UserMute, **key)
    else:
        session.execute(delete(UserMute).filter_by(**key))
    session.commit()
    return mute_list(session, user)


def feed(session: Session, user: User, query: PageQuery) -> PostPage:
    """The API's ``/feed``: the watchlist's posts less the member's mutes and blocked authors.

    Filtered after the page is read (``MemberFilter.kept``), so a page may hold fewer than
    ``per_page`` items and ``total`` counts before the filter; a member with no blocks or
    mutes reads exactly what they read before (one extra primary-key read).
    """
    page = watch_service.feed(session, user, query)
    chosen = member_filter(session, user.id)
    return page if chosen.empty else page.model_copy(update={"items": chosen.kept(page.items)})
