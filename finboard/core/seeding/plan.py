"""What a seeding run generates and where its ids start; the seeded accounts' shared password.

Timestamps are epoch seconds until a writer formats them.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from finboard.core.models import User

DEMO_PASSWORD = "finboard-demo"


DAY = 86_400


YEAR = 365 * DAY


@dataclass
class Plan:
    """What to generate, and where the new ids start."""

    users: int
    posts: int
    comments: int
    seed: int
    anchor: int  # epoch seconds
    categories: list[tuple[int, str]]  # (id, slug), in display order
    user_base: int = 0
    post_base: int = 0
    comment_base: int = 0
    existing_authors: Sequence[int] = ()

    @property
    def authors(self) -> Sequence[int]:
        if self.users:
            return range(self.user_base + 1, self.user_base + self.users + 1)
        return self.existing_authors


def resolve_authors(session: Session, plan: Plan) -> None:
    """Seeded posts are by the seeded users or, with ``users=0``, by the existing ones."""
    if not plan.users and plan.posts:
        plan.existing_authors = array("i", session.scalars(select(User.id).order_by(User.id)))
        if not plan.existing_authors:
            raise RuntimeError("no users to author posts: seed with --users > 0")


def epoch_datetime(epoch: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)
