"""Turning what people type into what the forum stores and shows.

Two jobs, both shared by every backend: finding cashtags ($AAPL, $BRK.B) in
titles and bodies, and rendering Markdown to HTML that is safe to embed
(markdown-it-py renders, nh3 sanitises: no script, event handler or
``javascript:`` URL survives, whatever the input).
"""

from __future__ import annotations

import re
from functools import lru_cache

from finboard.core.models import TICKER_MAX

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


ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _markdown():
    """The parser, built on first use (an API-only worker never loads markdown-it or nh3).

    Raw HTML in the source is disabled: it is escaped, not passed through.
    """
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


@lru_cache(maxsize=2048)
def render_markdown(source: str) -> str:
    """Markdown source to sanitised HTML, safe to insert into a page.

    Memoised per worker: the output depends only on the text, and a popular
    post is rendered on every view (parsing and sanitising cost more than the
    rest of the page). Bodies are at most 20,000 characters, so the cache is
    bounded at a few tens of MB in the worst case.
    """
    import nh3

    html = _markdown().render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
