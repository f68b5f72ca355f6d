"""OpenAPI paths of a member's notifications: the list, marking them read, the preferences."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.notifications import (
    MarkRead,
    NotificationPage,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    NotificationQuery,
    UnreadCount,
)
from finboard.contract.openapi.operations import operation, query_parameters

MODELS: list[type[BaseModel]] = [
    NotificationPage,
    MarkRead,
    UnreadCount,
    NotificationPreferences,
    NotificationPreferencesUpdate,
]


def paths() -> dict[str, Any]:
    return {
        "/api/v1/notifications": {
            "get": operation(
                "listNotifications",
                "Your notifications, newest first",
                200,
                NotificationPage,
                (401, 422, 503),
                auth=True,
                query=query_parameters(NotificationQuery),
            ),
        },
        "/api/v1/notifications/preferences": {
            "get": operation(
                "getNotificationPreferences",
                "How each kind of notification reaches you",
                200,
                NotificationPreferences,
                (401, 503),
                auth=True,
            ),
            "patch": operation(
                "updateNotificationPreferences",
                "Change how some kinds of notification reach you (off stops them)",
                200,
                NotificationPreferences,
                (400, 401, 413, 422, 503),
                body=NotificationPreferencesUpdate,
                auth=True,
            ),
        },
        "/api/v1/notifications/read": {
            "post": operation(
                "markRead",
                "Mark notifications read",
                200,
                UnreadCount,
                (400, 401, 413, 422, 503),
                body=MarkRead,
                auth=True,
            ),
        },
    }
