"""Which notifications of one fan-out are mailed at once, as SQL for every driver.

A member whose preference for a kind is ``email`` gets that notification by mail too
(finboard.core.notification_mail). After the fan-out of an event inserted its rows, the
same job reads (embedded) or enqueues (queued, PostgreSQL: one set-based call of
Procrastinate's enqueue function, no Python object per recipient) one mail job per
notification of the event whose recipient wants it mailed and that is not mailed yet.
Blocks and muted tickers are checked again when the mail is composed.

Written once for both placeholder styles, like finboard.rawsql.fanout (``param``).
"""

from __future__ import annotations

from typing import Any

from finboard.rawsql.fanout import UserRange

NOTIFICATION_MAIL_TASK = "finboard.notification_mail"
MAIL_QUEUE = "mail"

_DUE = (
    "SELECT n.id FROM notifications n "
    "JOIN notification_preferences np ON np.user_id = n.user_id AND np.kind = n.kind AND np.delivery = 'email' "
    "WHERE {event_condition}{user_range} "
    "AND NOT EXISTS (SELECT 1 FROM notification_emails m WHERE m.notification_id = n.id)"
)
_DEFER_DUE = (
    "SELECT procrastinate_defer_jobs_v1(ARRAY(SELECT CAST(ROW({queue}, {task}, 0, NULL, NULL, "
    "jsonb_build_object('notification_id', due.id), NULL) AS procrastinate_job_to_defer_v1) "
    "FROM ({due}) due ORDER BY due.id))"
)


def due_statement(kind: str, event_id: int, param, user_range: UserRange = (None, None)) -> tuple[str, dict[str, Any]]:
    """The ids of the event's (a post's or a comment's) notifications to mail: (SQL, parameters)."""
    params: dict[str, Any] = {"event_id": event_id}
    if kind == "post":
        event_condition = f"n.post_id = {param('event_id')} AND n.comment_id IS NULL"
    else:
        event_condition = f"n.comment_id = {param('event_id')}"
    condition = ""
    if user_range[0] is not None:
        condition, params["user_from"] = f"{condition} AND n.user_id >= {param('user_from')}", user_range[0]
    if user_range[1] is not None:
        condition, params["user_to"] = f"{condition} AND n.user_id < {param('user_to')}", user_range[1]
    sql = _DUE.format(event_condition=event_condition, user_range=condition)
    return sql, params


def defer_due_statement(
    kind: str, event_id: int, param, user_range: UserRange = (None, None)
) -> tuple[str, dict[str, Any]]:
    """PostgreSQL: enqueue one mail job per notification to mail, in the caller's transaction."""
    due, params = due_statement(kind, event_id, param, user_range)
    sql = _DEFER_DUE.format(queue=param("queue"), task=param("task"), due=due)
    return sql, {**params, "queue": MAIL_QUEUE, "task": NOTIFICATION_MAIL_TASK}
