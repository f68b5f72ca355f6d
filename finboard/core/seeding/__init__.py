"""Deterministic, realistic demo data, bulk-loaded.

The same ``--seed`` gives the same users, posts and comments on every run and
every database (the benchmark relies on that): rows come from one generator,
with random streams of their own per table, and their derived columns
(cashtags, comment counts, ``post_cashtags``) computed as they are made. Ids
are assigned here (above the current maximum), so rows can reference each
other without a round trip; no per-row ORM work and no per-user password
hashing (every seeded account shares one hash of ``DEMO_PASSWORD``).

The package, by job: ``catalogue`` (the demo text and its templates, by kind of ticker), ``demo``
(staff, pins and reports for ``flask seed``), ``plan`` (what to
generate, where the ids start), ``generator`` (the rows), and two writers that take the same
rows: ``postgres_writer`` (``COPY``, with a bulk mode for large loads) and ``generic_writer``
(batched INSERTs, SQLite). ``seed`` below picks the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from finboard.core.models import Category
from finboard.core.seeding.demo import DemoExtras, add_demo_extras
from finboard.core.seeding.generic_writer import load_generic
from finboard.core.seeding.plan import DEMO_PASSWORD, Plan
from finboard.core.seeding.postgres_writer import PostgresLoader
from finboard.core.seeding.progress import Progress, Reporter

__all__ = ["DEMO_PASSWORD", "SeedResult", "seed"]


@dataclass(frozen=True)
class SeedResult:
    users: int
    posts: int
    comments: int
    demo: DemoExtras | None = None


def seed(
    session: Session,
    *,
    users: int,
    posts: int,
    comments: int,
    seed: int = 42,
    anchor: datetime | None = None,
    progress: Progress | None = None,
    demo: bool = False,
) -> SeedResult:
    """Insert deterministic demo data in the session's transaction; the caller commits.

    Raises ValueError for impossible counts (negative, or comments without
    posts), RuntimeError when the database isn't ready (no categories, no
    authors) and sqlalchemy's IntegrityError when the rows clash with existing
    ones (this seed already loaded); roll back on any of them.

    ``anchor`` is the newest moment of the data (every post is from the year before it):
    now by default, so the demo's recent days are full; a fixed one makes a seed
    reproducible to the byte (the benchmark and the tests pass theirs). ``demo`` adds the
    staff accounts, pinned posts and open reports of ``finboard.core.seeding.demo``.
    """
    if min(users, posts, comments) < 0:
        raise ValueError("users, posts and comments can't be negative")
    if comments and not posts:
        raise ValueError("comments need posts")
    anchor = anchor or datetime.now(UTC).replace(second=0, microsecond=0)
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    categories = session.execute(select(Category.id, Category.slug).order_by(Category.position, Category.id)).all()
    if not categories:
        raise RuntimeError("no categories: run `flask db upgrade` first")
    plan = Plan(
        users=users,
        posts=posts,
        comments=comments,
        seed=seed,
        anchor=int(anchor.timestamp()),
        categories=[(cid, slug) for cid, slug in categories],
    )
    report = Reporter(progress)
    if session.get_bind().dialect.name == "postgresql":
        PostgresLoader(session, plan, report).load()
    else:
        load_generic(session, plan, report)
    extras = add_demo_extras(session, plan) if demo else None
    return SeedResult(users=users, posts=posts, comments=comments, demo=extras)
