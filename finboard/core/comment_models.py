"""A comment's earlier versions: what the author replaced with each edit (migration 0015).

Kept apart from ``finboard.core.models`` (the shared tables of the first features); the
comment itself carries ``parent_id`` and ``edit_count`` there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from finboard.core.models import Base, UTCDateTime, utcnow


class CommentRevision(Base):
    """A comment's body as it was before an edit (the edit's author and time)."""

    __tablename__ = "comment_revisions"
    __table_args__ = (Index("ix_comment_revisions_comment_id", "comment_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
