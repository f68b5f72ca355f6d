"""The tables that make notification mail and digests happen once (migration 0013).

Kept apart from ``finboard.core.models`` (``account_models`` imports this module at its
end, so ``Base.metadata`` is always complete):

- ``notification_emails``: one row per notification mailed at once. The mail job inserts
  it in the transaction that sends (queued) or before sending (embedded): a job run twice,
  or two workers on one job, find the row and send nothing the second time;
- ``digest_sends``: one row per member, period (``daily``/``weekly``) and period start. The
  digest job inserts it before composing; the unique key makes a second run of the same
  period (cron and the scheduler both, two workers) send nothing;
- ``unsubscribe_uses``: the nonce of every unsubscribe link followed, so each link works
  once (finboard.core.unsubscribe).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from finboard.core.models import Base, UTCDateTime, utcnow


class NotificationEmail(Base):
    __tablename__ = "notification_emails"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestSend(Base):
    __tablename__ = "digest_sends"
    __table_args__ = (Index("uq_digest_sends_user_period", "user_id", "period", "period_start", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnsubscribeUse(Base):
    __tablename__ = "unsubscribe_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def claim(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert the row unless its key is taken (``ON CONFLICT DO NOTHING``): True when this
    transaction took it. A concurrent claim waits for the first one's transaction: it finds the
    row if that committed, takes it if that rolled back. (No savepoint: pysqlite's would commit.)"""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    key = model.__table__.primary_key.columns.values()[0]
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None  # RETURNING: a row iff inserted
