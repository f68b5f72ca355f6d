"""Relative times ("3 h ago") rendered by the server, with the exact time kept in the markup.

Pages show how long ago something happened, which is what a reader of a board wants
("is this thread alive?"); the exact UTC time stays in ``<time datetime title>`` for
hover, screen readers and scripts. Rendered on the server, so no JavaScript is needed;
a visitor's page may come whole from the page cache (``finboard.page_cache``), which keeps
it at most ``PAGE_CACHE_TTL`` seconds (60 by default), so the wording is at most that
much behind the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

EXACT_FORMAT = "%Y-%m-%d %H:%M UTC"
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
# Older than this, a relative time says less than the date: show the date.
_RELATIVE_LIMIT = 4 * _WEEK


def _aware(value: datetime) -> datetime:
    """The stored times are UTC; SQLite hands them back naive."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def relative_time(value: datetime, now: datetime) -> str:
    """``value`` as a reader says it, seen from ``now``: "just now", "5 min ago", "3 h ago",
    "yesterday", "4 days ago", "2 weeks ago", then the date ("12 Mar 2026", the year
    always, so an old post never reads as this year's). A time ahead of ``now`` (clock
    skew between hosts) is "just now"."""
    value, now = _aware(value), _aware(now)
    seconds = int((now - value).total_seconds())
    if seconds < _MINUTE:
        return "just now"
    if seconds < _HOUR:
        return f"{seconds // _MINUTE} min ago"
    if seconds < _DAY:
        return f"{seconds // _HOUR} h ago"
    if seconds < 2 * _DAY:
        return "yesterday"
    if seconds < _WEEK:
        return f"{seconds // _DAY} days ago"
    if seconds < _RELATIVE_LIMIT:
        weeks = seconds // _WEEK
        return f"{weeks} week{'' if weeks == 1 else 's'} ago"
    return f"{value.day} {value:%b %Y}"


def time_tag(value: datetime | None, now: datetime | None = None) -> Markup:
    """``<time datetime="…" title="2026-11-01 09:30 UTC">3 h ago</time>``; empty for no time."""
    if value is None:
        return Markup("")
    value = _aware(value)
    spoken = relative_time(value, now or datetime.now(UTC))
    exact = value.astimezone(UTC).strftime(EXACT_FORMAT)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(), exact, escape(spoken))
