"""What makes the demo board look run by people: staff accounts, pinned posts, open reports.

``flask seed`` adds these to the generated rows (``seed(..., demo=True)``); the benchmark's
seeding does not (its tables stay the generator's alone). A handful of rows, written
with the ORM in the seed's transaction: its cost does not grow with the seed's size.

- The first two seeded accounts become ``demo_admin`` (admin) and ``demo_mod``
  (moderator), with the seeded accounts' password ``DEMO_PASSWORD`` (README, *Two commands*).
- The newest post of each of the first ``PINNED`` categories is pinned (the moderator's
  act, in the moderation log).
- ``REPORTS`` open reports by seeded members, on posts and on a comment, for the
  moderation queue.
- Reactions on the newest posts and replies under a few threads
  (``finboard.core.seeding.demo_engagement``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from finboard.contract.moderation import ReportCreate
from finboard.contract.reports import report_row
from finboard.core.models import Comment, Post, Report, User
from finboard.core.moderation_transitions import log_action
from finboard.core.seeding.demo_engagement import add_engagement
from finboard.core.seeding.plan import Plan, epoch_datetime

STAFF = (("demo_admin", "admin"), ("demo_mod", "moderator"))
PINNED = 3
REPORT_REASONS = (
    "Pump and dump: the same ticker pushed in every thread.",
    "Reads like paid promotion without a disclosure.",
    "Personal attack in the last paragraph.",
)
REPORTS = len(REPORT_REASONS)


@dataclass(frozen=True)
class DemoExtras:
    staff: tuple[str, ...]  # usernames
    pinned: int
    reports: int
    reactions: int = 0
    replies: int = 0

    def summary(self) -> str:
        staff = ", ".join(f"{name} ({role})" for (name, role) in zip(self.staff, (r for _, r in STAFF), strict=False))
        accounts = f"Demo staff: {staff}. " if staff else ""
        return (
            f"{accounts}{self.pinned} pinned posts, {self.reports} open reports, {self.reactions} reactions, "
            f"{self.replies} replies."
        )


def add_demo_extras(session: Session, plan: Plan) -> DemoExtras:
    """Staff accounts, pins and reports on the rows ``plan`` just wrote (flushed, not committed)."""
    at = epoch_datetime(plan.anchor)
    staff = _staff(session, plan)
    moderator = session.get(User, plan.user_base + 2) if len(staff) == len(STAFF) else None
    pinned = _pin(session, plan, moderator)
    reports = _report(session, plan, at)
    session.flush()  # the comment counts the replies are placed by
    reactions, replies = add_engagement(session, plan, at)
    session.flush()
    return DemoExtras(staff=staff, pinned=pinned, reports=reports, reactions=reactions, replies=replies)


def _staff(session: Session, plan: Plan) -> tuple[str, ...]:
    """The first seeded accounts, renamed and given their role (none when posts went to existing users,
    nor when an earlier seed made them already)."""
    names = [name for name, _ in STAFF]
    if plan.users < len(STAFF) or session.scalar(select(User.id).where(User.username.in_(names)).limit(1)):
        return ()
    for offset, (name, role) in enumerate(STAFF, start=1):
        session.execute(
            update(User)
            .where(User.id == plan.user_base + offset)
            .values(username=name, email=f"{name}@example.com", role=role)
        )
    return tuple(name for name, _ in STAFF)


def _pin(session: Session, plan: Plan, moderator: User | None) -> int:
    pinned = 0
    for category_id, _slug in plan.categories[:PINNED]:
        newest = session.scalars(
            select(Post)
            .where(Post.category_id == category_id, Post.id > plan.post_base)
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(1)
        ).first()
        if newest is None:
            continue
        newest.pinned = True
        if moderator is not None:
            log_action(session, moderator, "pin", "post", newest.id, newest.title, "Good primer for newcomers.")
        pinned += 1
    return pinned


def _report(session: Session, plan: Plan, at: datetime) -> int:
    """Open reports on a few of the newest seeded posts (the last one on a comment), by a member."""
    authors = plan.authors
    if not authors:
        return 0
    reporter = authors[-1]
    posts = session.scalars(
        select(Post)
        .where(Post.id > plan.post_base, Post.author_id != reporter)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(REPORTS)
    ).all()
    filed = 0
    for post, reason in zip(posts, REPORT_REASONS, strict=False):
        comment = None
        if filed == REPORTS - 1:
            comment = session.scalars(
                select(Comment).where(Comment.post_id == post.id).order_by(Comment.id).limit(1)
            ).first()
        payload = ReportCreate(post_id=post.id, comment_id=comment.id if comment else None, reason=reason)
        session.add(Report(**report_row(reporter, payload, post, comment or post, at)))
        filed += 1
    return filed
