"""The notification fan-out as set-based SQL, and the statement that enqueues it as a job.

A new post or comment tells its audiences (``finboard.contract.notifications``: the
kinds and their precedence). Each audience is one ``INSERT ... SELECT`` — the database
copies the rows, no Python object per follower — run in the contract's precedence
order with ``ON CONFLICT DO NOTHING`` on the unique index ``uq_notifications_event``
(user, post, comment): a member already told by an earlier audience is skipped, so the
first audience decides the kind, and running the fan-out of one event again inserts
nothing (the job's idempotence). The author is never told, nor a member who turned that
kind off (``notification_preferences``, the settings page: the next audience may still
name them), nor a member who blocks the author (``user_blocks``, ``finboard.contract.blocks``):
each a ``NOT EXISTS`` in the same statement, one primary-key probe per recipient, so
neither costs an extra round trip.

A large audience is split (issue 16, point 2): :func:`chunk_bounds` cuts the members'
ids into keyset ranges of about ``chunk`` ticker followers each, and each range is a job of
its own (``FANOUT_RANGE_TASK``) running *every* audience's statement restricted to that
range, in the same precedence order. A member falls in exactly one range, so the ranges
together insert exactly the rows of the unsplit fan-out, and each range is idempotent on
its own (``ON CONFLICT DO NOTHING``): a killed range is simply run again.

On PostgreSQL the notification rows carry no foreign keys to the actor and the post
(migration 0012: they were checked once per inserted row, for the same two rows every
time); instead the job takes ``FOR KEY SHARE`` on the event's row once (``lock``), which
keeps a concurrent delete of the post or comment waiting until the notifications are
committed, and then removes them (the posts trigger, the comments foreign key).

The text is written once for both drivers' placeholder styles (``param`` turns a
name into ``:name`` for SQLAlchemy or ``%(name)s`` for Django's cursor) and runs on
PostgreSQL and SQLite alike. Kinds and table names are literals of this module;
every value is a bound parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from finboard.contract.mentions import mentioned_usernames
from finboard.contract.notifications import NEW_COMMENT_AUDIENCES, NEW_POST_AUDIENCES

EventKind = Literal["post", "comment"]
Param = Callable[[str], str]
Execute = Callable[[str, dict[str, Any]], Any]
"""Runs one statement with its parameters; returns the first row (reads) or the row count (inserts)."""

FANOUT_TASK = "finboard.fanout"
FANOUT_RANGE_TASK = "finboard.fanout_range"
FANOUT_QUEUE = "notifications"
LOCK_EVENT = " FOR KEY SHARE"
"""Appended to the event's SELECT on PostgreSQL (SQLite has one writer at a time, and no such clause)."""

AUDIENCES = {"post": NEW_POST_AUDIENCES, "comment": NEW_COMMENT_AUDIENCES}

