"""The tables of a member's own data: exports they asked for, and leaving (migration 0013).

``data_exports``: one row per "Download my data". The job builds the ZIP under
``EXPORT_DIR`` with the row's unguessable ``file_name`` (and sets ``ready_at`` and
``expires_at``), then mails the link (``mailed_at``: a retried job does not mail twice).
Only the member who asked can download it (the row's ``user_id``), until ``expires_at``.

``account_deletions``: a member who asked to delete their account, until ``delete_after``
(the grace period); ``keep_content`` is their choice of keeping posts and comments under
"deleted member" or removing them. Cancelling deletes the row; the purge job anonymises
the account once the time has come (finboard.core.account_deletion).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finboard.core.models import Base, UTCDateTime, utcnow


class DataExport(Base):
    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)


class AccountDeletion(Base):
    __tablename__ = "account_deletions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    keep_content: Mapped[bool] = mapped_column(Boolean)
