"""The API's use cases on a sync SQLAlchemy ``Session``.

The Flask API calls these directly; the FastAPI adapter runs the writes via
``AsyncSession.run_sync``. Reads are not here: the Flask app reads through
``finboard.reads`` (``finboard.core.orm_reads`` or ``finboard.rawsql``, as
``DATA_LAYER`` says), FastAPI through its own async session, both with the
statement builders of ``finboard.core.read_statements``.
Each function commits what it writes, so callers only invalidate caches afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from finboard.contract.blocks import check_not_blocked
from finboard.contract.comments import CommentCreate, CommentPublic
from finboard.contract.errors import UNKNOWN_CATEGORY, USERNAME_TAKEN, ApiError
from finboard.contract.permissions import (
    check_author,
    check_author_delete,
    check_may_comment,
    require_writer,
)
from finboard.contract.posts import PinnedPosts, PostCreate, PostPublic, PostUpdate, RevisionList
from finboard.contract.serializers import comment_public, post_public, revision, user_public
from finboard.contract.ticker_views import legacy_sentiment
from finboard.contract.transitions import author_delete_refused
from finboard.contract.users import LoginRequest, Token, UserCreate, UserPublic
from finboard.core import (
    account_queries,
    block_service,
    comment_service,
    content_writes,
    jobs,
    lookups,
    mail_jobs,
    two_factor,
    watches,
    write_rate,
)
from finboard.core.models import Category, Post, PostRevision, User
from finboard.core.security import (
    TokenError,
    bearer_token,
    create_access_token,
    decode_access_token,
    hash_password,
    verify_password,
)
from finboard.settings import Settings

# --- auth ---------------------------------------------------------------------


def register(session: Session, payload: UserCreate, settings: Settings | None = None) -> UserPublic:
    """Create the account; with ``settings``, its verification mail is queued in the same transaction.

    Only the username can be taken (409: names are public). The address is never checked:
    a taken one gets the same answer, the same account and the same job as a fresh one,
    and the job, when it runs, tells the address's owner instead of mailing a link
    (finboard.core.mail_jobs) — no answer or timing tells whether it has an account.
    """
    if account_queries.username_taken(session, payload.username):
        raise ApiError(409, "conflict", {"username": USERNAME_TAKEN})
    try:
        user = account_queries.create_user(
            session, payload.username, str(payload.email), hash_password(payload.password)
        )
        if settings is not None:
            jobs.enqueue_mail(session, settings, mail_jobs.job_args("verify", user_id=user.id))
        result = user_public(user)
        session.commit()
    except IntegrityError as exc:  # lost a race with a concurrent registration of the name
        session.rollback()
        raise ApiError(409, "conflict", {"username": USERNAME_TAKEN}) from exc
    return result


def login(session: Session, settings: Settings, payload: LoginRequest, allow_code: Callable[[int], bool]) -> Token:
    """The password, then (for an account with two-factor login) the code; ``allow_code``
    is the adapter's two-factor rate limit for this client (finboard.core.two_factor)."""
    user = session.scalars(account_queries.user_by_login_statement(payload.username)).first()
    if not verify_password(user.password_hash if user else None, payload.password) or user is None:
        raise ApiError(401, "invalid_credentials", code="invalid_credentials")
    two_factor.check_login_code(session, settings.secret_key, user, payload.code, allow_code)
    token = create_access_token(settings.secret_key, user.id, user.token_version, settings.token_ttl_seconds)
    return Token(access_token=token, expires_in=settings.token_ttl_seconds)


def token_claims(settings: Settings, authorization: str | None):
    token = bearer_token(authorization)
    if token is None:
        raise ApiError(401, "unauthorized")
    try:
        return decode_access_token(settings.secret_key, token)
    except TokenError as exc:
        raise ApiError(401, "unauthorized") from exc


def check_user(user: User | None, token_version: int) -> User:
    if user is None or user.token_version != token_version:
        raise ApiError(401, "unauthorized")
    return user


def authenticate(session: Session, settings: Settings, authorization: str | None) -> User:
    """The user behind a bearer token (one primary-key lookup) or 401."""
    claims = token_claims(settings, authorization)
    return check_user(session.get(User, claims.user_id), claims.token_version)


# --- writes ---------------------------------------------------------------------


def _category(session: Session, slug: str) -> Category:
    category = session.scalars(select(Category).where(Category.slug == slug)).first()
    if category is None:
        raise ApiError(422, "invalid", {"category": UNKNOWN_CATEGORY})
    return category


