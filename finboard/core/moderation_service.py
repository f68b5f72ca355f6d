"""Moderators' actions on posts, comments and members, and their log.

Each action runs its guarded transition (``finboard.core.moderation_transitions``), is logged
once per real change and commits; a repeat answers as ``finboard.contract.transitions`` says.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from finboard.contract.errors import ApiError
from finboard.contract.moderation import (
    CommentModeration,
    ModerationActionPage,
    ModerationActionPublic,
    PostModeration,
    UserModeration,
)
from finboard.contract.pagination import PageQuery, page_fields
from finboard.contract.permissions import check_outranks, require_acting_moderator, require_moderator, suspended
from finboard.contract.serializers import excerpt, moderation_action
from finboard.contract.transitions import (
    POST_FLAG_ACTIONS,
    SUSPENSION_SLACK,
    already_suspended,
    gone,
    not_suspended,
    suspension_end,
    suspension_summary,
)
from finboard.core import content_writes, lookups, moderation_transitions
from finboard.core.models import Comment, ModerationAction, Post, User, utcnow


def _action_public(session: Session, record: ModerationAction) -> ModerationActionPublic:
    return moderation_action(record, lookups.users_by_id(session, {record.moderator_id}))


def _missing(session: Session, target_type: str, target_id: int) -> ApiError:
    """404, or 409 when a moderator already deleted it (a repeated delete)."""
    return gone(target_type, moderation_transitions.deleted_by_moderator(session, target_type, target_id))


def moderate_post(session: Session, moderator: User, post_id: int, payload: PostModeration) -> ModerationActionPublic:
    """hide / restore / lock / unlock / pin / unpin / delete any post (hidden ones included).

    Each action is guarded by a conditional statement (finboard.contract.transitions.TRANSITIONS):
    logged once per real change.
    """
    require_acting_moderator(moderator)
    post = session.get(Post, post_id)
    if post is None:
        raise _missing(session, "post", post_id)
    action, title = payload.action, post.title
    try:
        if action == "hide":
            moderation_transitions.hide_post(session, post)
        elif action == "restore":
            moderation_transitions.restore_post(session, post)
        elif action in POST_FLAG_ACTIONS:
            moderation_transitions.set_post_flag(session, post, *POST_FLAG_ACTIONS[action])
        elif not content_writes.delete_post(session, post):
            raise _missing(session, "post", post_id)
    except ApiError:
        session.rollback()
        raise
    record = moderation_transitions.log_action(session, moderator, action, "post", post_id, title, payload.reason)
    result = _action_public(session, record)
    session.commit()
    return result


def moderate_comment(
    session: Session, moderator: User, comment_id: int, payload: CommentModeration
) -> ModerationActionPublic:
    require_acting_moderator(moderator)
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise _missing(session, "comment", comment_id)
    summary = excerpt(comment.body)
    try:
        if payload.action == "hide":
            moderation_transitions.hide_comment(session, comment)
        elif payload.action == "restore":
            moderation_transitions.restore_comment(session, comment)
        elif not content_writes.delete_comment(session, comment):
            raise _missing(session, "comment", comment_id)
    except ApiError:
        session.rollback()
        raise
    record = moderation_transitions.log_action(
        session, moderator, payload.action, "comment", comment_id, summary, payload.reason
    )
    result = _action_public(session, record)
    session.commit()
    return result


def moderate_user(session: Session, moderator: User, username: str, payload: UserModeration) -> ModerationActionPublic:
    """Suspend for ``days`` (from now) or lift a suspension; only users below the moderator's role."""
    require_acting_moderator(moderator)
    target = lookups.user_by_name(session, username)
    check_outranks(moderator, target)
    if payload.action == "suspend":
        until, slack = suspension_end(utcnow(), payload.days), SUSPENSION_SLACK
        end = User.suspended_until
        moved = or_(end.is_(None), end < until - slack, end > until + slack)
        guard = update(User).where(User.id == target.id, moved).values(suspended_until=until)
        # Nothing changed: the same suspension again (a repeat, a concurrent request).
        if not moderation_transitions.changed(session, guard):
            session.rollback()
            raise already_suspended(session.get(User, target.id).suspended_until)
        set_committed_value(target, "suspended_until", until)
        summary = suspension_summary(target.username, until)
    else:
        if not suspended(target):
            raise not_suspended()
        guard = update(User).where(User.id == target.id, User.suspended_until > utcnow()).values(suspended_until=None)
        if not moderation_transitions.changed(session, guard):  # lifted by a concurrent request
            session.rollback()
            raise not_suspended()
        set_committed_value(target, "suspended_until", None)
        summary = target.username
    record = moderation_transitions.log_action(
        session, moderator, payload.action, "user", target.id, summary, payload.reason
    )
    result = _action_public(session, record)
    session.commit()
    return result


def moderation_log(session: Session, moderator: User, query: PageQuery) -> ModerationActionPage:
    require_moderator(moderator)
    total = session.scalar(select(func.count(ModerationAction.id)))
    rows = list(
        session.scalars(
            select(ModerationAction)
            .order_by(ModerationAction.id.desc())
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
    )
    users = lookups.users_by_id(session, {r.moderator_id for r in rows if r.moderator_id})
    return ModerationActionPage(
        items=[moderation_action(r, users) for r in rows],
        **page_fields(query, total),
    )
