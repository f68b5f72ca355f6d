"""The API's use cases on a sync SQLAlchemy ``Session``.

The Flask API calls these directly; the FastAPI adapter runs the writes via
``AsyncSession.run_sync``. Reads are not here: the Flask app reads through
``finboard.reads`` (``finboard.core.orm_reads`` or ``finboard.rawsql``, as
``DATA_LAYER`` says), FastAPI through its own async session.
Each function commits what it writes, so callers only invalidate caches afterwards.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from finboard.contract.comments import CommentCreate, CommentPublic
from finboard.contract.errors import EMAIL_TAKEN, UNKNOWN_CATEGORY, USERNAME_TAKEN, ApiError
from finboard.contract.permissions import is_moderator, require_writer
from finboard.contract.posts import PostCreate, PostPublic, PostUpdate
from finboard.contract.serializers import comment_public, post_public, user_public
from finboard.contract.transitions import hidden_evidence
from finboard.contract.users import LoginRequest, Token, UserCreate, UserPublic
from finboard.core import community, queries
from finboard.core.models import Category, Post, User
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


def register(session: Session, payload: UserCreate) -> UserPublic:
    fields = {}
    if queries.username_taken(session, payload.username):
        fields["username"] = USERNAME_TAKEN
    if queries.email_taken(session, str(payload.email)):
        fields["email"] = EMAIL_TAKEN
    if fields:
        raise ApiError(409, "conflict", fields)
    try:
        user = queries.create_user(session, payload.username, str(payload.email), hash_password(payload.password))
        result = user_public(user)
        session.commit()
    except IntegrityError as exc:  # lost a race with a concurrent registration
        session.rollback()
        raise ApiError(409, "conflict") from exc
    return result


def login(session: Session, settings: Settings, payload: LoginRequest) -> Token:
    user = session.scalars(queries.user_by_login_statement(payload.username)).first()
    if not verify_password(user.password_hash if user else None, payload.password) or user is None:
        raise ApiError(401, "invalid_credentials", code="invalid_credentials")
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


def visible_post(session: Session, post_id: int) -> Post:
    """A post that is not hidden, or 404 (a hidden post is gone for everyone but moderation)."""
    post = session.get(Post, post_id)
    if post is None or post.hidden_at is not None:
        raise ApiError(404, "post_not_found")
    return post


def _post_for_change(session: Session, user: User, post_id: int) -> Post:
    """The author's own visible post, locked on PostgreSQL until the change commits, so a
    moderator's hide landing at the same moment is either seen here (404) or waits for it."""
    if session.get_bind().dialect.name == "postgresql":
        session.get(Post, post_id, with_for_update={"key_share": True}, populate_existing=True)
    post = visible_post(session, post_id)
    if post.author_id != user.id:
        raise ApiError(403, "forbidden")
    require_writer(user)
    return post


def create_post(session: Session, settings: Settings, user: User, payload: PostCreate) -> PostPublic:
    """Checked in this order: suspension (403), category (422), hourly limit (429), positions (422)."""
    require_writer(user)
    category = _category(session, payload.category)
    # Check and insert in one transaction that holds the author's lock: concurrent
    # creates by one account are counted one after the other, never all at once.
    queries.lock_author(session, user.id)
    community.check_write_rate(session, settings, user, "post")
    post = queries.create_post(
        session,
        user,
        category,
        payload.title,
        payload.body,
        sentiment=payload.sentiment,
        positions=payload.positions,
    )
    community.watch_post(session, user.id, post.id)
    community.notify_new_post(session, post, user)
    result = post_public(post)
    session.commit()
    return result


def update_post(session: Session, user: User, post_id: int, payload: PostUpdate) -> PostPublic:
    post = _post_for_change(session, user, post_id)
    if payload.is_empty:
        raise ApiError(422, "empty_update")
    category = _category(session, payload.category) if payload.category else None
    changes = {"sentiment": payload.sentiment} if "sentiment" in payload.model_fields_set else {}
    queries.update_post(
        session,
        post,
        editor=user,
        title=payload.title,
        body=payload.body,
        category=category,
        positions=payload.positions,
        **changes,
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
    if post is None or (post.hidden_at is not None and post.author_id != user.id):
        raise ApiError(404, "post_not_found")
    if post.author_id != user.id:
        raise ApiError(403, "forbidden")
    if post.hidden_at is not None:
        raise hidden_evidence("post")
    require_writer(user)
    if not queries.delete_post(session, post, author_id=user.id):
        session.rollback()
        post = session.get(Post, post_id)
        if post is not None and post.hidden_at is not None:
            raise hidden_evidence("post")
        raise ApiError(404, "post_not_found")
    session.commit()


def create_comment(
    session: Session, settings: Settings, user: User, post_id: int, payload: CommentCreate
) -> CommentPublic:
    """Checked in this order: post (404), suspension (403), lock (403, moderators excepted), hourly limit (429)."""
    post = visible_post(session, post_id)
    require_writer(user)
    if post.locked and not is_moderator(user):
        raise ApiError(403, "locked", code="locked")
    queries.lock_author(session, user.id)  # check and insert under the author's lock (see create_post)
    community.check_write_rate(session, settings, user, "comment")
    comment = queries.create_comment(session, post, user, payload.body)
    community.notify_new_comment(session, post, comment, user)
    community.watch_post(session, user.id, post.id)
    result = comment_public(comment)
    session.commit()
    return result
