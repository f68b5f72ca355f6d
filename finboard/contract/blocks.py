"""Blocks and mutes: what a member chose not to hear, and the one rule that applies it.

A **block** (member → member) means, for the blocker: the blocked member's posts and
comments are collapsed on the forum (dropped from the API's ``/feed``), the fan-out
never notifies the blocker of anything the blocked member wrote (``rawsql.fanout``),
older notifications from them are not listed, and the blocked member may not comment
on the blocker's posts (403 ``blocked``).

A **mute** is a word (or short phrase) or a ticker. A muted ticker hides every post
whose cashtags include it. A muted word hides every post whose title or body contains
it **as a whole word, case-insensitively**: the term must not be preceded or followed
by a letter, digit or underscore (Unicode ``\\w``), so muting ``moon`` hides "To the
MOON!" and "moon-shot" but not "moonlight" or "honeymoon". Inner spaces of a phrase
match any run of white space. Only the member who muted sees the difference.

Why one pure rule (``MemberFilter``) rather than SQL per backend: the listings are
shared cached pages (every visitor of ``/`` reads the same bytes); applying a member's
filter to the cached items after the read keeps those cache entries and keys exactly as
they were for everyone else, and every backend and both data layers apply the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from finboard.contract.base import Schema
from finboard.contract.cashtags import normalize_ticker
from finboard.contract.errors import ApiError
from finboard.contract.limits import BLOCKS_MAX, MUTE_WORD_MAX, MUTES_MAX

MuteKind = Literal["word", "ticker"]
MUTE_KINDS: tuple[MuteKind, ...] = ("word", "ticker")
# Letters, digits, and inner spaces, hyphens, apostrophes or dots: a word or a short phrase.
_WORD_RE = re.compile(r"^[^\W_](?:[\w '.\-]*[^\W_])?$")


class BlockList(Schema):
    usernames: list[str] = Field(description="Members you block, alphabetical (case-insensitive).")


class MuteList(Schema):
    words: list[str] = Field(description="Muted words and phrases, lower case, alphabetical.")
    tickers: list[str] = Field(description="Muted tickers, alphabetical.")


def normalize_word(raw: str) -> str:
    """A muted word as stored (trimmed, inner white space single, lower case), or a 422 naming ``word``."""
    word = " ".join((raw or "").split()).lower()
    if not word:
        raise ApiError(422, "invalid", {"word": "Enter a word or phrase to mute."})
    if len(word) > MUTE_WORD_MAX:
        raise ApiError(422, "invalid", {"word": f"A muted word is at most {MUTE_WORD_MAX} characters."})
    if not _WORD_RE.match(word):
        raise ApiError(
            422, "invalid", {"word": "Use letters and digits (with spaces, hyphens, apostrophes or dots inside)."}
        )
    return word


def normalize_muted_ticker(raw: str) -> str:
    """A muted ticker ("aapl", "$AAPL" → "AAPL"), or a 422 naming ``ticker``."""
    ticker = normalize_ticker(raw)
    if ticker is None:
        raise ApiError(422, "invalid", {"ticker": "Not a ticker: letters and digits, like AAPL or BRK.B."})
    return ticker


def normalize_mute(kind: str, raw: str) -> str:
    return normalize_word(raw) if kind == "word" else normalize_muted_ticker(raw)


def check_block_target(blocker_id: int, target_id: int) -> None:
    if blocker_id == target_id:
        raise ApiError(422, "invalid", {"username": "You cannot block yourself."})


def check_block_room(count: int) -> None:
    """422 for a new block when ``count`` members are blocked already."""
    if count >= BLOCKS_MAX:
        raise ApiError(422, "invalid", {"username": f"You can block at most {BLOCKS_MAX} members."})


def check_mute_room(count: int, kind: str) -> None:
    """422 for a new mute when ``count`` words and tickers are muted already."""
    if count >= MUTES_MAX:
        raise ApiError(422, "invalid", {kind: f"You can mute at most {MUTES_MAX} words and tickers."})


def check_not_blocked(blocked: bool) -> None:
    """403 ``blocked``: the post's author blocks the member who comments."""
    if blocked:
        raise ApiError(403, "blocked", code="blocked")


def _word_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    terms = sorted((r"\s+".join(re.escape(part) for part in word.split()) for word in words), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class MemberFilter:
    """One member's blocks and mutes, applied to posts, comments and notifications they read."""

    blocked_ids: frozenset[int] = frozenset()
    words: tuple[str, ...] = ()
    tickers: frozenset[str] = frozenset()
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, blocked_ids: Iterable[int], mutes: Iterable[tuple[str, str]]) -> MemberFilter:
        """From the block rows' ids and the mute rows' (kind, term)."""
        mutes = list(mutes)
        words = tuple(sorted(term for kind, term in mutes if kind == "word"))
        tickers = frozenset(term for kind, term in mutes if kind == "ticker")
        return cls(frozenset(blocked_ids), words, tickers, _word_pattern(words))

    @property
    def empty(self) -> bool:
        return not (self.blocked_ids or self.words or self.tickers)

    def blocks(self, author_id: int) -> bool:
        return author_id in self.blocked_ids

    def mutes(self, post) -> bool:
        """A post (anything with ``title``, ``body``, ``cashtags``) holds a muted ticker or word."""
        if self.tickers and not self.tickers.isdisjoint(post.cashtags):
            return True
        return self._pattern is not None and (
            self._pattern.search(post.title) is not None or self._pattern.search(post.body) is not None
        )

    def shown(self, posts: Iterable) -> list:
        """The posts left after the mutes (blocked members' posts stay, to be collapsed)."""
        return [post for post in posts if not self.mutes(post)]

    def kept(self, posts: Iterable) -> list:
        """The posts left after the mutes and the blocks (the API, which cannot collapse)."""
        return [post for post in posts if not self.mutes(post) and not self.blocks(post.author.id)]


NO_FILTER = MemberFilter()
