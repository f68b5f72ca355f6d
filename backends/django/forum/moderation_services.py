"""Moderators' actions and their log on the Django ORM, as finboard.core.moderation_service."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from finboard.contract.errors import ApiError
from finboard.contract.moderation import (
    CommentModeration,
    ModerationActionPage,
    ModerationActionPublic,
    PostModeration,
    UserModeration,
)
from finboard.contract.pagination import PageQuery, page_fields, page_slice
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

from . import content_writes, lookups, moderation_transitions
from .models import Comment, ModerationAction, Post, User


def _action_public(record: ModerationAction) -> ModerationActionPublic:
    return moderation_action(record, lookups.users_by_id({record.moderator_id}))


def _missing(target_type: str, target_id: int) -> ApiError:
    """404, or 409 when a moderator already deleted it (a repeated delete)."""
    return gone(target_type, moderation_transitions.deleted_by_moderator(target_type, target_id))


def moderate_post(moderator: User, post_id: int, payload: PostModeration) -> ModerationActionPublic:
    """hide / restore / lock / unlock / pin / unpin / delete any post (hidden ones included), guarded
    as finboard.contract.transitions.TRANSITIONS says: logged once per real change."""
    require_acting_moderator(moderator)
    with transaction.atomic():
        post = Post.objects.filter(id=post_id).first()
        if post is None:
            raise _missing("post", post_id)
        action = payload.action
        if action == "hide":
            moderation_transitions.hide_post(post)
        elif action == "restore":
            moderation_transitions.restore_post(post)
        elif action in POST_FLAG_ACTIONS:
            moderation_transitions.set_post_flag(post, *POST_FLAG_ACTIONS[action])
        elif not content_writes.delete_post(post):
            raise _missing("post", post_id)
        record = moderation_transitions.log_action(moderator, action, "post", post_id, post.title, payload.reason)
        return _action_public(record)


def moderate_comment(moderator: User, comment_id: int, payload: CommentModeration) -> ModerationActionPublic:
    require_acting_moderator(moderator)
    with transaction.atomic():
        comment = Comment.objects.filter(id=comment_id).first()
        if comment is None:
            raise _missing("comment", comment_id)
        summary = excerpt(comment.body)
        if payload.action == "hide":
            moderation_transitions.hide_comment(comment)
        elif payload.action == "restore":
            moderation_transitions.restore_comment(comment)
        elif not content_writes.delete_comment(comment):
            raise _missing("comment", comment_id)
        record = moderation_transitions.log_action(
            moderator, payload.action, "comment", comment_id, summary, payload.reason
        )
        return _action_public(record)


def moderate_user(moderator: User, username: str, payload: UserModeration) -> ModerationActionPublic:
    """Suspend for ``days`` (from now) or lift a suspension; only users below the moderator's role."""
    require_acting_moderator(moderator)
    with transaction.atomic():
        target = lookups.user_by_name(username)
        check_outranks(moderator, target)
        if payload.action == "suspend":
            until, slack = suspension_end(timezone.now(), payload.days), SUSPENSION_SLACK
            moved = Q(suspended_until__isnull=True) | Q(suspended_until__lt=until - slack)
            moved |= Q(suspended_until__gt=until + slack)
            if not User.objects.filter(moved, id=target.id).update(suspended_until=until):  # the same again
                current = User.objects.filter(id=target.id).values_list("suspended_until", flat=True).first()
                raise already_suspended(current)
            target.suspended_until = until
            summary = suspension_summary(target.username, until)
        else:
            if not suspended(target):
                raise not_suspended()
            lifted = User.objects.filter(id=target.id, suspended_until__gt=timezone.now()).update(suspended_until=None)
            if not lifted:  # lifted by a concurrent request
                raise not_suspended()
            target.suspended_until = None
            summary = target.username
        record = moderation_transitions.log_action(
            moderator, payload.action, "user", target.id, summary, payload.reason
        )
        return _action_public(record)


def moderation_log(moderator: User, query: PageQuery) -> ModerationActionPage:
    require_moderator(moderator)
    total = ModerationAction.objects.count()
    rows = list(ModerationAction.objects.order_by("-id")[page_slice(query)])
    users = lookups.users_by_id({r.moderator_id for r in rows if r.moderator_id})
    return ModerationActionPage(items=[moderation_action(r, users) for r in rows], **page_fields(query, total))
