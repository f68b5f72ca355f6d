"""Reactions and threaded replies on the demo board (``flask seed``), so the Hot sort, the
reaction counts, the "in reply to" threads and the trending tickers have something to show.

A handful of rows written with the ORM in the seed's transaction, like the rest of
``finboard.core.seeding.demo``: the counters and the hot score follow from the tables'
triggers. Deterministic: the same seed
gives the same rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from finboard.contract.reactions import REACTION_KINDS
from finboard.core.models import Comment, Post
from finboard.core.reaction_models import CommentReaction, PostReaction
from finboard.core.seeding.plan import Plan

REACTED_POSTS = 24  # the newest posts, so Hot and the trending window see them
REACTORS_PER_POST = (5, 3, 1, 4, 2, 0)  # cycled: a spread of counts, some posts none
THREADS = 6  # posts whose first comment gets replies (the comments after it, by others)


def add_engagement(session: Session, plan: Plan, at: datetime) -> tuple[int, int]:
    """Reactions on the newest posts and their first comments, replies under a few threads;
    returns (reactions, replies). Nothing when the seed has fewer than two authors."""
    authors = list(plan.authors)
    if len(authors) < 2:
        return 0, 0
    posts = session.scalars(
        select(Post)
        .where(Post.id > plan.post_base)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(REACTED_POSTS)
    ).all()
    reactions = 0
    for n, post in enumerate(posts):
        reactors = [a for a in authors if a != post.author_id][: REACTORS_PER_POST[n % len(REACTORS_PER_POST)]]
        for k, user_id in enumerate(reactors):
            kind = REACTION_KINDS[(n + k) % len(REACTION_KINDS)]
            session.add(PostReaction(post_id=post.id, user_id=user_id, kind=kind, created_at=at))
            reactions += 1
    replies = 0
    for n, post in enumerate([p for p in posts if p.comment_count > 1][:THREADS]):
        in_order = select(Comment).where(Comment.post_id == post.id).order_by(Comment.created_at, Comment.id)
        parent, *later = session.scalars(in_order).all()
        others = [a for a in authors if a != parent.author_id]
        session.add(CommentReaction(comment_id=parent.id, user_id=others[0], kind=REACTION_KINDS[0], created_at=at))
        reactions += 1
        for reply in [c for c in later if c.author_id != parent.author_id][: 1 + n % 2]:
            reply.parent_id = parent.id  # a seeded comment becomes its reply: the post's counts stay as seeded
            replies += 1
    return reactions, replies

