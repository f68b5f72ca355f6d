"""Cashtags ($AAPL, $BRK.B): finding them in text and reading a typed ticker.

Pure text rules shared by every backend (what a post is tagged with decides
listings, counters and notifications) and by the forum's Markdown rendering,
which links each cashtag to its page (``finboard.core.text``).
"""

from __future__ import annotations

import re

from finboard.contract.errors import ApiError
from finboard.contract.limits import TICKER_MAX

MAX_CASHTAGS_PER_POST = 20

# A "$" not preceded by a letter, digit or another "$" ("_$AMD_" in Markdown
# italics still counts), a letter, then up to
# nine letters/digits with an optional ".X" share-class suffix. "$100" is money,
# not a ticker, so the first character must be a letter.
CASHTAG_RE = re.compile(r"(?<![^\W_]|\$)\$([A-Za-z][A-Za-z0-9]{0,5}(?:\.[A-Za-z]{1,2})?)(?![\w.]*[A-Za-z0-9])")
TICKER_RE = re.compile(r"^[A-Z][A-Z0-9]{0,5}(?:\.[A-Z]{1,2})?$")


def extract_cashtags(*texts: str) -> list[str]:
    """Unique upper-case tickers in order of first appearance, at most 20."""
    seen: dict[str, None] = {}
    for chunk in texts:
        for match in CASHTAG_RE.finditer(chunk or ""):
            ticker = match.group(1).upper()
            if len(ticker) <= TICKER_MAX:
                seen.setdefault(ticker, None)
            if len(seen) >= MAX_CASHTAGS_PER_POST:
                return list(seen)
    return list(seen)


def normalize_ticker(raw: str) -> str | None:
    """A ticker as typed in a filter ("aapl", "$AAPL") or None when not one."""
    ticker = (raw or "").strip().lstrip("$").upper()
    return ticker if TICKER_RE.match(ticker) else None


def ticker_in_path(raw: str) -> str:
    """The ticker a path names (``/tickers/{ticker}/...``), or the 404 every backend answers."""
    ticker = normalize_ticker(raw)
    if ticker is None:
        raise ApiError(404, "not_found")
    return ticker
