"""Jinja filters and globals: Markdown, cashtag links, dates, relative times, pagination."""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import quote

import nh3
from flask import Flask, request, url_for
from markupsafe import Markup

from finboard.core.text import render_markdown
from finboard.relative_time import time_tag

_SPACES = re.compile(r"\s+")


def markdown_filter(source: str) -> Markup:
    """Sanitised HTML (finboard.core.text) — safe to mark as Markup."""
    return Markup(render_markdown(source))  # noqa: S704  # nosec B704 - nh3-sanitised above


def plaintext_filter(source: str) -> str:
    """Markdown as the words a reader sees, on one line: rendered, sanitised, every tag
    dropped (an excerpt in the moderation queue is text, not ``**raw** [markup](…)``).
    Returns plain text, which Jinja escapes as usual."""
    text = nh3.clean(render_markdown(source or ""), tags=set())
    return _SPACES.sub(" ", html.unescape(text)).strip()


def date_filter(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    return value.strftime(fmt) if value else ""


def page_window(current: int, total_pages: int, radius: int = 2) -> list[int | None]:
    """Page numbers around ``current`` with None for the gaps: 1 … 4 5 [6] 7 8 … 40."""
    if total_pages <= 1:
        return []
    shown = {1, total_pages, *range(max(1, current - radius), min(total_pages, current + radius) + 1)}
    window: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            window.append(None)
        window.append(number)
        previous = number
    return window


class Links:
    """The forum's most repeated links, without ``url_for`` for each one.

    A listing renders four links per post; Werkzeug's URL building costs more
    than the rest of the card. These paths are derived from the URL map once
    (``url_for`` with a marker value) and filled in with the request's script
    root, so they follow the routes and a mounted prefix; ``test_pages`` checks
    them against ``url_for``.
    """

    MARK = "__finboard_mark__"

    def __init__(self, app: Flask):
        with app.test_request_context():
            self.templates = {
                "post": url_for("posts.detail", post_id=2147483647).replace("2147483647", "{}"),
                "category": url_for("posts.category", slug=self.MARK).replace(self.MARK, "{}"),
                "author": url_for("posts.author", username=self.MARK).replace(self.MARK, "{}"),
                "cashtag": url_for("market.cashtag", ticker=self.MARK).replace(self.MARK, "{}"),
            }

    def _path(self, name: str, value) -> str:
        return request.script_root + self.templates[name].format(quote(str(value), safe=""))

    def post(self, post_id: int) -> str:
        return self._path("post", post_id)

    def category(self, slug: str) -> str:
        return self._path("category", slug)

    def author(self, username: str) -> str:
        return self._path("author", username)

    def cashtag(self, ticker: str) -> str:
        return self._path("cashtag", ticker)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = markdown_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["reltime"] = time_tag
    app.jinja_env.filters["plaintext"] = plaintext_filter
    app.jinja_env.globals["page_window"] = page_window
    links = Links(app)
    app.jinja_env.globals["link"] = links
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation():
        from finboard.reads import list_categories

        def categories():
            # The error page for a database outage renders this too: no categories then.
            try:
                return list_categories().items
            except Exception:  # noqa: BLE001
                return []

        return {"nav_categories": categories}
