"""Accounts: finding a member by login or by address, whether a name is taken, creating one.

An address is *owned* by the account that confirmed it (at most one: the partial unique
index of migration 0019); any number of unconfirmed accounts may carry it, because
sign-up never refuses an address — refusing would tell whether it has an account. So a
lookup by address prefers the owner, and where there is none, only an address that one
account alone carries names that account.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from finboard.core.models import User


def _names_one_account(email: str) -> ColumnElement[bool]:
    """``User`` is the account ``email`` names: its owner, or else its only holder."""
    other = aliased(User)
    return and_(
        User.email == email,
        or_(User.email_verified_at.is_not(None), ~exists().where(other.email == email, other.id != User.id)),
    )


def user_by_login_statement(login: str) -> Select:
    """A user by username (case-insensitive) or by email (the address's owner, else its one
    unconfirmed holder; an address several unconfirmed accounts share names nobody)."""
    login = login.strip()
    if "@" in login:
        return select(User).where(_names_one_account(login.lower()))
    return select(User).where(func.lower(User.username) == login.lower())


def username_taken(session: Session, username: str) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    return session.execute(stmt).first() is not None


def email_in_use(session: Session, email: str) -> bool:
    """Whether any account carries ``email``: for the operator's ``flask create-user`` only,
    never for an answer to a member (sign-up does not check the address)."""
    return session.execute(select(User.id).where(User.email == email.strip().lower())).first() is not None


def address_owner(session: Session, email: str, other_than: int | None = None) -> User | None:
    """The account that confirmed ``email`` (but ``other_than``), if any."""
    stmt = select(User).where(User.email == email.strip().lower(), User.email_verified_at.is_not(None))
    if other_than is not None:
        stmt = stmt.where(User.id != other_than)
    return session.scalars(stmt).first()


def reset_accounts(session: Session, email: str) -> list[User]:
    """Whom a password reset asked for ``email`` mails: its owner, or else every unconfirmed
    account with it (each its own link: whoever holds the mailbox chooses)."""
    email = email.strip().lower()
    if not email:
        return []
    holders = list(session.scalars(select(User).where(User.email == email).order_by(User.id)))
    owners = [user for user in holders if user.email_verified_at is not None]
    return owners or holders


def create_user(session: Session, username: str, email: str, password_hash: str, role: str = "member") -> User:
    user = User(username=username, email=email.lower(), password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user
