"""The uploads table (migration 0017): who uploaded which image, so it is attributable.

The image itself is a content-addressed file (``finboard.core.media``); a row says that
this member uploaded it, when, and how big it is. One row per (member, image): the same
picture uploaded twice by one member is one row (``INSERT … ON CONFLICT DO NOTHING``),
by two members two rows naming one file. A moderator deleting an image deletes its file
and every row naming it. ``ix_uploads_user_created`` serves the hourly allowance.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finboard.core.models import Base, UTCDateTime, utcnow


class Upload(Base):
    __tablename__ = "uploads"
    __table_args__ = (
        Index("uq_uploads_user_sha256", "user_id", "sha256", unique=True),
        Index("ix_uploads_user_created", "user_id", "created_at"),
        Index("ix_uploads_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
