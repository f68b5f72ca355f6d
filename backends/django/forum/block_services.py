"""Blocks and mutes on the Django ORM, as finboard.core.block_service (the rules are
finboard.contract.blocks): idempotent rows, each new one counted under the member's lock."""

from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Lower

from finboard.contract.blocks import (
    BlockList,
    MemberFilter,
    MuteList,
    check_block_room,
    check_block_target,
    check_mute_room,
    normalize_mute,
)
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostPage

from . import lookups, watch_services
from .models import User, UserBlock, UserMute
from .services import lock_author  # the account's write lock, shared with posts and comments


def block_list(user: User) -> BlockList:
    names = (
        User.objects.filter(id__in=UserBlock.objects.filter(blocker_id=user.id).values("blocked_id"))
        .order_by(Lower("username"))
        .values_list("username", flat=True)
    )
    return BlockList(usernames=list(names))


def set_block(user: User, username: str, blocking: bool) -> BlockList:
    """Block or unblock a member by name: 404 unknown, 422 yourself or over ``BLOCKS_MAX``."""
    target = lookups.user_by_name(username)
    check_block_target(user.id, target.id)
    rows = UserBlock.objects.filter(blocker_id=user.id)
    with transaction.atomic():
        if blocking:
            lock_author(user.id)  # the count and the insert see no other block in between
            if not rows.filter(blocked_id=target.id).exists():
                check_block_room(rows.count())
                UserBlock.objects.bulk_create(
                    [UserBlock(blocker_id=user.id, blocked_id=target.id)], ignore_conflicts=True
                )
        else:
            rows.filter(blocked_id=target.id).delete()
    return block_list(user)


def mute_list(user: User) -> MuteList:
    rows = list(UserMute.objects.filter(user_id=user.id).order_by("term").values_list("kind", "term"))
    return MuteList(
        words=[term for kind, term in rows if kind == "word"], tickers=[term for kind, term in rows if kind == "ticker"]
    )


def set_mute(user: User, kind: str, raw: str, muting: bool) -> MuteList:
    """Mute or unmute a word or ticker: 422 for a bad term or over ``MUTES_MAX``."""
    term = normalize_mute(kind, raw)
    rows = UserMute.objects.filter(user_id=user.id)
    with transaction.atomic():
        if muting:
            lock_author(user.id)
            if not rows.filter(kind=kind, term=term).exists():
                check_mute_room(rows.count(), kind)
                UserMute.objects.bulk_create([UserMute(user_id=user.id, kind=kind, term=term)], ignore_conflicts=True)
        else:
            rows.filter(kind=kind, term=term).delete()
    return mute_list(user)


def member_filter(user_id: int) -> MemberFilter:
    """The member's blocks and mutes (as finboard.core.block_service.member_filter)."""
    blocked = UserBlock.objects.filter(blocker_id=user_id).values_list("blocked_id", flat=True)
    return MemberFilter.of(list(blocked), UserMute.objects.filter(user_id=user_id).values_list("kind", "term"))


def feed(user: User, query: PageQuery) -> PostPage:
    """The API's ``/feed`` less the member's mutes and blocked authors (finboard.core.block_service.feed)."""
    page = watch_services.feed(user, query)
    chosen = member_filter(user.id)
    return page if chosen.empty else page.model_copy(update={"items": chosen.kept(page.items)})
