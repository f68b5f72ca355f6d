"""The page cache in a real browser against gunicorn, on SQLite (in-process store) and on
PostgreSQL + Redis (two workers).

A visitor's page comes gzip-compressed from the cache and renders like any other; a member's
page is never the visitor's (``private, no-store``, the user menu); a post the member writes
is on the visitor's page at the next reload. Screenshots in artifacts/e2e/pagecache-<dbkind>/
(the server and browser fixtures are tests/web/test_e2e_browser.py's).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_e2e_browser import (  # noqa: F401 - browser and server are fixtures
    Server,
    browser,
    create_account,
    expect_flash,
    log_in,
    server,
)

pytestmark = pytest.mark.browser

WRITER = ("pat_pages", "pat.pages@example.com", "e2e-pages-pass-1")
TITLE = "Fresh pages for visitors, cached or not"



def test_visitor_pages_come_from_the_cache_and_stay_fresh(browser, server):  # noqa: F811 - pytest fixtures
    create_account(server, WRITER, "member")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    visitor, writer = (context.new_page() for context in contexts)
    for page in (visitor, writer):
        page.set_default_timeout(15_000)
    try:
        journey(visitor, writer, server)
    except Exception:
        visitor.screenshot(path=str(server.journey_shots("pagecache") / "failure-visitor.png"), full_page=True)
        writer.screenshot(path=str(server.journey_shots("pagecache") / "failure-writer.png"), full_page=True)
        raise
    finally:
        for context in contexts:
            context.close()


def journey(visitor: Page, writer: Page, server: Server) -> None:  # noqa: F811 - not the fixture
    shots = server.journey_shots("pagecache")
    page_url = server.url("/c/stocks")
    writer.goto(page_url)  # another visitor builds the page (or an earlier test did) ...
    response = visitor.goto(page_url)  # ... and this one gets it from the cache
    assert response.headers.get("x-page-cache") == "hit", response.headers
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"].startswith("public, max-age=")
    expect(visitor.locator("h1")).to_have_text("Stocks")
    expect(visitor.locator(".post-card").first).to_be_visible()
    expect(visitor.get_by_role("link", name="Log in")).to_be_visible()
    visitor.screenshot(path=str(shots / "01-visitor-cached.png"), full_page=True)

    log_in(writer, server, WRITER)
    writer.get_by_role("link", name="New post").click()
    writer.get_by_label("Title").fill(TITLE)
    writer.get_by_label("Category").select_option("stocks")
    writer.get_by_label("Body (Markdown)").fill("Every write retires every cached page at once.")
    writer.get_by_role("button", name="Publish").click()
    expect_flash(writer, "Your post is live.")
    response = writer.goto(page_url)
    assert "x-page-cache" not in response.headers and response.headers["cache-control"] == "private, no-store"
    expect(writer.locator(".user-menu-name")).to_have_text(WRITER[0])
    expect(writer.get_by_role("link", name=TITLE)).to_be_visible()
    writer.screenshot(path=str(shots / "02-member-page.png"), full_page=True)

    response = visitor.reload()  # at once: the write retired the cached page
    assert response.headers.get("x-page-cache") == "miss", response.headers
    expect(visitor.get_by_role("link", name=TITLE)).to_be_visible()
    expect(visitor.locator(".user-menu")).to_have_count(0)
    visitor.screenshot(path=str(shots / "03-visitor-after-the-write.png"), full_page=True)
