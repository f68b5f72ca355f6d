"""Flask-Login glue: a forum session is a row of ``user_sessions``.

Signing in creates the row and puts a random token in the (signed) Flask
session as Flask-Login's id, ``"<user id>:<token_version>:<token>"``; only the
token's SHA-256 is stored. Loading the user is one indexed lookup by that hash,
joined to the user, and accepts the session only while its row is not revoked
and the user's ``token_version`` is the one the session was issued with. The same
statement brings what every page shows of the member (the bell's count, their blocks and
mutes: ``finboard.core.header_reads``), so a page needs no second round trip for them. Logout
revokes the row; a password change revokes every other session of the user and
bumps ``token_version`` (which also ends older API tokens).

``last_seen_at`` is written at most once a minute per session, after the
response is built, never on every request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import Flask, g, request
from flask_login import login_user
from sqlalchemy import bindparam, select, update

from finboard.contract.limits import MAX_ID
from finboard.core import header_reads
from finboard.core.models import User, UserSession, utcnow
from finboard.extensions import db

logger = logging.getLogger("finboard.auth")

TOUCH_INTERVAL = timedelta(minutes=1)
USER_AGENT_MAX = 255

# Built once: every authenticated request runs it, and building, coercing and keying a fresh
# statement cost more than executing this one (SQLAlchemy caches the compiled form by its key,
# which is memoized on the statement object). Its last three columns are what the member's
# pages show of them (``finboard.core.header_reads``: the bell, blocks and mutes), bound to the
# cookie's user id, so a page costs one round trip for all of it.
_SESSION_USER = (
    select(User, UserSession.id, UserSession.last_seen_at, *header_reads.COLUMNS)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"), UserSession.revoked_at.is_(None))
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(user: User) -> None:
    """Start a new session for ``user`` (a new ``user_sessions`` row) and log this browser in."""
    token = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=token_hash(token),
        user_agent=(request.user_agent.string or "")[:USER_AGENT_MAX],
    )
    db.session.add(row)
    db.session.commit()
    user.session_token, user.session_row_id = token, row.id
    login_user(user)


def load_user(session_id: str) -> User | None:
    user_id, _, rest = session_id.partition(":")
    version, _, token = rest.partition(":")
    if not (user_id.isdigit() and version.isdigit() and token) or int(user_id) > MAX_ID:
        return None
    found = db.session.execute(_SESSION_USER, {"token_hash": token_hash(token), "user_id": int(user_id)}).first()
    if found is None:
        return None
    user, row_id, last_seen_at, *header = found
    if user.id != int(user_id) or user.token_version != int(version):
        return None
    user.session_token, user.session_row_id = token, row_id
    g.setdefault("member_headers", {})[user.id] = header_reads.header_of(*header)
    if last_seen_at is None or utcnow() - last_seen_at >= TOUCH_INTERVAL:
        g.touch_session_row = row_id
    return user


def revoke(session_row_id: int) -> None:
    """End one session (logout). The caller commits."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_row_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def revoke_others(user_id: int, keep_row_id: int | None) -> None:
    """End every session of the user but ``keep_row_id`` (a password change). The caller commits."""
    statement = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_row_id is not None:
        statement = statement.where(UserSession.id != keep_row_id)
    db.session.execute(statement.values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def init_app(app: Flask) -> None:
    @app.after_request
    def touch_session(response):
        """Record ``last_seen_at`` once the request's own work is done (at most once a minute)."""
        row_id = g.pop("touch_session_row", None)
        if row_id is not None:
            try:
                # Whatever the view left uncommitted would be rolled back at teardown anyway.
                db.session.rollback()
                db.session.execute(
                    update(UserSession)
                    .where(UserSession.id == row_id)
                    .values(last_seen_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                db.session.commit()
            except Exception:  # noqa: BLE001 - bookkeeping only: never fail the response for it
                db.session.rollback()
                logger.warning("could not record a session's last_seen_at", exc_info=True)
        return response
