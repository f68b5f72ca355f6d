"""Reports' rules: what may be reported, the snapshot a report keeps, when one may be resolved.

Pure: the post, comment and report arguments are rows of either ORM (duck-typed); each
persistence path runs its own statements and asks these for the decision and the answer.
"""

from __future__ import annotations

from datetime import datetime

from finboard.contract.errors import ApiError
from finboard.contract.moderation import ReportCreate


def report_target(payload: ReportCreate) -> str:
    """What a report is about: the comment it names, else the post."""
    return "post" if payload.comment_id is None else "comment"


def check_reported_comment(comment, post_id: int) -> None:
    """404 unless the reported comment exists, belongs to the reported post and is visible."""
    if comment is None or comment.post_id != post_id or comment.hidden_at is not None:
        raise ApiError(404, "comment_not_found")


def report_row(reporter_id: int, payload: ReportCreate, post, subject, now: datetime) -> dict:
    """A new open report's columns: the reported text is copied in, so the report outlives an edit or a delete."""
    return {
        "reporter_id": reporter_id,
        "post_id": payload.post_id,
        "comment_id": payload.comment_id,
        "target_type": report_target(payload),
        "title": post.title,
        "content": subject.body,
        "target_author_id": subject.author_id,
        "reason": payload.reason,
        "status": "open",
        "resolution": "",
        "created_at": now,
    }


def check_resolvable(report) -> None:
    """404 for no report, 409 for one already resolved."""
    if report is None:
        raise ApiError(404, "report_not_found")
    if report.status == "resolved":
        raise ApiError(409, "report_resolved")


def resolve_refused(exists: bool) -> ApiError:
    """Why a resolve's guard changed nothing: resolved by a concurrent request (409), or deleted (404)."""
    return ApiError(409, "report_resolved") if exists else ApiError(404, "report_not_found")


def already_reported() -> ApiError:
    """409 for a second open report by the same member on the same post or comment."""
    return ApiError(409, "already_reported")
