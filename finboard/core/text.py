"""Rendering what people type: Markdown to HTML that is safe to embed.

markdown-it-py renders, nh3 sanitises: no script, event handler or
``javascript:`` URL survives, whatever the input. One pass over the plain text
of each paragraph (outside code and outside links) then adds the forum's links:

- each cashtag links to its page (``/t/AAPL``); finding cashtags is
  ``finboard.contract.cashtags`` (pure, shared by every backend);
- each @mention links to the profile ``/u/<name>``, with the same pattern that
  decides who is notified (``finboard.contract.mentions``). Every well-formed
  mention is linked, member or not: the rendering stays a pure function of the
  text (memoised, identical in feeds and every worker), and a name nobody holds
  leads to the profile page's "not found";
- each bare ``http(s)://`` URL becomes a link (``rel="nofollow ugc noopener noreferrer"``
  like every link people write).

Images: only our own uploads (``/media/<sha256>.webp``, ``finboard.contract.uploads``)
are embedded, as ``<img loading="lazy">``; any other image URL is shown as a
link to it (class ``external-image``), never loaded: a reader's browser makes no
request to a third party it did not choose (privacy, and no tracking pixels), and
the Content-Security-Policy keeps ``img-src 'self'``. The ``<img>`` has no width and
height: the text alone does not know them (the stylesheet keeps images within the
column), and looking them up would make rendering depend on the database.
"""

from __future__ import annotations

import re
from functools import lru_cache

from finboard.contract.cashtags import CASHTAG_RE
from finboard.contract.mentions import MENTION_RE
from finboard.contract.uploads import MEDIA_URL_RE

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
    "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "img": {"src", "alt", "loading"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Only the renderer's own links carry a class: nh3 drops any other on any tag.
ALLOWED_CLASSES = {"a": {"cashtag", "mention", "external-image"}}
# What people link to is theirs, not ours: user-generated, not endorsed.
LINK_REL = "nofollow ugc noopener noreferrer"
CASHTAG_PATH = "/t/"
PROFILE_PATH = "/u/"
# nh3 adds LINK_REL to every link; the forum's own cashtag and mention links don't need it.
# Matched on nh3's output, where only the renderer's links can carry these classes.
_INTERNAL_LINK_REL = re.compile(
    r'(<a href="(?:'
    + re.escape(CASHTAG_PATH)
    + r'[A-Z0-9.]+" class="cashtag|'
    + re.escape(PROFILE_PATH)
    + r'[A-Za-z0-9_]+" class="mention)") rel="'
    + re.escape(LINK_REL)
    + '">'
)
# A bare web address in text; trailing punctuation is the sentence's, not the URL's.
BARE_URL_RE = re.compile(r"(?<![\w/])https?://[^\s<>\"'`]+[^\s<>\"'`.,:;!?)\]}*_~]")
# One scan finds all three, leftmost first (a URL wins over the @ or $ inside it).
_AUTOLINK_RE = re.compile(
    "(?P<url>"
    + BARE_URL_RE.pattern
    + ")|(?P<mention>"
    + MENTION_RE.pattern
    + ")|(?P<cashtag>"
    + CASHTAG_RE.pattern
    + ")"
)

# A cheap test before the full scan: most text has none of these.
_MAY_LINK = re.compile(r"[$@]|://")


def cashtag_href(ticker: str) -> str:
    return f"{CASHTAG_PATH}{ticker}"


def profile_href(username: str) -> str:
    return f"{PROFILE_PATH}{username}"


def _autolinks(content: str):
    """Tokens for ``content`` with its bare URLs, @mentions and cashtags as links."""
    from markdown_it.token import Token

    position = 0
    for match in _AUTOLINK_RE.finditer(content):
        if match.start() > position:
            yield Token("text", "", 0, content=content[position : match.start()])
        text = match.group(0)
        if match.group("url"):
            attrs = {"href": text}
        elif match.group("mention"):
            attrs = {"href": profile_href(text[1:]), "class": "mention"}
        else:
            attrs = {"href": cashtag_href(text[1:].upper()), "class": "cashtag"}
        yield Token("link_open", "a", 1, attrs=attrs)
        yield Token("text", "", 0, content=text)
        yield Token("link_close", "a", -1)
        position = match.end()
    if position < len(content):
        yield Token("text", "", 0, content=content[position:])


def _external_image(image, in_link: bool) -> list:
    """An image from elsewhere, shown as a link to it (or its alt text, inside a link): never loaded."""
    from markdown_it.token import Token

    src = image.attrGet("src") or ""
    alt = "".join(child.content for child in image.children or ()) or src
    if in_link:
        return [Token("text", "", 0, content=alt)]
    title = "External image (not loaded here): " + src
    return [
        Token("link_open", "a", 1, attrs={"href": src, "class": "external-image", "title": title}),
        Token("text", "", 0, content=alt),
        Token("link_close", "a", -1),
    ]


def _link_text(state) -> None:
    """A markdown-it core rule over each paragraph's inline tokens: the forum's own links and images.

    Only ``text`` tokens outside links are linked, so code spans, code blocks, link
    texts, autolinks and image alt texts keep their cashtags, mentions and URLs as typed.
    Images are embedded only from our own ``/media``; any other becomes a link.
    """
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
            if token.type == "image":
                if MEDIA_URL_RE.fullmatch(token.attrGet("src") or ""):
                    token.attrSet("loading", "lazy")
                    children.append(token)
                else:
                    children.extend(_external_image(token, link_depth > 0))
                continue
            if (
                token.type != "text"
                or link_depth
                or not ("$" in token.content or "@" in token.content or "://" in token.content)
            ):
                children.append(token)
                continue
            children.extend(_autolinks(token.content))
        block.children = children


@lru_cache(maxsize=1)
def _markdown():
    """The parser, built on first use (an API-only worker never loads markdown-it or nh3).

    Raw HTML in the source is disabled: it is escaped, not passed through.
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
    parser.core.ruler.push("forum_links", _link_text)
    return parser


def _only_media_images(tag: str, attribute: str, value: str) -> str | None:
    """Belt and braces behind the core rule: an ``<img>`` keeps no source but our own /media."""
    if tag == "img" and attribute == "src" and not MEDIA_URL_RE.fullmatch(value):
        return None
    return value


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
        attribute_filter=_only_media_images,
    )
    return _INTERNAL_LINK_REL.sub(r"\1>", clean)
