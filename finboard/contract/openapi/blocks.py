"""OpenAPI paths of blocks and mutes: members, words and tickers you would rather not hear."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.blocks import BlockList, MuteList
from finboard.contract.limits import MUTE_WORD_MAX
from finboard.contract.openapi.operations import USERNAME, operation, path_parameter

MODELS: list[type[BaseModel]] = [BlockList, MuteList]
SWITCH_ERRORS = (401, 404, 422, 503)
WORD = path_parameter("word", {"type": "string", "minLength": 1, "maxLength": 4 * MUTE_WORD_MAX})
MUTED_TICKER = path_parameter("ticker", {"type": "string", "minLength": 1, "maxLength": 32})
MATCHING = (
    "A muted word or phrase hides posts whose title or body contains it as a whole word, "
    "case-insensitively (not preceded or followed by a letter, digit or underscore); "
    "a muted ticker hides posts tagged with it. Applied to your /feed; a blocked member's "
    "posts leave your /feed, their notifications are not listed or created, and they cannot "
    "comment on your posts (403 code blocked)."
)


def paths() -> dict[str, Any]:
    return {
        "/api/v1/blocks": {
            "get": operation("getBlocks", "Members you block", 200, BlockList, (401, 503), auth=True),
        },
        "/api/v1/blocks/{username}": {
            "parameters": [USERNAME],
            "put": operation("blockMember", "Block a member", 200, BlockList, SWITCH_ERRORS, auth=True),
            "delete": operation("unblockMember", "Unblock a member", 200, BlockList, SWITCH_ERRORS, auth=True),
        },
        "/api/v1/mutes": {
            "get": operation(
                "getMutes", "Your muted words and tickers", 200, MuteList, (401, 503), auth=True, description=MATCHING
            ),
        },
        "/api/v1/mutes/words/{word}": {
            "parameters": [WORD],
            "put": operation("muteWord", "Mute a word or phrase", 200, MuteList, SWITCH_ERRORS, auth=True),
            "delete": operation("unmuteWord", "Unmute a word or phrase", 200, MuteList, SWITCH_ERRORS, auth=True),
        },
        "/api/v1/mutes/tickers/{ticker}": {
            "parameters": [MUTED_TICKER],
            "put": operation("muteTicker", "Mute a ticker", 200, MuteList, SWITCH_ERRORS, auth=True),
            "delete": operation("unmuteTicker", "Unmute a ticker", 200, MuteList, SWITCH_ERRORS, auth=True),
        },
    }