# The event's own row: what it says (for @mentions and $tickers) and where it belongs.
_EVENT_SOURCE = {
    "post": "SELECT p.id, p.title, p.body, p.cashtags FROM posts p WHERE p.id = {id}",
    "comment": "SELECT c.post_id, '', c.body, '' FROM comments c WHERE c.id = {id}",
}
# (table, post id, comment id) of the notification rows, read from the event's row ``e``.
_EVENT_ROW = {
    "post": ("posts", "e.id", "CAST(NULL AS INTEGER)"),
    "comment": ("comments", "e.post_id", "e.id"),
}
# Each audience: (user_id, ticker) rows. {post_id}, {ticker}, {names} are placeholders.
_AUDIENCE_SQL = {
    "mention": "SELECT u.id AS user_id, NULL AS ticker FROM users u WHERE lower(u.username) IN ({names})",
    "new_post": (
        "SELECT w.user_id, NULL AS ticker FROM category_watches w "
        "JOIN posts p ON p.category_id = w.category_id WHERE p.id = {post_id}"
    ),
    "ticker": "SELECT f.user_id, f.ticker FROM ticker_follows f WHERE f.ticker = {ticker}",
    "reply": "SELECT p.author_id AS user_id, NULL AS ticker FROM posts p WHERE p.id = {post_id}",
    "comment_reply": (
        "SELECT pc.author_id AS user_id, NULL AS ticker FROM comments c "
        "JOIN comments pc ON pc.id = c.parent_id WHERE c.id = {event_id}"
    ),
    "comment": "SELECT w.user_id, NULL AS ticker FROM post_watches w WHERE w.post_id = {post_id}",
}
_INSERT = (
    "INSERT INTO notifications (user_id, kind, actor_id, post_id, comment_id, ticker, created_at) "
    "SELECT a.user_id, '{kind}', e.author_id, {post_id_of_row}, {comment_id_of_row}, a.ticker, e.created_at "
    "FROM {table} e, ({audience}) a "
    "WHERE e.id = {event_id} AND a.user_id <> e.author_id{user_range} "
    "AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = a.user_id AND b.blocked_id = e.author_id) "
    "AND NOT EXISTS (SELECT 1 FROM notification_preferences np "
    "WHERE np.user_id = a.user_id AND np.kind = '{kind}' AND np.delivery = 'off') "
    "ORDER BY a.user_id "
    "ON CONFLICT DO NOTHING"
)
# The 1st, (chunk+1)th, (2 chunk+1)th ... follower (in id order) of the post's tickers: where each range
# starts. Integer arithmetic rather than % (a literal % means something else to pyformat drivers).
_CHUNK_BOUNDS = (
    "SELECT user_id FROM (SELECT user_id, row_number() OVER (ORDER BY user_id) - 1 AS n "
    "FROM (SELECT DISTINCT f.user_id FROM ticker_follows f WHERE f.ticker IN ({tickers})) d) s "
    "WHERE n = (n / {chunk}) * {chunk} ORDER BY user_id"
)

UserRange = tuple[int | None, int | None]
"""Members with ``from <= user_id < to``; None is open-ended."""
EVERYONE: UserRange = (None, None)

# Procrastinate's own enqueue function (its schema is applied by migration 0007), called in the
# writer's transaction: the job exists if and only if the write commits.
_DEFER = (
    "SELECT procrastinate_defer_jobs_v1(ARRAY[CAST(ROW({queue}, {task}, 0, NULL, NULL, CAST({args} AS jsonb), NULL) "
    "AS procrastinate_job_to_defer_v1)])"
)


def colon(name: str) -> str:
    """SQLAlchemy ``text()`` placeholders."""
    return f":{name}"


def pyformat(name: str) -> str:
    """psycopg's and Django's cursor placeholders."""
    return f"%({name})s"


@dataclass(frozen=True)
class FanoutEvent:
    """A new post or comment, as its fan-out needs it."""

    kind: EventKind
    id: int
    post_id: int
    mentioned: tuple[str, ...]
    tickers: tuple[str, ...]


def _check_kind(kind: str) -> EventKind:
    if kind not in AUDIENCES:
        raise ValueError(f"no fan-out for events of kind {kind!r} (known: {', '.join(AUDIENCES)})")
    return kind  # type: ignore[return-value]


def defer_statement(param: Param) -> str:
    return _DEFER.format(queue=param("queue"), task=param("task"), args=param("args"))


def defer_params(kind: str, event_id: int) -> dict[str, Any]:
    _check_kind(kind)
    return {"queue": FANOUT_QUEUE, "task": FANOUT_TASK, "args": json.dumps({"event": kind, "event_id": event_id})}


def defer_range_params(kind: str, event_id: int, user_range: UserRange) -> dict[str, Any]:
    """The job of one range of a split fan-out (same queue: the worker runs several at once)."""
    _check_kind(kind)
    args = {"event": kind, "event_id": event_id, "user_from": user_range[0], "user_to": user_range[1]}
    return {"queue": FANOUT_QUEUE, "task": FANOUT_RANGE_TASK, "args": json.dumps(args)}


def load_event(kind: str, event_id: int, fetch_one: Execute, param: Param, lock: str = "") -> FanoutEvent | None:
    """The event as it is now, or None when it is gone (a post or comment deleted before its job ran).

    ``lock`` (:data:`LOCK_EVENT` on PostgreSQL) holds the event's row until the caller's
    transaction ends, so it cannot be deleted under the notifications being inserted."""
    row = fetch_one(_EVENT_SOURCE[_check_kind(kind)].format(id=param("id")) + lock, {"id": event_id})
    if row is None:
        return None
    post_id, title, body, cashtags = row
    return FanoutEvent(kind, event_id, post_id, tuple(mentioned_usernames(title, body)), tuple(cashtags.split()))


