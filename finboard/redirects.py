"""Where a form may send the browser back to: one check for every ``next``.

The login form's ``?next=``, and the ``next`` of the watch, follow, report and
moderation forms all go through ``safe_next_url``: only a same-site relative
path is kept — it starts with one "/", has no scheme or host, no backslash
(browsers read it as "/"), no control character (CR/LF would split the
Location header, which Werkzeug refuses with a 500; a tab or newline inside
"/\t/evil.com" is dropped by browsers, leaving "//evil.com") and is of a
sane length. Anything else is None, and the caller uses its own default.
"""

from __future__ import annotations

from urllib.parse import urlsplit

NEXT_MAX = 2048


def safe_next_url(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None."""
    if not target or len(target) > NEXT_MAX:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
