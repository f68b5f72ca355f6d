"""Reports on the Django ORM: finboard.core.report_service's checks, in its order, with the same
``ApiError``; the answers are built by the shared duck-typed serializers, so the bytes are the
reference's.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from finboard.contract.moderation import ReportCreate, ReportPage, ReportPublic, ReportQuery, ReportResolve
from finboard.contract.pagination import page_fields, page_slice
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

from . import lookups, moderation_transitions
from .models import Comment, Post, Report, User


def _report_public(reports: list[Report]) -> list[ReportPublic]:
    posts = Post.objects.in_bulk({r.post_id for r in reports if r.post_id})
    comments = Comment.objects.in_bulk({r.comment_id for r in reports if r.comment_id})
    user_ids = set().union(*(report_user_ids(r) for r in reports)) if reports else set()
    users = lookups.users_by_id(user_ids)
    return [report_public(r, users, posts, comments) for r in reports]


def create_report(user: User, payload: ReportCreate) -> ReportPublic:
    """Checked in order: suspension (403), post (404), comment of that post (404), an open duplicate (409).

    As in the reference: a lock on the reporter's row, then the duplicate check, in one transaction."""
    require_writer(user)
    post = lookups.visible_post(payload.post_id)
    subject = post
    if payload.comment_id is not None:
        subject = Comment.objects.filter(id=payload.comment_id).first()
        check_reported_comment(subject, payload.post_id)
    with transaction.atomic():
        list(User.objects.select_for_update(no_key=True).filter(id=user.id).values_list("id", flat=True))
        duplicate = Report.objects.filter(
            reporter_id=user.id,
            post_id=payload.post_id,
            comment_id=payload.comment_id,
            target_type=report_target(payload),
            status="open",
        )
        if duplicate.exists():
            raise already_reported()
        report = Report.objects.create(**report_row(user.id, payload, post, subject, timezone.now()))
        (result,) = _report_public([report])
    return result


def reports(moderator: User, query: ReportQuery) -> ReportPage:
    """Open reports oldest first (a queue); resolved ones newest first (a record)."""
    require_moderator(moderator)
    chosen = Report.objects.filter(status=query.status)
    total = chosen.count()
    rows = list(chosen.order_by("id" if query.status == "open" else "-id")[page_slice(query)])
    return ReportPage(items=_report_public(rows), **page_fields(query, total))


def resolve_report(moderator: User, report_id: int, payload: ReportResolve) -> ReportPublic:
    require_acting_moderator(moderator)
    with transaction.atomic():
        report = Report.objects.filter(id=report_id).first()
        check_resolvable(report)
        report.status, report.resolution = "resolved", payload.resolution
        report.resolved_by_id, report.resolved_at = moderator.id, timezone.now()
        changed = Report.objects.filter(id=report_id, status="open").update(
            status="resolved",
            resolution=payload.resolution,
            resolved_by_id=moderator.id,
            resolved_at=report.resolved_at,
        )
        if not changed:  # resolved (or deleted) by a concurrent request
            raise resolve_refused(Report.objects.filter(id=report_id).exists())
        moderation_transitions.log_action(moderator, "resolve", "report", report.id, report.reason, payload.resolution)
        (result,) = _report_public([report])
    return result
