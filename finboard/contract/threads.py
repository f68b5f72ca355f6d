"""How a page of comments is shown as threads: one level of nesting, long threads collapsed.

Pure: a page of ``CommentPublic`` (oldest first) in, ``Thread`` rows out. A reply sits under the
top-level comment its chain of parents leads to; a reply to a reply is shown flat there too, with
"in reply to @name" naming the comment it answers. A reply whose thread starts on an earlier page
opens a thread of its own here, also with its "in reply to". A top-level comment with more than
``COLLAPSE_ABOVE`` replies shows the first ``SHOWN_WHEN_COLLAPSED``; the rest go behind a
``<details>`` (no JavaScript).

Quoting: ``quote_markdown`` turns a comment, or the passage of it a reader selected
(``quoted_passage`` checks the passage is the comment's), into a blockquote with attribution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COLLAPSE_ABOVE = 5
SHOWN_WHEN_COLLAPSED = 3
PASSAGE_NOT_FOUND = "The selected passage is not in that comment (edited meanwhile?): the whole comment is quoted."
_SPACES = re.compile(r"\s+")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass
class Entry:
    comment: object
    in_reply_to: str | None = None
    """The username of the comment it answers, when that is not simply the thread's first comment."""


@dataclass
class Thread:
    top: Entry
    replies: list[Entry] = field(default_factory=list)

    @property
    def shown(self) -> list[Entry]:
        return self.replies[:SHOWN_WHEN_COLLAPSED] if self.collapsed else self.replies

    @property
    def folded(self) -> list[Entry]:
        return self.replies[SHOWN_WHEN_COLLAPSED:] if self.collapsed else []

    @property
    def collapsed(self) -> bool:
        return len(self.replies) > COLLAPSE_ABOVE


def build_threads(comments: list, names_elsewhere: dict[int, str]) -> list[Thread]:
    """The page's comments as threads, in the order their first comment appears.

    ``names_elsewhere``: the author's username of each parent that is not on this page
    (an earlier page, or hidden); a parent in neither is gone and shows no "in reply to"."""
    by_id = {c.id: c for c in comments}
    threads: dict[int, Thread] = {}
    roots: dict[int, int] = {}
    ordered: list[Thread] = []
    for c in comments:  # oldest first: a parent on this page is always seen before its replies
        parent = c.parent_id
        if parent is not None and parent in roots:
            root = roots[parent]
            roots[c.id] = root
            answer = None if parent == root else by_id[parent].author.username
            threads[root].replies.append(Entry(c, answer))
            continue
        roots[c.id] = c.id
        thread = Thread(Entry(c, names_elsewhere.get(parent) if parent is not None else None))
        threads[c.id] = thread
        ordered.append(thread)
    return ordered


def parents_elsewhere(comments: list) -> set[int]:
    """The parents the page names but does not hold (their authors' names are looked up once)."""
    on_page = {c.id for c in comments}
    return {c.parent_id for c in comments if c.parent_id is not None and c.parent_id not in on_page}


def quote_markdown(username: str, body: str) -> str:
    """A comment quoted for a reply: the attribution (bold, not an @mention: quoting someone does not
    notify them twice) and the body as a Markdown blockquote, then a blank line to write under."""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in body.strip().splitlines())
    return f"**{username}** wrote:\n\n{quoted}\n\n"


def quoted_passage(comment_text: str, passage: str) -> str | None:
    """The passage a reader selected in a comment, tidied for quoting; None when it is blank or not
    the comment's. ``comment_text`` is the comment as the page shows it (rendered, tags dropped): a
    selection holds what the reader sees, ``bold`` where the source says ``**bold**``. White space
    is compared loosely (a selection across paragraphs or list items carries line breaks that the
    flattened text does not), every other character exactly: a quote puts no word in the author's
    mouth that the comment does not hold, whatever a hand-made ``?passage=`` says."""
    lines = [line.rstrip() for line in passage.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    tidy = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
    if not tidy or _SPACES.sub("", tidy) not in _SPACES.sub("", comment_text):
        return None
    return tidy
