"""Setting and removing a reaction on a post or comment, on a sync SQLAlchemy ``Session``.

Shared by the forum's buttons, the Flask API and FastAPI (through ``run_sync``). The rules:

- the item must exist and be visible (not hidden by a moderator; a comment's post too):
  else 404 ``post_not_found`` / ``comment_not_found`` and nothing is written;
- a suspended member reads but does not react (403, like every write);
- a member's reactions per minute are limited (``REACTION_LIMIT_PER_ACCOUNT``, 429);
- a member blocked by the author may still react: a reaction notifies nobody and is only a
  count, so blocking need not stop it (documented in the README);
- setting is an upsert on the (item, member) primary key: the same kind twice, a double click
  or two identical requests at once leave one row and one count; another kind replaces it.
  Removing deletes the row (a no-op when none). The counters and the hot score move in the
  same transaction, by the triggers of migration 0014.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError
from finboard.contract.permissions import require_writer
from finboard.contract.reactions import REACTION_KINDS, ReactionState
from finboard.core import content_writes
from finboard.core.models import Comment, Post, User, utcnow
from finboard.core.reaction_models import CommentReaction, PostReaction

Allow = Callable[[int], bool]


def _upsert(session: Session, model, key: dict, kind: str) -> None:
    """INSERT … ON CONFLICT (item, member) DO UPDATE SET kind — only when the kind differs."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(model).values(**key, kind=kind, created_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={"kind": stmt.excluded.kind},
        where=model.kind != stmt.excluded.kind,
    )
    session.execute(stmt)


def _visible_post(session: Session, post_id: int) -> None:
    hidden = session.execute(select(Post.hidden_at).where(Post.id == post_id)).first()
    if hidden is None or hidden[0] is not None:
        raise ApiError(404, "post_not_found")


def _visible_comment(session: Session, comment_id: int) -> int:
    """The comment's post id, or 404 when the comment or its post is gone or hidden."""
    row = session.execute(
        select(Comment.post_id, Comment.hidden_at, Post.hidden_at)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.id == comment_id)
    ).first()
    if row is None or row[1] is not None or row[2] is not None:
        raise ApiError(404, "comment_not_found")
    return row[0]


def _begin(session: Session, user: User, allow: Allow) -> None:
    """The checks every write starts with, then the member's write lock.

    ``lock_author`` first: on SQLite its no-op write takes the database's write lock as the
    transaction's first statement (a read first would have to upgrade its lock, and two such
    readers fail at once instead of waiting); on PostgreSQL it serialises the member's own
    writes. The item's visibility is read after it, in the same transaction.
    """
    require_writer(user)
    if not allow(user.id):
        raise ApiError(429, "reactions_rate_limited")
    content_writes.lock_author(session, user.id)


def _write(session: Session, model, key: dict, kind: str | None, missing: str) -> None:
    try:
        if kind is None:
            session.execute(delete(model).filter_by(**key))
        else:
            _upsert(session, model, key, kind)
        session.commit()
    except IntegrityError:  # the item was deleted between the check and the insert
        session.rollback()
        raise ApiError(404, missing) from None


def set_post_reaction(session: Session, user: User, post_id: int, kind: str | None, allow: Allow) -> ReactionState:
    """Set (``kind``) or remove (``None``) the member's reaction on a visible post; commits."""
    _begin(session, user, allow)
    _visible_post(session, post_id)
    _write(session, PostReaction, {"post_id": post_id, "user_id": user.id}, kind, "post_not_found")
    return post_reactions(session, post_id, user.id)


def set_comment_reaction(
    session: Session, user: User, comment_id: int, kind: str | None, allow: Allow
) -> ReactionState:
    """Set (``kind``) or remove (``None``) the member's reaction on a visible comment; commits."""
    _begin(session, user, allow)
    _visible_comment(session, comment_id)
    key = {"comment_id": comment_id, "user_id": user.id}
    _write(session, CommentReaction, key, kind, "comment_not_found")
    return comment_reactions(session, comment_id, user.id)


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    return {kind: counts[kind] for kind in REACTION_KINDS if counts.get(kind)}


def _state(session: Session, model, item_column, item_id: int, user_id: int | None) -> ReactionState:
    """Counts per kind (an aggregate over the item's primary-key range) and the member's row."""
    counts = _ordered(
        {
            kind: int(n)
            for kind, n in session.execute(
                select(model.kind, func.count()).where(item_column == item_id).group_by(model.kind)
            )
        }
    )
    mine = None
    if user_id is not None:
        mine = session.scalar(select(model.kind).where(item_column == item_id, model.user_id == user_id))
    return ReactionState(reaction_count=sum(counts.values()), counts=counts, mine=mine)


def post_reactions(session: Session, post_id: int, user_id: int | None) -> ReactionState:
    """The post's reactions per kind and the member's own (one read of the post's key range)."""
    return _state(session, PostReaction, PostReaction.post_id, post_id, user_id)


def comment_reactions(session: Session, comment_id: int, user_id: int | None) -> ReactionState:
    return _state(session, CommentReaction, CommentReaction.comment_id, comment_id, user_id)


def visible_post_reactions(session: Session, post_id: int, user_id: int | None) -> ReactionState:
    """GET …/reactions: a visible post's reactions (404 when missing or hidden)."""
    _visible_post(session, post_id)
    return post_reactions(session, post_id, user_id)


def visible_comment_reactions(session: Session, comment_id: int, user_id: int | None) -> ReactionState:
    _visible_comment(session, comment_id)
    return comment_reactions(session, comment_id, user_id)
