"""What every page a member sees reads about them besides their session: the bell's unread
count and their blocks and mutes, as three columns that ride along in the session's own read.

The header shows the count on every page, and the listings and the post page apply the
blocks and mutes (``finboard.members.blocking``); asked one after the other they were two
statements, each a round trip per page. Here they are three scalar subqueries on one bound
``user_id`` (built once): ``finboard.auth.session.load_user`` adds them to its select of
the session's user (one round trip for the session, the bell and the filter), and
``member_header`` reads them alone for a user who was not loaded from a session cookie (the
request that logs in). The count is ``notification_service.UNREAD_COUNT`` (a blocked actor's
and a muted ticker's notifications left out); blocks and mutes are aggregated to strings
(``string_agg`` on PostgreSQL, ``group_concat`` on SQLite: no arrays, one statement for both).
A mute's term never holds a line break (``contract.blocks.normalize_mute``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from finboard.contract.blocks import MemberFilter
from finboard.core.models import UserBlock, UserMute
from finboard.core.notification_service import MEMBER_ID, UNREAD_COUNT

_BLOCKED_IDS = (
    select(func.aggregate_strings(cast(UserBlock.blocked_id, String(40)), ","))
    .where(UserBlock.blocker_id == MEMBER_ID)
    .scalar_subquery()
)
_MUTES = (
    select(func.aggregate_strings(UserMute.kind + ":" + UserMute.term, "\n"))
    .where(UserMute.user_id == MEMBER_ID)
    .scalar_subquery()
)
# unread count, "<id>,<id>" blocked, "<kind>:<term>\n…" muted (None when there are none).
COLUMNS = (UNREAD_COUNT.scalar_subquery(), _BLOCKED_IDS, _MUTES)
_HEADER = select(*COLUMNS)
_FILTER = select(_BLOCKED_IDS, _MUTES)


@dataclass(frozen=True)
class MemberHeader:
    unread_notifications: int
    member_filter: MemberFilter


def filter_of(blocked_ids: str | None, mutes: str | None) -> MemberFilter:
    """The member's filter from the blocks' and mutes' aggregated strings."""
    kinds_terms = (line.partition(":")[::2] for line in mutes.split("\n")) if mutes else ()
    return MemberFilter.of((int(i) for i in blocked_ids.split(",")) if blocked_ids else (), kinds_terms)


def header_of(unread: int, blocked_ids: str | None, mutes: str | None) -> MemberHeader:
    """The header from ``COLUMNS``' three values."""
    return MemberHeader(unread, filter_of(blocked_ids, mutes))


def member_filter(session: Session, user_id: int) -> MemberFilter:
    """The blocks and mutes alone (the API's feed, which shows no bell), in one round trip."""
    return filter_of(*session.execute(_FILTER, {"user_id": user_id}).one())


def member_header(session: Session, user_id: int) -> MemberHeader:
    """``COLUMNS`` alone, in one round trip."""
    return header_of(*session.execute(_HEADER, {"user_id": user_id}).one())
