"""The post page's reaction bars: counts per kind and the viewer's own, for the post and its comments.

Read in one statement, built once at import, and only for the items whose row says they have
reactions: ``reaction_count`` is kept by triggers in the writer's transaction (migration 0014),
so an item with none has no counts and no ``mine`` to read. Most posts and comments have none,
so a built page usually asks the database nothing for its bars; it used to send two aggregates
on every build (four for a member), whatever the counts. Never cached: ``mine`` is per member.
The session's ORM statement on either data layer, as the bars always were (the reactions'
writes and their own reads are ``finboard.core.reaction_service``'s).
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Integer, bindparam, case, func, literal_column, select, union_all

from finboard.contract.reactions import REACTION_KINDS
from finboard.core.reaction_models import CommentReaction, PostReaction
from finboard.extensions import db


class BarState(NamedTuple):
    """What a reaction bar shows of an item: its counts per kind and the viewer's own kind."""

    counts: dict[str, int]
    mine: str | None


NO_REACTIONS = BarState({}, None)
_POST, _COMMENT = 0, 1


def _tally(model, item, of: int, ids: str):
    """Per (item, kind): how many, and whether one is the viewer's (``:user_id``, NULL for a visitor)."""
    mine = func.max(case((model.user_id == bindparam("user_id", type_=Integer), 1), else_=0))
    return (
        select(literal_column(str(of)).label("of"), item.label("item"), model.kind, func.count(), mine)
        .where(item.in_(bindparam(ids, expanding=True)))
        .group_by(item, model.kind)
    )


# Built once: the post's and its comments' tallies in one round trip (only the items with reactions).
_PAGE_TALLY = union_all(
    _tally(PostReaction, PostReaction.post_id, _POST, "post_ids"),
    _tally(CommentReaction, CommentReaction.comment_id, _COMMENT, "comment_ids"),
)


def page_reactions(post, comments: list, user_id: int | None) -> tuple[BarState, dict[int, BarState]]:
    """The post's bar and each comment's (by id), from rows that carry ``reaction_count``.

    One statement when any of them has reactions, none otherwise."""
    post_ids = [post.id] if post.reaction_count else []
    comment_ids = [c.id for c in comments if c.reaction_count]
    found: tuple[dict, dict] = ({}, {})
    if post_ids or comment_ids:
        params = {"post_ids": post_ids, "comment_ids": comment_ids, "user_id": user_id}
        for of, item, kind, n, is_mine in db.session.execute(_PAGE_TALLY, params):
            counts, mine = found[of].setdefault(item, ({}, [None]))
            counts[kind] = int(n)
            if is_mine:
                mine[0] = kind
    bars = [{item: _bar(counts, mine[0]) for item, (counts, mine) in tallies.items()} for tallies in found]
    return bars[_POST].get(post.id, NO_REACTIONS), {c.id: bars[_COMMENT].get(c.id, NO_REACTIONS) for c in comments}


def _bar(counts: dict[str, int], mine: str | None) -> BarState:
    return BarState({kind: counts[kind] for kind in REACTION_KINDS if counts.get(kind)}, mine)
