"""Accounts: finding a member by login, whether a name or email is taken, creating one."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from finboard.core.models import User


def user_by_login_statement(login: str) -> Select:
    """A user by username (case-insensitive) or by email."""
    login = login.strip()
    if "@" in login:
        return select(User).where(User.email == login.lower())
    return select(User).where(func.lower(User.username) == login.lower())


def username_taken(session: Session, username: str) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    return session.execute(stmt).first() is not None


def email_taken(session: Session, email: str) -> bool:
    return session.execute(select(User.id).where(User.email == email.lower())).first() is not None


def create_user(session: Session, username: str, email: str, password_hash: str, role: str = "member") -> User:
    user = User(username=username, email=email.lower(), password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user
