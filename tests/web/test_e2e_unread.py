"""Unread and saved in a real browser against gunicorn, on SQLite and on PostgreSQL + Redis.

A member bookmarks a post and finds it on /bookmarks; another member comments on it; the
first member's card of that post says "1 new comment", the badge leads to the comment (marked
New, with "Jump to first unread"), and once the post is open the badge is gone. Screenshots
at 1280 and 390 px in artifacts/e2e/unread-<dbkind>/ (the server and browser fixtures are
tests/web/test_e2e_browser.py's).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_e2e_browser import (  # noqa: F401 - browser and server are fixtures
    Server,
    Steps,
    browser,
    create_account,
    expect_flash,
    log_in,
    server,
)

pytestmark = pytest.mark.browser

SAVER = ("sal_saver", "sal.saver@example.com", "e2e-saver-pass-1")
TALKER = ("tom_talker", "tom.talker@example.com", "e2e-talker-pass-1")
COMMENT = "Margins held up better than I expected; adding on dips."



def test_bookmark_and_unread_journey(browser, server):  # noqa: F811 - pytest fixtures
    for account in (SAVER, TALKER):
        create_account(server, account, "member")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    saver, talker = (context.new_page() for context in contexts)
    for page in (saver, talker):
        page.set_default_timeout(15_000)
    try:
        journey(saver, talker, server)
    except Exception:
        saver.screenshot(path=str(server.journey_shots("unread") / "failure-saver.png"), full_page=True)
        talker.screenshot(path=str(server.journey_shots("unread") / "failure-talker.png"), full_page=True)
        raise
    finally:
        for context in contexts:
            context.close()


def journey(saver: Page, talker: Page, server: Server) -> None:  # noqa: F811 - not the fixture
    steps = Steps(saver, server.journey_shots("unread"))
    log_in(saver, server, SAVER)
    saver.goto(server.url("/"))
    card = saver.locator(".post-card:not(.pinned)").first  # a pinned (demo) post may be locked too
    title = card.locator("h2").inner_text()
    card.locator("h2 a").click()
    expect(saver.locator("h1")).to_have_text(title)
    post_path = saver.url.removeprefix(server.base_url)

    # Bookmark it: the button says so, and /bookmarks lists it.
    saver.get_by_role("button", name="Bookmark", exact=True).click()
    expect_flash(saver, "Bookmarked: find it on your Bookmarks page.")
    expect(saver.get_by_role("button", name="Bookmarked", exact=True)).to_have_attribute("aria-pressed", "true")
    steps.shot("unread-bookmarked")
    saver.goto(server.url("/bookmarks"))
    expect(saver.locator("h1")).to_have_text("Bookmarks")
    expect(saver.locator(".bookmark-item .post-card h2")).to_have_text([title])
    steps.shot("unread-bookmarks-page")
    saver.set_viewport_size({"width": 390, "height": 844})
    steps.shot("unread-bookmarks-page-phone")
    saver.set_viewport_size({"width": 1280, "height": 900})

    # Another member comments on it.
    log_in(talker, server, TALKER)
    talker.goto(server.url(post_path))
    talker.get_by_label("Your comment").fill(COMMENT)
    talker.get_by_role("button", name="Comment", exact=True).click()
    expect_flash(talker, "Comment added.")

    # The saver's card of the post: "1 new comment", and bookmarked.
    saver.goto(server.url("/"))
    card = saver.locator(".post-card").filter(has=saver.get_by_role("heading", name=title, exact=True))
    expect(card.locator(".unread-badge")).to_have_text("1 new comment")
    expect(card.locator(".bookmark-badge")).to_have_text("Bookmarked")
    steps.shot("unread-card-badge")
    saver.set_viewport_size({"width": 390, "height": 844})
    steps.shot("unread-card-badge-phone")
    saver.set_viewport_size({"width": 1280, "height": 900})

    # The badge leads to the new comment, marked New, with "Jump to first unread".
    card.locator(".unread-badge").click()
    expect(saver.locator("h1")).to_have_text(title)
    new_comment = saver.locator(".comment.unread")
    expect(new_comment).to_have_count(1)
    expect(new_comment.locator(".markdown")).to_have_text(COMMENT)
    expect(new_comment.locator(".new-badge")).to_have_text("New")
    expect(saver.get_by_role("link", name="Jump to first unread")).to_be_visible()
    assert saver.url.endswith(f"#{new_comment.get_attribute('id')}")
    steps.shot("unread-post-opened")

    # Opened: the badge is gone from the card, the post has nothing new any more.
    saver.goto(server.url("/"))
    card = saver.locator(".post-card").filter(has=saver.get_by_role("heading", name=title, exact=True))
    expect(card.locator(".bookmark-badge")).to_have_text("Bookmarked")
    expect(card.locator(".unread-badge")).to_have_count(0)
    steps.shot("unread-badge-gone")
    saver.goto(server.url(post_path))
    expect(saver.locator(".comment.unread")).to_have_count(0)
    expect(saver.get_by_role("link", name="Jump to first unread")).to_have_count(0)
