"""Reactions on the Django ORM, as finboard.core.reaction_service (the rules are
finboard.contract.reactions): the item must be visible, a suspended member is refused,
the per-account limit is the shared one, and setting is one upsert on the (item, member)
primary key, so identical concurrent requests leave one row. The counts and the hot score
move by the triggers of migration 0014, in this transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from finboard.contract.errors import ApiError
from finboard.contract.permissions import require_writer
from finboard.contract.reactions import REACTION_KINDS, ReactionState, TrendingList, rank_trending, trending_public
from finboard.rawsql import trending as trending_sql

from .models import Comment, CommentReaction, Post, PostReaction, User

Allow = Callable[[int], bool]

# Fixed statements per table; every value is bound.
_UPSERT = (
    "INSERT INTO {table} ({item}, user_id, kind, created_at) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT ({item}, user_id) DO UPDATE SET kind = excluded.kind WHERE {table}.kind <> excluded.kind"
)


def _visible_post(post_id: int) -> None:
    if not Post.objects.filter(id=post_id, hidden_at__isnull=True).exists():
        raise ApiError(404, "post_not_found")


def _visible_comment(comment_id: int) -> None:
    visible = Comment.objects.filter(id=comment_id, hidden_at__isnull=True, post__hidden_at__isnull=True)
    if not visible.exists():
        raise ApiError(404, "comment_not_found")


def _write(user: User, allow: Allow, model, item: str, item_id: int, kind: str | None, missing: str) -> None:
    require_writer(user)
    if not allow(user.id):
        raise ApiError(429, "reactions_rate_limited")
    try:
        with transaction.atomic():
            if kind is None:
                model.objects.filter(**{item: item_id}, user_id=user.id).delete()
            else:
                created = model._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
                sql = _UPSERT.format(table=model._meta.db_table, item=item)  # nosec B608 - fixed names
                with connection.cursor() as cursor:
                    cursor.execute(sql, [item_id, user.id, kind, created])
    except IntegrityError:  # the item was deleted between the check and the insert
        raise ApiError(404, missing) from None


def _state(model, item: str, item_id: int, user_id: int | None) -> ReactionState:
    rows = model.objects.filter(**{item: item_id}).values("kind").annotate(n=Count("kind")).order_by()
    counts = {row["kind"]: row["n"] for row in rows}
    ordered = {kind: counts[kind] for kind in REACTION_KINDS if counts.get(kind)}
    mine = None
    if user_id is not None:
        mine = model.objects.filter(**{item: item_id}, user_id=user_id).values_list("kind", flat=True).first()
    return ReactionState(reaction_count=sum(ordered.values()), counts=ordered, mine=mine)


def set_post_reaction(user: User, post_id: int, kind: str | None, allow: Allow) -> ReactionState:
    _visible_post(post_id)
    _write(user, allow, PostReaction, "post_id", post_id, kind, "post_not_found")
    return _state(PostReaction, "post_id", post_id, user.id)


def set_comment_reaction(user: User, comment_id: int, kind: str | None, allow: Allow) -> ReactionState:
    _visible_comment(comment_id)
    _write(user, allow, CommentReaction, "comment_id", comment_id, kind, "comment_not_found")
    return _state(CommentReaction, "comment_id", comment_id, user.id)


def post_reactions(post_id: int, user_id: int | None) -> ReactionState:
    _visible_post(post_id)
    return _state(PostReaction, "post_id", post_id, user_id)


def comment_reactions(comment_id: int, user_id: int | None) -> ReactionState:
    _visible_comment(comment_id)
    return _state(CommentReaction, "comment_id", comment_id, user_id)


def trending() -> TrendingList:
    """Trending tickers: the shared statements (finboard.rawsql.trending) on Django's connection."""
    params = trending_sql.window(timezone.now())
    field = PostReaction._meta.get_field("created_at")
    values = [field.get_db_prep_value(params[name], connection) for name in trending_sql.PARAMETER_ORDER]
    mentions_sql, reactions_sql = trending_sql.statements(lambda _: "%s")
    with connection.cursor() as cursor:
        cursor.execute(mentions_sql, values)
        mentions = cursor.fetchall()
        cursor.execute(reactions_sql, values)
        reactions = cursor.fetchall()
    rows = trending_sql.activities(mentions, reactions)
    return TrendingList(items=[trending_public(row) for row in rank_trending(rows)])
