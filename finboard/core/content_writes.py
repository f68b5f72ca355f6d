"""Write operations on posts and comments, shared by the Flask forum, the Flask API and FastAPI.

They take a sync ``Session`` (FastAPI runs them through ``AsyncSession.run_sync``) and keep the
derived data (cashtags, comment counts) right in the same transaction. Nothing here commits:
the caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from finboard.contract.cashtags import extract_cashtags
from finboard.contract.positions import positions_for
from finboard.contract.post_edits import text_edit
from finboard.contract.ticker_views import UNSET, post_sentiment, sentiments_for
from finboard.core.models import Category, Comment, Post, PostCashtag, PostRevision, Report, User, utcnow


def lock_author(session: Session, user_id: int) -> None:
    """Serialise the account's writes until this transaction ends (the allowance check + insert).

    PostgreSQL: ``FOR NO KEY UPDATE`` on the user's row, which another create
    by the same account waits for, but which does not block the ``FOR KEY
    SHARE`` locks that foreign keys to the user (notifications, watches) take,
    so two authors notifying each other cannot deadlock. SQLite: a no-op write
    to the row as the transaction's first statement takes the database's write
    lock (waiting out ``busy_timeout``), so the count and the insert that follow
    run in one write transaction that no other writer interleaves with.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    else:
        users = User.__table__
        session.execute(update(users).where(users.c.id == user_id).values(id=users.c.id))


def _set_cashtags(session: Session, post: Post) -> None:
    tickers = extract_cashtags(post.title, post.body)
    post.cashtags = " ".join(tickers)
    if post.id is not None:
        session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))
    session.flush()
    session.add_all(PostCashtag(ticker=t, post_id=post.id, created_at=post.created_at) for t in tickers)


def create_post(
    session: Session,
    author: User,
    category: Category,
    title: str,
    body: str,
    *,
    sentiment=UNSET,
    positions: dict[str, str] | None = None,
    sentiments: dict[str, str] | None = None,
) -> Post:
    """A post with its cashtag rows; ``positions`` and ``sentiments`` must name cashtags of the post
    (else a 422); ``sentiment`` is the legacy post-level view (finboard.contract.ticker_views)."""
    now = utcnow()
    post = Post(
        author_id=author.id,
        category_id=category.id,
        title=title,
        body=body,
        created_at=now,
        updated_at=now,
    )
    tickers = extract_cashtags(title, body)
    post.positions = positions_for(tickers, positions or {}, [])
    post.sentiments = sentiments_for(tickers, sentiments, sentiment, [])
    post.sentiment = post_sentiment(post.sentiments, sentiments, sentiment, None)
    post.author = author
    post.category = category
    session.add(post)
    session.flush()
    _set_cashtags(session, post)
    session.flush()
    return post


def update_post(
    session: Session,
    post: Post,
    *,
    editor: User | None = None,
    title: str | None = None,
    body: str | None = None,
    category: Category | None = None,
    sentiment=UNSET,
    positions: dict[str, str] | None = None,
    sentiments: dict[str, str] | None = None,
) -> Post:
    """Apply an edit; a change of title or body keeps the previous version as a revision."""
    edit = text_edit(post, title, body)
    if edit.keeps_revision:
        session.add(
            PostRevision(
                post_id=post.id,
                editor_id=(editor or post.author).id,
                title=post.title,
                body=post.body,
                created_at=utcnow(),
            )
        )
        post.edit_count += 1
    post.title, post.body = edit.title, edit.body
    if category is not None:
        post.category_id = category.id
        post.category = category
    tickers = extract_cashtags(post.title, post.body)
    post.positions = positions_for(tickers, positions, post.position_list)
    post.sentiments = sentiments_for(tickers, sentiments, sentiment, post.sentiment_list)
    post.sentiment = post_sentiment(post.sentiments, sentiments, sentiment, post.sentiment)
    post.updated_at = utcnow()
    if post.hidden_at is None:
        _set_cashtags(session, post)
    else:
        post.cashtags = " ".join(extract_cashtags(post.title, post.body))
    session.flush()
    return post


def delete_post(session: Session, post: Post, author_id: int | None = None) -> bool:
    """Delete a post (an author's delete only while it is visible and theirs): False when no row went.

    The conditional DELETE is the guard (see ``finboard.contract.transitions.TRANSITIONS``): of two
    identical requests one deletes, the other changes nothing. Reports keep their snapshot
    (their ``post_id`` becomes NULL); comments and cashtag rows go explicitly rather than by
    ON DELETE CASCADE, so SQLite without foreign keys behaves like PostgreSQL.
    """
    guard = delete(Post).where(Post.id == post.id)
    if author_id is not None:
        guard = guard.where(Post.author_id == author_id, Post.hidden_at.is_(None))
    if session.execute(guard, execution_options={"synchronize_session": False}).rowcount == 0:
        return False
    session.execute(update(Report).where(Report.post_id == post.id).values(post_id=None, comment_id=None))
    session.execute(delete(Comment).where(Comment.post_id == post.id))
    session.execute(delete(PostCashtag).where(PostCashtag.post_id == post.id))
    session.expunge(post)
    return True


def move_comment_count(session: Session, post_id: int, by: int) -> None:
    """The post's ``comment_count``, moved in SQL so concurrent writers never lose an update."""
    session.execute(update(Post).where(Post.id == post_id).values(comment_count=Post.comment_count + by))


def create_comment(session: Session, post: Post, author: User, body: str, parent_id: int | None = None) -> Comment:
    """A comment (a reply when ``parent_id``, already checked), its post's ``comment_count`` moved in the
    same transaction."""
    comment = Comment(
        post_id=post.id, author_id=author.id, body=body, created_at=utcnow(), parent_id=parent_id, edit_count=0
    )
    comment.author = author
    session.add(comment)
    move_comment_count(session, post.id, 1)
    session.flush()
    return comment


def delete_comment(session: Session, comment: Comment, author_id: int | None = None) -> bool:
    """Delete a comment (an author's delete only while it is visible and theirs): False when no row went.

    ``DELETE ... RETURNING hidden_at`` is the guard: the post's ``comment_count`` moves only when
    a visible comment really went (a hidden one already left the count), once, races included.
    """
    guard = delete(Comment).where(Comment.id == comment.id)
    if author_id is not None:
        guard = guard.where(Comment.author_id == author_id, Comment.hidden_at.is_(None))
    gone = session.execute(
        guard.returning(Comment.post_id, Comment.hidden_at), execution_options={"synchronize_session": False}
    ).first()
    if gone is None:
        return False
    session.execute(update(Report).where(Report.comment_id == comment.id).values(comment_id=None))
    if gone.hidden_at is None:
        move_comment_count(session, gone.post_id, -1)
    session.expunge(comment)
    return True
