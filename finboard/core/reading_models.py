"""The tables of what a member has read and saved (migration 0016).

Kept apart from ``finboard.core.models`` (which imports this module at its end, so
``Base.metadata`` is always complete):

- ``post_reads``: per member and post, the highest comment id they had seen when they last
  opened the post. Comment ids only grow, so "new comments" are the visible comments with a
  larger id, by someone else — no per-comment rows, and one row per opened post.
- ``bookmarks``: a post a member saved, with when; the primary key makes a bookmark
  idempotent (a double click is one row), ``ix_bookmarks_user_created`` serves the
  ``/bookmarks`` keyset (newest bookmarked first).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from finboard.core.models import Base, UTCDateTime, utcnow


class PostRead(Base):
    __tablename__ = "post_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_comment_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bookmark(Base):
    __tablename__ = "bookmarks"
    __table_args__ = (Index("ix_bookmarks_user_created", "user_id", "created_at", "post_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
