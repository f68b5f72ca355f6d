"""@mentions: which usernames a post or comment names (each is told, see ``notifications``).

Pure text parsing; turning the names into user ids is a database lookup and
stays with each backend's persistence.
"""

from __future__ import annotations

import re

MAX_MENTIONS = 20
MENTION_RE = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]{3,32})\b")


def mentioned_usernames(*texts: str) -> list[str]:
    """Lower-cased @usernames in order of appearance, at most ``MAX_MENTIONS``."""
    seen: dict[str, None] = {}
    for chunk in texts:
        for match in MENTION_RE.finditer(chunk or ""):
            seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_MENTIONS]
