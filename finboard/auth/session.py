"""Flask-Login glue: the session stores "id:token_version".

A password change bumps ``token_version``, which ends every older session as
well as every older API token.
"""

from __future__ import annotations

from finboard.core.models import User
from finboard.extensions import db


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.token_version != int(version):
        return None
    return user
