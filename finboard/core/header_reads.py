"""What every page a member sees reads about them besides their session: the bell's unread
count and their blocks and mutes, in one round trip.

The header shows the count on every page, and the listings and the post page apply the
blocks and mutes (``finboard.members.blocking``); asked one after the other they were two
statements, each a round trip and a statement to execute per page. Here they are one
``UNION ALL`` built once: a row ``("unread", "<count>")`` (the count of
``notification_service.UNREAD_COUNT``, blocks and mutes excluded as there) and
``block_service.FILTER_ROWS``' rows, one per block and per mute. Portable (no arrays): the
same statement runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, literal, select, union_all
from sqlalchemy.orm import Session

from finboard.contract.blocks import MemberFilter
from finboard.core.block_service import FILTER_ROWS, filter_of
from finboard.core.notification_service import UNREAD_COUNT

_UNREAD = "unread"
_HEADER = union_all(select(literal(_UNREAD), cast(UNREAD_COUNT.scalar_subquery(), String(40))), *FILTER_ROWS)


@dataclass(frozen=True)
class MemberHeader:
    unread_notifications: int
    member_filter: MemberFilter


def member_header(session: Session, user_id: int) -> MemberHeader:
    rows = session.execute(_HEADER, {"user_id": user_id}).all()
    unread = next(int(term) for kind, term in rows if kind == _UNREAD)
    return MemberHeader(unread, filter_of(row for row in rows if row[0] != _UNREAD))
