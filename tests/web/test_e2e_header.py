"""Issue 18's header in Chromium: one row from 1024 px up, two rows on a 390 px phone, never wider
than the window, logged out and logged in as a moderator (the longest header: New post, the bell
and the user menu, whose list holds Watchlist, Feed, Bookmarks, Settings and Moderation), with a
username long enough to be cut. "One row" is measured on every item of the header row (the
brand, the search field and button, each account control): their boxes share one horizontal band.
Screenshots land in artifacts/e2e/header/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.test_e2e_browser import (  # noqa: F401 - ``browser`` is a fixture
    ARTIFACTS,
    Server,
    browser,
    log_in,
    seeded_sqlite_server,
)

pytestmark = pytest.mark.browser

MODERATOR = ("maximilian_moderator_42", "max.mod@example.com", "header-password-1")  # 23 of 32 characters
DESKTOP_WIDTHS = (1023, 1024, 1100, 1280)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
MENU = ["Profile", "Watchlist", "Feed", "Bookmarks", "Settings", "Moderation"]
# Every item of the header row, with its box, and how wide the page is against the window.
HEADER_JS = """() => {
    const row = document.querySelector('.site-header .header-row');
    const items = [row.querySelector('.brand'), ...row.querySelectorAll('.header-search input, .header-search button'),
                   ...row.querySelector('nav.account').children];
    return {
        items: items.map(item => {
            const box = item.getBoundingClientRect();
            const name = item.getAttribute('aria-label') || item.placeholder || item.textContent.trim();
            return {name: name.slice(0, 40), top: box.top, bottom: box.bottom, left: box.left, right: box.right};
        }),
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
    };
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """gunicorn on a seeded SQLite database (a realistic home page and post), plus the moderator."""
    shots = ARTIFACTS / "header"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    folder = tmp_path_factory.mktemp("e2e-header")
    with seeded_sqlite_server(folder, shots, MODERATOR) as running:
        yield running


def header_rows(page: Page) -> tuple[int, dict]:
    """How many rows the header row's items take (an item starting below the current row's bottom
    opens a new one), and the measurements; asserts nothing sticks out of the window."""
    measured = page.evaluate(HEADER_JS)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured  # no horizontal scrolling
    rows, bottom = 0, float("-inf")
    for item in sorted(measured["items"], key=lambda box: box["top"]):
        assert 0 <= item["left"] and item["right"] <= measured["innerWidth"], item
        if item["top"] >= bottom - 1:
            rows, bottom = rows + 1, item["bottom"]
        else:
            bottom = max(bottom, item["bottom"])
    return rows, measured


def one_row(page: Page, where: str) -> None:
    rows, measured = header_rows(page)
    items = measured["items"]
    # One band: every item starts above the bottom of every other.
    assert rows == 1 and max(i["top"] for i in items) < min(i["bottom"] for i in items), (where, items)


def test_the_header_is_one_row_from_1024_px_and_two_on_a_phone(browser: Browser, server: Server):  # noqa: F811
    login = browser.new_context()
    page = login.new_page()
    log_in(page, server, MODERATOR)
    page.goto(server.url("/"))
    post = page.locator(".post-card h2 a").first.get_attribute("href")
    moderator_state = login.storage_state()
    login.close()
    for who, state in (("visitor", None), ("moderator", moderator_state)):
        for width in DESKTOP_WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 800}, storage_state=state)
            page = context.new_page()
            try:
                for name, path in (("home", "/"), ("post", post)):
                    page.goto(server.url(path))
                    one_row(page, f"{who} {name} at {width} px")
                    if width in (1024, 1280):
                        page.screenshot(path=str(server.shots / f"{name}-{width}-{who}.png"))
                if who == "moderator":
                    open_menu(page, server, width)
            finally:
                context.close()
        context = browser.new_context(**PHONE, storage_state=state)
        page = context.new_page()
        try:
            page.goto(server.url("/"))
            rows, measured = header_rows(page)
            assert rows == 2, (who, measured["items"])
            page.screenshot(path=str(server.shots / f"home-390-{who}.png"))
        finally:
            context.close()


def open_menu(page: Page, server: Server, width: int) -> None:
    """The moderator's menu opens over the page (a dropdown: the header keeps its row) inside the window."""
    page.locator(".user-menu summary").click()
    menu = page.locator(".user-menu-list")
    expect(menu.get_by_role("link")).to_have_text(MENU)
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    one_row(page, f"menu open at {width} px")
    box = menu.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert page.evaluate("getComputedStyle(document.querySelector('.user-menu-list')).position") == "absolute"
    if width == 1024:
        page.screenshot(path=str(server.shots / "menu-1024-moderator.png"))


def test_dark_mode_applies_at_desktop_widths(browser: Browser, server: Server):  # noqa: F811
    """The page follows prefers-color-scheme at 1024 and 1280 px, not only on a phone."""
    for width in (1024, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme="dark")
        try:
            page = context.new_page()
            page.goto(server.url("/"))
            background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            assert background == "rgb(15, 20, 25)", (width, background)  # --bg of the dark palette
            one_row(page, f"dark at {width} px")
            page.screenshot(path=str(server.shots / f"home-{width}-dark.png"))
        finally:
            context.close()
