"""Lighthouse-level quality on every page type: axe-core in Chromium, light and dark.

Lighthouse's accessibility category *is* axe-core: each of its audits is one axe rule,
weighted by how much it matters (the rules of impact serious and critical carry almost
all the weight). A page with no serious or critical axe violation and at most a few
moderate ones scores ≥ 0.95 there. Its best-practices category checks, among other
things, that the page logs no console error (CSP violations included), loads nothing
that fails, declares a doctype, a charset and a language: asserted here on the same pages
under the real Content-Security-Policy. Lighthouse itself is not run (it would need its
npm package and Node's Chrome launcher); axe-core is vendored, pinned, with its licence
(tests/web/vendor/).

Every page type is visited — index, category, post, cashtag, search, profile, login,
register, settings (and blocks), notifications, watchlist, feed, moderation, report, new
post, edit, history, a comment's reply (quote), edit and history pages, bookmarks, trending,
the image upload page and the moderators' uploads, the confirmation page, 404. The same
run takes the README's light and dark screenshots of the home page, a post and the settings at 1280 and 390 px
(docs/screenshots/{page}-{desktop,phone}-{light,dark}.png).
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web.test_e2e_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DOCS_SCREENSHOTS,
    ROOT,
    Server,
    log_in,
    seeded_sqlite_server,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "a11y"
BLOCKING_IMPACTS = ("serious", "critical")
MODERATOR = ("ada_access", "ada.access@example.com", "a11y-password-1")
TITLE = "Accessible charts for $NVDA earnings"
BODY = "Revenue **grew** again. Watching $NVDA and $AMD.\n\n> Guidance matters more than the beat."
OPTIONAL_PAGES = ()  # pages a branch adds before they exist on main (none now: all are in member_pages)
SCHEMES = ("light", "dark")
# How many rows the header's items take: an item starting below the current row's bottom opens a new one.
ROWS_JS = """row => {
    const boxes = [...row.children].map(c => c.getBoundingClientRect()).sort((a, b) => a.top - b.top);
    let rows = 0, bottom = -Infinity;
    for (const box of boxes) {
        if (box.top >= bottom - 1) { rows += 1; bottom = box.bottom; } else { bottom = Math.max(bottom, box.bottom); }
    }
    return rows;
}"""
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    shots = ARTIFACTS
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    folder = tmp_path_factory.mktemp("a11y")
    with seeded_sqlite_server(folder, shots, MODERATOR) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def exists(server: Server, path: str) -> bool:
    try:
        with urllib.request.urlopen(server.url(path), timeout=5) as response:  # noqa: S310 - local URL
            return response.status == 200
    except urllib.error.HTTPError as error:
        return error.code in (302, 401)  # a members-only page that exists: it sends a visitor to log in
    except urllib.error.URLError:
        return False


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '')),
            }));
        }"""
    )


