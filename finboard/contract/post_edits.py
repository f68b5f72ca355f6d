"""What an edit of a post changes: its new title and body, and whether it keeps a revision.

Pure: ``post`` is a row of either ORM; each persistence path writes the revision and the
fields itself.
"""

from __future__ import annotations

from typing import NamedTuple


class TextEdit(NamedTuple):
    title: str
    body: str
    keeps_revision: bool  # the title or the body changes: the previous version is kept


def text_edit(post, title: str | None, body: str | None) -> TextEdit:
    """The post's title and body after an edit that gives ``title`` and/or ``body`` (None: unchanged)."""
    new_title = post.title if title is None else title
    new_body = post.body if body is None else body
    return TextEdit(new_title, new_body, new_title != post.title or new_body != post.body)
