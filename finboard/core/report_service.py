"""Reports on posts and comments: filing one, the moderators' queue, resolving one.

On a sync SQLAlchemy ``Session``; each write commits; each check raises the contract's
``ApiError`` in the order every backend answers in.
"""

from __future__ import annotations

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from finboard.contract.moderation import ReportCreate, ReportPage, ReportPublic, ReportQuery, ReportResolve
from finboard.contract.pagination import page_fields
from finboard.contract.permissions import require_acting_moderator, require_moderator, require_writer
from finboard.contract.reports import (
    already_reported,
    check_reported_comment,
    check_resolvable,
    report_row,
    report_target,
    resolve_refused,
)
from finboard.contract.serializers import report_public, report_user_ids
from finboard.core import lookups, moderation_transitions
from finboard.core.models import Comment, Post, Report, User, utcnow


def _report_public(session: Session, reports: list[Report]) -> list[ReportPublic]:
    post_ids = {r.post_id for r in reports if r.post_id}
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))} if post_ids else {}
    comment_ids = {r.comment_id for r in reports if r.comment_id}
    comments = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))}
    user_ids = set().union(*(report_user_ids(r) for r in reports)) if reports else set()
    users = lookups.users_by_id(session, user_ids)
    return [report_public(r, users, posts, comments) for r in reports]


def _lock_reporter(session: Session, user: User) -> None:
    """Serialize one member's reports (PostgreSQL: a row lock that does not block their other writes)."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def create_report(session: Session, user: User, payload: ReportCreate) -> ReportPublic:
    """Checked in order: suspension (403), post (404), comment of that post (404), an open duplicate (409).

    The duplicate check and the insert are one statement (INSERT ... SELECT ... WHERE NOT EXISTS),
    after a lock on the reporter's row on PostgreSQL: a double submit files one report, the other 409s.
    """
    require_writer(user)
    post = lookups.visible_post(session, payload.post_id)
    subject = post
    if payload.comment_id is not None:
        subject = session.get(Comment, payload.comment_id)
        check_reported_comment(subject, payload.post_id)
    _lock_reporter(session, user)
    duplicate = select(Report.id).where(
        Report.reporter_id == user.id,
        Report.post_id == payload.post_id,
        Report.comment_id.is_(None) if payload.comment_id is None else Report.comment_id == payload.comment_id,
        # A report on a deleted comment keeps its post but no comment id: it is not a report on the post.
        Report.target_type == report_target(payload),
        Report.status == "open",
    )
    row = report_row(user.id, payload, post, subject, utcnow())
    values = select(*(literal(v, type_=Report.__table__.c[k].type).label(k) for k, v in row.items()))
    insert_once = insert(Report).from_select(list(row), values.where(~duplicate.exists()))
    inserted = session.execute(insert_once.returning(Report.id)).first()
    if inserted is None:
        session.rollback()
        raise already_reported()
    (result,) = _report_public(session, [session.get(Report, inserted.id)])
    session.commit()
    return result


def reports(session: Session, moderator: User, query: ReportQuery) -> ReportPage:
    """Open reports oldest first (a queue); resolved ones newest first (a record)."""
    require_moderator(moderator)
    chosen = select(Report).where(Report.status == query.status)
    total = session.scalar(select(func.count()).select_from(chosen.subquery()))
    order = Report.id.asc() if query.status == "open" else Report.id.desc()
    rows = list(session.scalars(chosen.order_by(order).limit(query.per_page).offset((query.page - 1) * query.per_page)))
    return ReportPage(
        items=_report_public(session, rows),
        **page_fields(query, total),
    )


def resolve_report(session: Session, moderator: User, report_id: int, payload: ReportResolve) -> ReportPublic:
    require_acting_moderator(moderator)
    report = session.get(Report, report_id)
    check_resolvable(report)
    now = utcnow()
    guard = (
        update(Report)
        .where(Report.id == report_id, Report.status == "open")
        .values(status="resolved", resolution=payload.resolution, resolved_by_id=moderator.id, resolved_at=now)
    )
    if not moderation_transitions.changed(session, guard):  # resolved (or deleted) by a concurrent request
        session.rollback()
        raise resolve_refused(session.get(Report, report_id) is not None)
    session.refresh(report)
    moderation_transitions.log_action(
        session, moderator, "resolve", "report", report.id, report.reason, payload.resolution
    )
    (result,) = _report_public(session, [report])
    session.commit()
    return result
