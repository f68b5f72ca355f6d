"""Anti-spam allowances: how many posts and comments an account may write an hour.

The arithmetic only (new account or not, which limit, the message); counting
the account's recent rows is a query each backend runs, then compares here.
``settings`` is any object with the allowance fields of ``finboard.settings.Settings``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from finboard.contract.errors import ApiError


def unconfirmed(user) -> bool:
    """The member has not followed the link mailed to their address yet."""
    return hasattr(user, "email_verified_at") and user.email_verified_at is None


def is_new_account(user, settings, now: datetime) -> bool:
    """Younger than NEW_ACCOUNT_HOURS, or its address not confirmed yet: the smaller allowance.

    An account that never confirms its address stays on the new-account allowance, so a
    throwaway address buys no more than a day-old account.
    """
    return user.created_at > now - timedelta(hours=settings.new_account_hours) or unconfirmed(user)


def hourly_limit(user, settings, kind: str, now: datetime) -> int:
    new = is_new_account(user, settings, now)
    if kind == "post":
        return settings.new_account_posts_per_hour if new else settings.posts_per_hour
    return settings.new_account_comments_per_hour if new else settings.comments_per_hour


def rate_limit_message(kind: str, limit: int, new: bool, unconfirmed_address: bool = False) -> str:
    if new and unconfirmed_address:
        return (
            f"Until you confirm your email address you can write {limit} {kind}s an hour. "
            "Follow the link we mailed you to write more."
        )
    who = "New accounts" if new else "Each account"
    return f"{who} can write {limit} {kind}s an hour. Try again later."


def check_hourly_allowance(user, settings, kind: str, now: datetime, limit: int, recent: int) -> None:
    """429 once the account's ``recent`` writes of ``kind`` in the last hour reached its ``limit``."""
    if recent >= limit:
        old_enough = user.created_at <= now - timedelta(hours=settings.new_account_hours)
        new = is_new_account(user, settings, now)
        raise ApiError(429, rate_limit_message(kind, limit, new, old_enough and unconfirmed(user)))
