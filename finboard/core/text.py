"""Rendering what people type: Markdown to HTML that is safe to embed.

markdown-it-py renders, nh3 sanitises: no script, event handler or
``javascript:`` URL survives, whatever the input. Rendering also links each
cashtag of the text to its page (``/t/AAPL``), outside code and outside links;
finding cashtags is ``finboard.contract.cashtags`` (pure, shared by every backend).
"""

from __future__ import annotations

import re
from functools import lru_cache

from finboard.contract.cashtags import CASHTAG_RE

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
# Only the cashtag links carry a class: nh3 drops any other on any tag.
ALLOWED_CLASSES = {"a": {"cashtag"}}
# What people link to is theirs, not ours: user-generated, not endorsed.
LINK_REL = "nofollow ugc noopener noreferrer"
CASHTAG_PATH = "/t/"
# nh3 adds LINK_REL to every link; the forum's own cashtag links don't need it.
# Matched on nh3's output, where only the cashtag links can carry this class.
_CASHTAG_LINK_REL = re.compile(
    r'(<a href="' + re.escape(CASHTAG_PATH) + r'[A-Z0-9.]+" class="cashtag") rel="' + re.escape(LINK_REL) + '">'
)


def cashtag_href(ticker: str) -> str:
    return f"{CASHTAG_PATH}{ticker}"


def _link_cashtags(state) -> None:
    """A markdown-it core rule: each $TICKER in plain text becomes a link to its page.

    Only ``text`` tokens outside links are touched, so code spans, code blocks,
    link texts, autolinks and image alt texts keep their cashtags as typed.
    """
    from markdown_it.token import Token

    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list = []
        link_depth = 0
        for token in block.children:
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            if token.type != "text" or link_depth or "$" not in token.content:
                children.append(token)
                continue
            position = 0
            for match in CASHTAG_RE.finditer(token.content):
                if match.start() > position:
                    children.append(Token("text", "", 0, content=token.content[position : match.start()]))
                attrs = {"href": cashtag_href(match.group(1).upper()), "class": "cashtag"}
                children.append(Token("link_open", "a", 1, attrs=attrs))
                children.append(Token("text", "", 0, content=match.group(0)))
                children.append(Token("link_close", "a", -1))
                position = match.end()
            if position < len(token.content):
                children.append(Token("text", "", 0, content=token.content[position:]))
        block.children = children


@lru_cache(maxsize=1)
def _markdown():
    """The parser, built on first use (an API-only worker never loads markdown-it or nh3).

    Raw HTML in the source is disabled: it is escaped, not passed through.
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
    parser.core.ruler.push("cashtags", _link_cashtags)
    return parser


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
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
    )
    return _CASHTAG_LINK_REL.sub(r"\1>", clean)
