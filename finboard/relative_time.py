"""Relative times ("3 h ago") rendered by the server, with the exact time kept in the markup.

Pages show how long ago something happened, which is what a reader of a board wants
("is this thread alive?"); the exact UTC time stays in ``<time datetime title>`` for
hover, screen readers and scripts. Rendered on the server, so no JavaScript is needed;
a visitor's page may come whole from the page cache (``finboard.page_cache``), which keeps
it at most ``PAGE_CACHE_TTL`` seconds (60 by default), so the wording is at most that
much behind the clock. A page row's time (``Stamp``) comes with its ISO and UTC texts
already formatted, so a render only works out the words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

EXACT_FORMAT = "%Y-%m-%d %H:%M UTC"
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
# Older than this, a relative time says less than the date: show the date.
_RELATIVE_LIMIT = 4 * _WEEK
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _aware(value: datetime) -> datetime:
    """The stored times are UTC; SQLite hands them back naive."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _spoken(seconds: int) -> str | None:
    """How long ago, ``seconds`` before now; None when the date says more (older than four weeks)."""
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
    return None


def relative_time(value: datetime, now: datetime) -> str:
    """``value`` as a reader says it, seen from ``now``: "just now", "5 min ago", "3 h ago",
    "yesterday", "4 days ago", "2 weeks ago", then the date ("12 Mar 2026", the year
    always, so an old post never reads as this year's). A time ahead of ``now`` (clock
    skew between hosts) is "just now"."""
    value, now = _aware(value), _aware(now)
    return _spoken(int((now - value).total_seconds())) or f"{value.day} {value:%b %Y}"


def current_time() -> datetime:
    """The clock, aware, in UTC (one place to read it: a page reads it once per render)."""
    return datetime.now(UTC)


def now_micros(now: datetime | None = None) -> int:
    """The clock (or ``now``) in microseconds since the epoch: what ``Stamp.tag`` is given."""
    return (_aware(now or datetime.now(UTC)) - _EPOCH) // _MICROSECOND


class Stamp:
    """A time of a page row (``finboard.rawsql.page_rows.stamp``): everything its ``<time>`` tag
    needs but the words "3 h ago" was computed when the row was built, once, not per render."""

    __slots__ = ("micros", "iso", "exact", "dated")

    def __init__(self, micros: int, iso: str, exact: str, dated: str):
        self.micros, self.iso, self.exact, self.dated = micros, iso, exact, dated

    def __gt__(self, other: Stamp) -> bool:
        return self.micros > other.micros

    def __lt__(self, other: Stamp) -> bool:
        return self.micros < other.micros

    def tag(self, now: int) -> Markup:
        """The ``<time>`` tag seen from ``now`` (``now_micros``): the same markup as ``time_tag``.

        Every part is digits, ASCII letters and fixed words (the ISO and UTC forms, a month's
        abbreviation, "3 h ago"): nothing to escape."""
        spoken = _spoken((now - self.micros) // 1_000_000 if now >= self.micros else 0) or self.dated
        tag = f'<time datetime="{self.iso}" title="{self.exact}">{spoken}</time>'
        return Markup(tag)  # noqa: S704  # nosec B704 - digits, ASCII letters, fixed words


def time_tag(value: datetime | Stamp | None, now: datetime | None = None) -> Markup:
    """``<time datetime="…" title="2026-11-01 09:30 UTC">3 h ago</time>``; empty for no time."""
    if value is None:
        return Markup("")
    if isinstance(value, Stamp):
        return value.tag(now_micros(now))
    value = _aware(value)
    spoken = relative_time(value, now or datetime.now(UTC))
    exact = value.astimezone(UTC).strftime(EXACT_FORMAT)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(value.isoformat(), exact, escape(spoken))
