"""The reaction tables (migration 0014): one row per member and post, and per member and comment.

Kept apart from ``finboard.core.models`` (which imports this module at its end, so
``Base.metadata`` is always complete). The primary key (item, member) is the rule "one
reaction per member per item": writers upsert on it (``finboard.core.reaction_service``),
so a double click or two identical requests at once leave one row. Triggers keep
``posts.reaction_count`` / ``comments.reaction_count`` and the post's ``hot_score``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from finboard.contract.reactions import REACTION_KIND_MAX, REACTION_KINDS
from finboard.core.models import Base, UTCDateTime, utcnow

KIND_CHECK = "kind IN (" + ", ".join(f"'{kind}'" for kind in REACTION_KINDS) + ")"


class PostReaction(Base):
    __tablename__ = "post_reactions"
    __table_args__ = (
        CheckConstraint(KIND_CHECK, name="kind_valid"),
        Index("ix_post_reactions_user_id", "user_id"),
        Index("ix_post_reactions_created_at", "created_at"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(REACTION_KIND_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommentReaction(Base):
    __tablename__ = "comment_reactions"
    __table_args__ = (
        CheckConstraint(KIND_CHECK, name="kind_valid"),
        Index("ix_comment_reactions_user_id", "user_id"),
        Index("ix_comment_reactions_created_at", "created_at"),
    )

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(REACTION_KIND_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
