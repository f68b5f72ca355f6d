"""The seeded rows written by batched multi-row INSERTs (SQLite and anything but PostgreSQL).

The database's own triggers keep the counters and the full-text index.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from finboard.core.models import Comment, Post, PostCashtag, User
from finboard.core.security import hash_password
from finboard.core.seeding.generator import Generator
from finboard.core.seeding.plan import DEMO_PASSWORD, Plan, epoch_datetime, resolve_authors
from finboard.core.seeding.progress import Reporter

BATCH = 5000  # rows per INSERT statement (generic writer)


SEEDED_POST_COLUMNS = (
    *("id", "author_id", "category_id", "title", "body", "cashtags", "comment_count", "created_at", "updated_at"),
    *("sentiment", "positions", "sentiments"),
)


def _insert(session: Session, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    batch: list[dict] = []
    written = 0
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= BATCH:
            session.execute(insert(model), batch)
            written += len(batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)
        written += len(batch)
    return written


def load_generic(session: Session, plan: Plan, report: Reporter) -> None:
    plan.user_base = session.scalar(select(func.coalesce(func.max(User.id), 0)))
    plan.post_base = session.scalar(select(func.coalesce(func.max(Post.id), 0)))
    plan.comment_base = session.scalar(select(func.coalesce(func.max(Comment.id), 0)))
    resolve_authors(session, plan)
    gen = Generator(plan)
    gen.assign_comments()
    password_hash = hash_password(DEMO_PASSWORD) if plan.users else ""
    n = _insert(
        session,
        User,
        ("id", "username", "email", "password_hash", "role", "token_version", "created_at", "email_verified_at"),
        (  # demo accounts count as verified: nobody can follow a link mailed to their made-up addresses
            (uid, name, email, password_hash, "member", 0, epoch_datetime(at), epoch_datetime(at))
            for uid, name, email, at in gen.users()
        ),
    )
    report("users", n)
    n = _insert(
        session,
        Post,
        SEEDED_POST_COLUMNS,
        ((*row[:7], epoch_datetime(row[7]), epoch_datetime(row[7]), *row[8:]) for row in gen.posts()),
    )
    report("posts", n)
    n = _insert(
        session,
        PostCashtag,
        ("ticker", "post_id", "created_at"),
        ((t, p, epoch_datetime(at)) for t, p, at in gen.cashtags()),
    )
    report("post_cashtags", n)
    n = _insert(
        session,
        Comment,
        ("id", "post_id", "author_id", "body", "created_at"),
        ((*row[:4], epoch_datetime(row[4])) for row in gen.comments()),
    )
    report("comments", n)
    session.flush()
