"""OpenAPI paths of watches: being told of new comments on a post or new posts in a category."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.notifications import WatchState
from finboard.contract.openapi.operations import POST_ID, SLUG, operation

MODELS: list[type[BaseModel]] = [WatchState]
WATCH_ERRORS = (401, 404, 503)


def paths() -> dict[str, Any]:
    return {
        "/api/v1/posts/{post_id}/watch": {
            "parameters": [POST_ID],
            "put": operation("watchPost", "Be notified of new comments", 200, WatchState, WATCH_ERRORS, auth=True),
            "delete": operation("unwatchPost", "Stop watching", 200, WatchState, WATCH_ERRORS, auth=True),
        },
        "/api/v1/categories/{slug}/watch": {
            "parameters": [SLUG],
            "put": operation("watchCategory", "Be notified of new posts", 200, WatchState, WATCH_ERRORS, auth=True),
            "delete": operation("unwatchCategory", "Stop watching", 200, WatchState, WATCH_ERRORS, auth=True),
        },
    }
