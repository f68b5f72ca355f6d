"""The tables of a member's account security and preferences (migration 0009).

Kept apart from ``finboard.core.models`` (which imports this module at its end, so
``Base.metadata`` is always complete): two-factor state, recovery codes, and the
per-kind notification preferences.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finboard.core.models import Base, UTCDateTime, utcnow

DELIVERIES = ("in_app", "email", "daily", "weekly", "off")


class TwoFactor(Base):
    """A member's TOTP enrolment. ``secret_encrypted`` is Fernet-encrypted (finboard.core.totp);
    ``enabled_at`` is null until a first code confirms it; ``last_used_step`` makes each
    code single-use (a conditional UPDATE takes it)."""

    __tablename__ = "user_two_factor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    last_used_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RecoveryCode(Base):
    """One single-use recovery code, stored as its SHA-256 only."""

    __tablename__ = "user_recovery_codes"
    __table_args__ = (Index("ix_user_recovery_codes_user_hash", "user_id", "code_hash", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)


class NotificationPreference(Base):
    """How a member wants one kind of notification delivered; no row means in-app."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        Index("uq_notification_preferences_user_kind", "user_id", "kind", unique=True),
        CheckConstraint(f"delivery IN ({', '.join(repr(d) for d in DELIVERIES)})", name="delivery_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    delivery: Mapped[str] = mapped_column(String(16))


# The notification-mail and digest tables (migration 0013), for the same reason models imports this.
import finboard.core.account_data_models  # noqa: E402,F401 - the data-export table, likewise
import finboard.core.mail_models  # noqa: E402,F401 - not a name: registers the tables on Base.metadata
