"""RSS 2.0 and Atom feeds of the newest posts: all of them, one category's, one cashtag's.

Built with feedgen from the same cached listing the pages read (hidden posts
are never in it), so a feed holds the 20 newest visible posts with absolute
links and an HTML summary rendered from the sanitised Markdown. The feed
bytes are cached under the content generation (``cache.get_or_build``): any write
retires them with every other cached read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Response, abort, request, url_for

from finboard.contract.posts import PostListQuery, PostPublic
from finboard.core.text import render_markdown
from finboard.extensions import cache
from finboard.market.views import bp, canonical_ticker
from finboard.reads import list_categories, list_posts

FEED_ITEMS = 20
SUMMARY_SOURCE_MAX = 2_000  # characters of Markdown rendered into a summary
CONTENT_TYPES = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}
FORMAT = "<any(atom, rss):fmt>"
_RELATIVE_HREF = re.compile(r'href="/(?!/)')
# What XML 1.0 can't hold (control characters, lone surrogates, U+FFFE/U+FFFF): lxml refuses
# the whole document for one of them, so they are dropped from what people wrote.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _excerpt(source: str) -> tuple[str, bool]:
    """The Markdown to summarise: all of a short post, else its first paragraphs (cut at a blank line)."""
    if len(source) <= SUMMARY_SOURCE_MAX:
        return source, False
    head = source[:SUMMARY_SOURCE_MAX]
    cut = head.rfind("\n\n")
    if cut < SUMMARY_SOURCE_MAX // 4:
        cut = max(head.rfind(" "), SUMMARY_SOURCE_MAX // 2)
    return head[:cut].rstrip() + " …", True


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def summary_html(post: PostPublic, post_url: str, host: str) -> str:
    """The post's sanitised HTML with absolute links (a feed reader has no base URL)."""
    source, cut = _excerpt(post.body)
    html = _RELATIVE_HREF.sub(f'href="{host}/', render_markdown(source))
    if cut:
        html += f'<p><a href="{post_url}">Read the whole post on FinBoard</a></p>'
    return xml_text(html)


def _build(fmt: str, title: str, subtitle: str, page_url: str, query: PostListQuery) -> bytes:
    from feedgen.feed import FeedGenerator

    host = request.host_url.rstrip("/")
    posts = list_posts(query).items
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(title)
    feed.subtitle(subtitle)  # RSS's required <description>
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=request.base_url, rel="self", type=CONTENT_TYPES[fmt].split(";")[0])
    feed.language("en")
    feed.generator("FinBoard")
    feed.updated(max((p.updated_at for p in posts), default=_EPOCH))
    for post in posts:
        post_url = url_for("posts.detail", post_id=post.id, _external=True)
        entry = feed.add_entry(order="append")
        entry.id(post_url)
        entry.guid(post_url, permalink=True)
        entry.title(xml_text(post.title))
        entry.link(href=post_url, rel="alternate", type="text/html")
        entry.author(
            name=post.author.username, uri=url_for("posts.author", username=post.author.username, _external=True)
        )
        entry.published(post.created_at)
        entry.updated(post.updated_at)
        entry.category(term=post.category.slug, label=post.category.name)
        for ticker in post.cashtags:
            entry.category(term=f"${ticker}", label=f"${ticker}")
        entry.summary(summary_html(post, post_url, host), type="html")
    return feed.atom_str(pretty=False) if fmt == "atom" else feed.rss_str(pretty=False)


def _feed(fmt: str, scope: str, title: str, subtitle: str, page_url: str, **filters) -> Response:
    query = PostListQuery(per_page=FEED_ITEMS, sort="new", **filters)
    params = f"{scope}|{fmt}|{request.host_url}|{request.script_root}"
    document = cache.get_or_build("feed", params, lambda: _build(fmt, title, subtitle, page_url, query))
    return Response(document, content_type=CONTENT_TYPES[fmt])


@bp.route(f"/feeds/posts.{FORMAT}")
def posts_feed(fmt: str):
    return _feed(
        fmt,
        "all",
        "FinBoard — latest posts",
        "The newest posts about stocks, crypto, dividends and macro on FinBoard.",
        url_for("posts.index", _external=True),
    )


@bp.route(f"/c/<slug>/feed.{FORMAT}")
def category_feed(slug: str, fmt: str):
    category = next((c for c in list_categories().items if c.slug == slug), None)
    if category is None:
        abort(404)
    return _feed(
        fmt,
        f"category:{slug}",
        f"FinBoard — {category.name}",
        category.description or f"The newest posts in {category.name} on FinBoard.",
        url_for("posts.category", slug=slug, _external=True),
        category=slug,
    )


@bp.route(f"/t/<ticker>/feed.{FORMAT}")
def cashtag_feed(ticker: str, fmt: str):
    ticker, moved = canonical_ticker(ticker, "market.cashtag_feed", fmt=fmt)
    if moved:
        return moved
    return _feed(
        fmt,
        f"cashtag:{ticker}",
        f"FinBoard — ${ticker}",
        f"The newest posts mentioning ${ticker} on FinBoard.",
        url_for("market.cashtag", ticker=ticker, _external=True),
        cashtag=ticker,
    )


@bp.app_template_global()
def page_feeds() -> list[tuple[str, str, str]]:
    """(href, type, title) of the feeds behind the current page, for ``<link rel="alternate">``.

    Every page offers the newest posts; a category page and a cashtag page offer their own first.
    """
    args = request.view_args or {}
    scoped: list[tuple[str, dict, str]] = []
    if request.endpoint == "posts.category" and args.get("slug"):
        try:
            category = next((c for c in list_categories().items if c.slug == args["slug"]), None)
        except Exception:  # noqa: BLE001 - the error page of a database outage renders this too
            category = None
        if category is not None:
            scoped.append(("market.category_feed", {"slug": category.slug}, f"FinBoard — {category.name}"))
    elif request.endpoint == "market.cashtag" and args.get("ticker"):
        scoped.append(("market.cashtag_feed", {"ticker": args["ticker"]}, f"FinBoard — ${args['ticker']}"))
    scoped.append(("market.posts_feed", {}, "FinBoard — latest posts"))
    return [
        (url_for(endpoint, fmt=fmt, **values), CONTENT_TYPES[fmt].split(";")[0], f"{title} ({label})")
        for endpoint, values, title in scoped
        for fmt, label in (("atom", "Atom"), ("rss", "RSS"))
    ]
