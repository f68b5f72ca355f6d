"""Jinja filters and globals: Markdown, cashtag links, dates, pagination."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, url_for
from markupsafe import Markup

from finboard.core.text import render_markdown


def markdown_filter(source: str) -> Markup:
    """Sanitised HTML (finboard.core.text) — safe to mark as Markup."""
    return Markup(render_markdown(source))  # noqa: S704  # nosec B704 - nh3-sanitised above


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


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = markdown_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.globals["page_window"] = page_window
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

        return {"nav_categories": categories, "cashtag_url": lambda t: url_for("posts.search", cashtag=t)}
