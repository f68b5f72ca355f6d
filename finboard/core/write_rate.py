"""The hourly write allowance (``finboard.contract.allowances``) counted on the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finboard.contract.allowances import check_hourly_allowance, hourly_limit
from finboard.core.models import Comment, Post, User, utcnow
from finboard.settings import Settings


def check_write_rate(session: Session, settings: Settings, user: User, kind: str) -> None:
    """429 once the account wrote its hourly allowance of posts or comments (one indexed count)."""
    now = utcnow()
    limit = hourly_limit(user, settings, kind, now)
    model = Post if kind == "post" else Comment
    since = now - timedelta(hours=1)
    recent = select(model.id).where(model.author_id == user.id, model.created_at > since).limit(limit + 1).subquery()
    check_hourly_allowance(user, settings, kind, now, limit, session.scalar(select(func.count()).select_from(recent)))
