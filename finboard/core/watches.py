"""Watch rows (post, category, ticker): added and removed idempotently, races included."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from finboard.core.models import PostWatch


def insert_if_absent(session: Session, model, **fields) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on the primary key: True when the row is new (safe under races)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return session.execute(insert(model).values(**fields).on_conflict_do_nothing()).rowcount > 0


def watch_post(session: Session, user_id: int, post_id: int) -> None:
    insert_if_absent(session, PostWatch, user_id=user_id, post_id=post_id)


def set_watch(session: Session, model, key: tuple, watching: bool) -> None:
    """Add or remove one watch row (post, category or ticker); either is idempotent, races included."""
    fields = dict(zip((c.name for c in model.__table__.primary_key.columns), key, strict=True))
    if watching:
        insert_if_absent(session, model, **fields)
    else:
        session.execute(delete(model).filter_by(**fields))