def _audience_queries(event: FanoutEvent, param: Param) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """(kind, SELECT, parameters) of each audience, in the contract's precedence order."""
    for audience in AUDIENCES[event.kind]:
        sql = _AUDIENCE_SQL[audience]
        if audience == "mention":
            if event.mentioned:
                names = {f"name_{i}": name for i, name in enumerate(event.mentioned)}
                yield audience, sql.format(names=", ".join(param(key) for key in names)), names
        elif audience == "comment_reply":  # the author of the comment this one replies to (none: no row)
            yield audience, sql.format(event_id=param("event_id")), {}
        elif audience == "ticker":  # one statement per ticker, in the post's order: the first one names it
            for ticker in event.tickers:
                yield audience, sql.format(ticker=param("ticker")), {"ticker": ticker}
        else:
            yield audience, sql.format(post_id=param("post_id")), {"post_id": event.post_id}


def _range_condition(user_range: UserRange, param: Param) -> tuple[str, dict[str, Any]]:
    sql, params = "", {}
    if user_range[0] is not None:
        sql, params["user_from"] = f"{sql} AND a.user_id >= {param('user_from')}", user_range[0]
    if user_range[1] is not None:
        sql, params["user_to"] = f"{sql} AND a.user_id < {param('user_to')}", user_range[1]
    return sql, params


def fanout_statements(
    event: FanoutEvent, param: Param, user_range: UserRange = EVERYONE
) -> list[tuple[str, dict[str, Any]]]:
    """The event's INSERT ... SELECT statements for the members in ``user_range``, in the order they must run."""
    table, post_id_of_row, comment_id_of_row = _EVENT_ROW[event.kind]
    condition, range_params = _range_condition(user_range, param)
    return [
        (
            _INSERT.format(
                kind=audience,
                post_id_of_row=post_id_of_row,
                comment_id_of_row=comment_id_of_row,
                table=table,
                audience=select,
                event_id=param("event_id"),
                user_range=condition,
            ),
            {**params, **range_params, "event_id": event.id},
        )
        for audience, select, params in _audience_queries(event, param)
    ]


def chunk_bounds(event: FanoutEvent, chunk: int, fetch_all: Execute, param: Param) -> list[UserRange]:
    """The keyset ranges that split the event's fan-out into parts of about ``chunk`` ticker followers.

    One range (everyone) when the followers fit in one chunk, or the event names no ticker:
    only a ticker's followers make an audience large (mentions are few, watchers of a post or
    category far fewer than a popular ticker's followers). The first range is open below and
    the last open above, so every other audience's members fall in exactly one range too.
    """
    if chunk < 1:
        raise ValueError(f"a fan-out chunk holds at least one member, not {chunk}")
    if event.kind != "post" or not event.tickers:
        return [EVERYONE]
    tickers = {f"ticker_{i}": ticker for i, ticker in enumerate(event.tickers)}
    sql = _CHUNK_BOUNDS.format(tickers=", ".join(param(key) for key in tickers), chunk=param("chunk"))
    starts = [row[0] for row in fetch_all(sql, {**tickers, "chunk": chunk})]
    if len(starts) < 2:  # one chunk's worth: splitting would only add a job's overhead
        return [EVERYONE]
    edges: list[int | None] = [None, *starts[1:], None]
    return list(zip(edges[:-1], edges[1:], strict=True))


def run_fanout(
    kind: str,
    event_id: int,
    fetch_one: Execute,
    insert: Execute,
    param: Param,
    lock: str = "",
    user_range: UserRange = EVERYONE,
) -> int:
    """Notify the event's audiences (those in ``user_range``) on the caller's connection and
    transaction; the rows inserted."""
    event = load_event(kind, event_id, fetch_one, param, lock)
    if event is None:
        return 0
    return sum(insert(sql, params) for sql, params in fanout_statements(event, param, user_range))
