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
    them against ``url_for``. ``finboard.posts.cards`` fills them for every card
    and comment of a page from ``paths()``, the templates with the methods.
    """

    MARK = "__finboard_mark__"
    ID_MARK = 2147483647
    # name: (endpoint, the argument the value goes in, other arguments)
    ROUTES = {
        "post": ("posts.detail", "post_id", {}),
        "category": ("posts.category", "slug", {}),
        "author": ("posts.author", "username", {}),
        "cashtag": ("market.cashtag", "ticker", {}),
        "first_unread": ("members.first_unread", "post_id", {}),
        "comment": ("posts.comment_link", "comment_id", {}),
        "comment_history": ("posts.comment_history", "comment_id", {}),
        "reply": ("posts.reply", "comment_id", {}),
        "quote": ("posts.reply", "comment_id", {"quote": 1}),
        "edit_comment": ("posts.edit_comment", "comment_id", {}),
        "delete_comment": ("posts.delete_comment", "comment_id", {}),
        "report_comment": ("moderation.report_comment", "comment_id", {}),
        "moderate_comment": ("moderation.moderate_comment", "comment_id", {}),
        "react_to_comment": ("posts.react_to_comment", "comment_id", {}),
    }

    def __init__(self, app: Flask):
        self.templates = {}
        with app.test_request_context():
            for name, (endpoint, argument, extra) in self.ROUTES.items():
                numeric = argument.endswith("_id")
                mark = self.ID_MARK if numeric else self.MARK
                built = url_for(endpoint, **{argument: mark}, **extra)
                self.templates[name] = built.replace(str(mark), "{}")

    def paths(self) -> dict[str, str]:
        """Every template with this request's script root: ``paths()["post"].format(post_id)``.
        A value that is not a number goes in through ``quote(value, safe="")``."""
        root = request.script_root
        return {name: root + template for name, template in self.templates.items()}

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
    from finboard.posts.cards import post_cards

    app.jinja_env.globals["post_cards"] = post_cards
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