def setup_content(browser: Browser, server: Server) -> dict[str, str]:
    """The moderator's post (edited: it has a history), a followed ticker, an open report."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, server, MODERATOR)
    page.goto(server.url("/"))
    seeded_post = page.locator(".post-card h2 a").first.get_attribute("href")
    page.goto(server.url("/posts/new"))
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Category").select_option("stocks")
    page.get_by_label("Body (Markdown)").fill(BODY)
    page.get_by_role("button", name="Publish").click()
    # The body names a ticker: the form first shows a view and a position per ticker; none stated.
    expect(page.locator(".ticker-row")).to_have_count(2)  # $NVDA and $AMD
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    own_post = re.sub(r"^https?://[^/]+", "", page.url)
    page.goto(server.url(own_post + "/edit"))
    page.get_by_label("Body (Markdown)").fill(BODY + "\n\nUpdate: trimmed a little.")
    page.get_by_role("button", name="Save changes").click()
    page.goto(server.url(own_post))  # a comment: its reply, edit and history pages are page types too
    page.get_by_label("Your comment").fill("A comment to reply to, quote and edit.")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("article.comment").first.get_attribute("id").removeprefix("comment-")
    page.goto(server.url("/t/NVDA"))
    page.get_by_role("button", name="Follow $NVDA").click()
    page.goto(server.url(seeded_post + "/report"))
    page.get_by_label("What is wrong with it?").fill("Checking the moderation queue renders well.")
    page.get_by_role("button", name="Send report").click()
    state = context.storage_state()
    context.close()
    return {"seeded_post": seeded_post, "own_post": own_post, "comment": comment, "state": state}


def member_pages(content: dict) -> dict[str, str]:
    own, seeded, comment = content["own_post"], content["seeded_post"], content["comment"]
    return {
        "index": "/",
        "category": "/c/stocks",
        "post": own,
        "cashtag": "/t/NVDA",
        "search": "/search?q=earnings",
        "profile": f"/u/{MODERATOR[0]}",
        "settings": "/settings",
        "settings-blocks": "/settings/blocks",
        "notifications": "/notifications",
        "watchlist": "/watchlist",
        "feed": "/feed",
        "moderation": "/moderation",
        "report": f"{seeded}/report",
        "new-post": "/posts/new",
        "edit": f"{own}/edit",
        "history": f"{own}/history",
        "reply": f"/comments/{comment}/reply?quote=1",
        "comment-edit": f"/comments/{comment}/edit",
        "comment-history": f"/comments/{comment}/history",
        "bookmarks": "/bookmarks",
        "trending": "/trending",
        "upload": "/uploads/new",
        "moderation-uploads": "/moderation/uploads",
        "not-found": "/no-such-page",
    }


VISITOR_PAGES = {"login": "/auth/login", "register": "/auth/register", "visitor-index": "/", "visitor-post": None}


def check_page(page: Page, name: str, scheme: str, found: dict[str, list[dict]]) -> None:
    violations = axe_violations(page)
    found[f"{name} ({scheme})"] = violations
    page.screenshot(path=str(ARTIFACTS / f"{name}-{scheme}.png"), full_page=True)


def test_every_page_type_passes_axe_in_light_and_dark(browser, server):
    assert AXE.is_file(), f"axe-core is vendored at {AXE}"
    content = setup_content(browser, server)
    pages = member_pages(content)
    pages.update({f"optional{path.replace('/', '-')}": path for path in OPTIONAL_PAGES if exists(server, path)})
    visitor = {**VISITOR_PAGES, "visitor-post": content["seeded_post"]}
    found: dict[str, list[dict]] = {}
    for scheme in SCHEMES:
        for signed_in, listing in ((True, pages), (False, visitor)):
            context = browser.new_context(
                viewport=VIEWPORTS["desktop"], color_scheme=scheme, bypass_csp=True,  # axe is injected inline
                storage_state=content["state"] if signed_in else None,
            )  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                for name, path in listing.items():
                    page.goto(server.url(path))
                    check_page(page, name, scheme, found)
                if signed_in:
                    confirmation_steps(page, server, content, scheme, found)
            finally:
                context.close()
    (ARTIFACTS / "axe.json").write_text(json.dumps(found, indent=1))
    axe_sees_a_planted_violation(browser, server)
    blocking = {
        page_name: [f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes']}" for v in violations
                    if v["impact"] in BLOCKING_IMPACTS]
        for page_name, violations in found.items()
    }  # fmt: skip
    blocking = {name: problems for name, problems in blocking.items() if problems}
    assert blocking == {}, json.dumps(blocking, indent=1)
    assert len(found) == 2 * (len(pages) + len(visitor) + 3)


def axe_sees_a_planted_violation(browser: Browser, server: Server) -> None:
    """The check can fail: an unlabelled field and grey-on-white text (2.8:1) are reported as such."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(server.url("/"))
        page.evaluate(
            """() => {
                const main = document.querySelector('main');
                main.insertAdjacentHTML('beforeend', '<input type="text"><p id="faint">Faint words</p>');
                const faint = document.getElementById('faint');
                faint.style.color = '#999999';
                faint.style.background = '#ffffff';
            }"""
        )
        planted = {v["id"]: v["impact"] for v in axe_violations(page)}
    finally:
        context.close()
    assert planted.get("label") == "critical" and planted.get("color-contrast") == "serious", planted


def confirmation_steps(page: Page, server: Server, content: dict, scheme: str, found: dict) -> None:
    """The user menu open; the post page with its delete step open, and the confirmation page a
    POST without it gets."""
    page.goto(server.url("/"))
    page.locator(".user-menu summary").click()
    expect(page.locator(".user-menu-list").get_by_role("link", name="Moderation")).to_be_visible()
    check_page(page, "user-menu-open", scheme, found)
    page.goto(server.url(content["own_post"]))
    step = page.locator("details.confirm").filter(has=page.locator("summary", has_text="Delete post"))
    step.locator("summary").click()
    expect(step.get_by_role("button", name="Yes, delete the post")).to_be_visible()
    check_page(page, "post-confirm-open", scheme, found)
    step.locator('input[name="confirm"]').evaluate("input => input.remove()")  # as a stale page would post
    step.get_by_role("button", name="Yes, delete the post").click()
    expect(page.locator("h1")).to_have_text(f"Delete “{TITLE}”?")
    check_page(page, "confirm-page", scheme, found)
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("h1")).to_have_text(TITLE)  # nothing was deleted