def _post_for_change(session: Session, user: User, post_id: int) -> Post:
    """The author's own visible post, locked on PostgreSQL until the change commits, so a
    moderator's hide landing at the same moment is either seen here (404) or waits for it."""
    if session.get_bind().dialect.name == "postgresql":
        session.get(Post, post_id, with_for_update={"key_share": True}, populate_existing=True)
    post = lookups.visible_post(session, post_id)
    check_author(user, post)
    return post


def create_post(session: Session, settings: Settings, user: User, payload: PostCreate) -> PostPublic:
    """Checked in this order: suspension (403), category (422), hourly limit (429), positions (422)."""
    require_writer(user)
    category = _category(session, payload.category)
    # Check and insert in one transaction that holds the author's lock: concurrent
    # creates by one account are counted one after the other, never all at once.
    content_writes.lock_author(session, user.id)
    write_rate.check_write_rate(session, settings, user, "post")
    post = content_writes.create_post(
        session,
        user,
        category,
        payload.title,
        payload.body,
        sentiment=legacy_sentiment(payload),
        positions=payload.positions,
        sentiments=payload.sentiments,
    )
    watches.watch_post(session, user.id, post.id)
    jobs.enqueue_fanout(session, settings, "post", post.id)
    result = post_public(post)
    session.commit()
    return result


def update_post(session: Session, user: User, post_id: int, payload: PostUpdate) -> PostPublic:
    post = _post_for_change(session, user, post_id)
    if payload.is_empty:
        raise ApiError(422, "empty_update")
    category = _category(session, payload.category) if payload.category else None
    content_writes.update_post(
        session,
        post,
        editor=user,
        title=payload.title,
        body=payload.body,
        category=category,
        sentiment=legacy_sentiment(payload),
        positions=payload.positions,
        sentiments=payload.sentiments,
    )
    if category is None:
        post.category = session.get(Category, post.category_id)
    post.author = user
    result = post_public(post)
    session.commit()
    return result


def delete_post(session: Session, user: User, post_id: int) -> None:
    """The author's delete, checked in order: post (404), authorship (403), a moderator's hide
    (403 ``hidden``: the post is kept as evidence), suspension (403). The conditional DELETE
    re-checks visibility, so a hide that lands first wins and a repeated delete changes nothing."""
    post = session.get(Post, post_id)
    check_author_delete(user, post)
    if not content_writes.delete_post(session, post, author_id=user.id):
        session.rollback()
        post = session.get(Post, post_id)
        raise author_delete_refused(post is not None and post.hidden_at is not None)
    session.commit()


def create_comment(
    session: Session, settings: Settings, user: User, post_id: int, payload: CommentCreate
) -> CommentPublic:
    """Checked in this order: post (404), suspension (403), lock (403, moderators excepted), the post's
    author blocks the commenter (403 ``blocked``), hourly limit (429), a reply's parent (422)."""
    post = lookups.visible_post(session, post_id)
    check_may_comment(user, post)
    check_not_blocked(post.author_id != user.id and block_service.blocks(session, post.author_id, user.id))
    content_writes.lock_author(session, user.id)  # check and insert under the author's lock (see create_post)
    write_rate.check_write_rate(session, settings, user, "comment")
    if payload.parent_id is not None:  # a reply: to a visible comment of this post (422 parent_id)
        comment_service.check_parent(session, post.id, payload.parent_id)
    comment = content_writes.create_comment(session, post, user, payload.body, payload.parent_id)
    jobs.enqueue_fanout(session, settings, "comment", comment.id)
    watches.watch_post(session, user.id, post.id)
    result = comment_public(comment)
    session.commit()
    return result


# --- edit history and pinned posts -------------------------------------------


def revisions(session: Session, post_id: int) -> RevisionList:
    """A visible post's earlier versions, newest first (404 for a hidden one: see ``revision_list``)."""
    lookups.visible_post(session, post_id)
    return revision_list(session, post_id)


def revision_list(session: Session, post_id: int) -> RevisionList:
    """Any post's earlier versions, newest first: moderators see a hidden post's too (the forum)."""
    rows = session.execute(
        select(PostRevision, User)
        .join(User, User.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post_id)
        .order_by(PostRevision.id.desc())
    ).all()
    return RevisionList(items=[revision(r, editor) for r, editor in rows])


def pinned_posts(session: Session, slug: str) -> PinnedPosts:
    category = lookups.category_by_slug(session, slug)
    rows = session.scalars(
        select(Post)
        .join(Post.author)
        .join(Post.category)
        .options(contains_eager(Post.author), contains_eager(Post.category))
        .where(Post.category_id == category.id, Post.pinned.is_(True), Post.hidden_at.is_(None))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(10)
    ).all()
    return PinnedPosts(items=[post_public(p) for p in rows])