def test_pages_are_clean_under_the_real_csp(browser, server):
    """Best practices: no console error or CSP report, nothing fails to load; doctype, charset, lang."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    # A load the browser itself cancels because the test navigated on (net::ERR_ABORTED: the favicon of a
    # page left at once) is not a page fault; a refused or broken load still is, and so is any 4xx/5xx below.
    page.on(
        "requestfailed",
        lambda r: None if "ERR_ABORTED" in (r.failure or "") else problems.append(f"{page.url}: failed {r.url}"),
    )
    page.on(
        "response",
        lambda r: problems.append(f"{r.url}: {r.status}") if r.status >= 400 and r.request.resource_type != "document"
        else None,
    )  # fmt: skip
    try:
        log_in(page, server, MODERATOR)
        for path in ("/", "/c/stocks", "/t/NVDA", "/search?q=earnings", "/settings", "/watchlist", "/moderation",
                     "/posts/new", "/auth/login"):  # fmt: skip
            page.goto(server.url(path))
            assert page.evaluate("document.doctype && document.doctype.name") == "html", path
            assert page.evaluate("document.documentElement.lang") == "en", path
            assert page.evaluate("document.characterSet") == "UTF-8", path
            assert page.locator('meta[name="viewport"]').count() == 1, path
    finally:
        context.close()
    assert problems == []


def test_readme_screenshots_light_and_dark(browser, server):
    """Home, a post and the settings at 1280 and 390 px, light and dark, for the README."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    state = browser.new_context()
    login_page = state.new_page()
    log_in(login_page, server, MODERATOR)
    login_page.goto(server.url("/"))
    post = login_page.locator(".post-card h2 a").nth(1).get_attribute("href")
    storage = state.storage_state()
    state.close()
    for scheme in SCHEMES:
        for width_name, viewport in VIEWPORTS.items():
            options = {"viewport": viewport, "color_scheme": scheme, "storage_state": storage}
            if width_name == "phone":
                options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
            context = browser.new_context(**options)
            page = context.new_page()
            try:
                for name, path in (("home", "/"), ("post", post), ("settings", "/settings")):
                    page.goto(server.url(path))
                    shot = DOCS_SCREENSHOTS / f"{name}-{width_name}-{scheme}.png"
                    page.screenshot(path=str(shot))
                    assert shot.stat().st_size > 10_000
                expected = 1 if width_name == "desktop" else 2  # one row at 1280 px (a moderator's), two at 390
                assert page.locator(".site-header .header-row").evaluate(ROWS_JS) == expected, width_name
            finally:
                context.close()


def test_menu_and_confirm_step_work_by_keyboard_without_javascript(browser, server):
    """JavaScript off: the user menu opens from the keyboard and leads on by Tab; a post's delete
    step opens by keyboard and its second button deletes the post."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"], java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, server, MODERATOR)
        summary = page.locator(".user-menu summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".user-menu")).to_have_attribute("open", "")
        page.keyboard.press("Tab")
        expect(page.locator(".user-menu-list a").first).to_be_focused()
        expect(page.locator(".user-menu-list a").first).to_have_text("Profile")
        page.keyboard.press("Escape")  # no script: Escape does nothing; Enter on the summary closes it
        summary.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".user-menu")).not_to_have_attribute("open", "")

        page.goto(server.url("/posts/new"))
        page.get_by_label("Title").fill("Short-lived $TSLA note")
        page.get_by_label("Category").select_option("stocks")
        page.get_by_label("Body (Markdown)").fill("Deleting this one on purpose: $TSLA.")
        page.get_by_role("button", name="Publish").click()
        # $TSLA is named: the form first shows the per-ticker rows (left empty), then publishes.
        expect(page.locator(".ticker-row")).to_have_count(1)
        page.get_by_role("button", name="Publish").click()
        expect(page.locator("h1")).to_have_text("Short-lived $TSLA note")
        post_url = page.url
        step = page.locator("details.confirm").filter(has=page.locator("summary", has_text="Delete post"))
        step.locator("summary").focus()
        page.keyboard.press("Enter")
        yes = step.get_by_role("button", name="Yes, delete the post")
        expect(yes).to_be_visible()
        yes.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".flash")).to_have_text("Post deleted.")
        assert page.request.get(post_url).status == 404
    finally:
        context.close()
