"""Threaded replies in a real browser against gunicorn, on SQLite and on PostgreSQL + Redis.

Two members in two browser contexts: ann posts and comments; bob replies to her comment (the
reply appears indented under it) and quotes it (the reply page opens with the quote prefilled,
no JavaScript involved), then quotes a passage of it he selected (static/markdown_tools.js carries
the selection; a selection in another comment, or reaching past this one, quotes no more than this
comment holds); ann edits her comment and reads its history. Screenshots at 1280 and 390 px land
in artifacts/e2e/replies/<kind>/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_e2e_browser import (  # noqa: F401 - ``browser`` is a fixture
    ARTIFACTS,
    ROOT,
    Server,
    browser,
    expect_flash,
    free_port,
    fresh_database,
    server_env,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.browser

PASSWORD = "e2e-replies-pass-1"
TITLE = "Is $KO's dividend safe through 2027?"
COMMENT = "Payout ratio is near 75%, which leaves little room."
REPLY = "Free cash flow covers it, though."
QUOTE_ANSWER = "Agreed on the ratio; bottlers are the swing factor."
PASSAGE = "near 75%, which leaves"
PASSAGE_ANSWER = "Near, but the special dividend inflates it."
# Select `passage` in the element's first text node, or from there to the end of `until` when given.
SELECT_JS = """(element, [passage, until]) => {
    const node = element.firstChild;
    const start = node.data.indexOf(passage);
    if (start < 0) throw new Error('passage not in the text: ' + node.data);
    const range = document.createRange();
    range.setStart(node, start);
    if (until) range.setEndAfter(document.querySelector(until)); else range.setEnd(node, start + passage.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return selection.toString();
}"""
EDITED = "Payout ratio is near 75% of earnings, which leaves little room."
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """gunicorn on a fresh, unseeded database of each kind (the walk writes all it reads)."""
    kind = request.param
    shots = ARTIFACTS / "replies" / kind
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with fresh_database(kind, tmp_path_factory.mktemp(f"e2e-replies-{kind}")) as (url, extra):
        env = server_env(url, extra)
        port = free_port()
        workers = ["--workers", "2"] if kind == "postgres" else ["--workers", "1", "--threads", "4"]
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", *workers]
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log_path)
            yield Server(kind, base_url, shots, env)
        finally:
            stop(process)


def register(page: Page, site: Server, username: str) -> None:
    page.goto(site.url("/auth/register"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Register", exact=True).click()
    expect_flash(page, f"Welcome to FinBoard, {username}!")


def test_reply_quote_and_edit(browser, server):  # noqa: F811 - the imported fixtures
    ann_context = browser.new_context(viewport={"width": 1280, "height": 900})
    bob_context = browser.new_context(viewport={"width": 1280, "height": 900})
    ann, bob = ann_context.new_page(), bob_context.new_page()
    for page in (ann, bob):
        page.set_default_timeout(15_000)
    try:
        walk(ann, bob, server, browser)
    except Exception:
        ann.screenshot(path=str(server.shots / "replies-failure-ann.png"), full_page=True)
        bob.screenshot(path=str(server.shots / "replies-failure-bob.png"), full_page=True)
        raise
    finally:
        ann_context.close()
        bob_context.close()


def walk(ann: Page, bob: Page, site: Server, browser) -> None:  # noqa: F811 - the browser fixture's value
    names = {"sqlite": ("rep_ann_s", "rep_bob_s"), "postgres": ("rep_ann_p", "rep_bob_p")}[site.kind]
    register(ann, site, names[0])
    register(bob, site, names[1])

    # ann posts and comments on her own post.
    ann.get_by_role("link", name="New post").click()
    ann.get_by_label("Title").fill(TITLE)
    ann.get_by_label("Category").select_option("stocks")
    ann.get_by_label("Body (Markdown)").fill("Looking at $KO after the last raise.")
    ann.get_by_role("button", name="Publish").click()
    # $KO is named: the form first shows the per-ticker view rows; none stated, publish again.
    expect(ann.locator(".ticker-row")).to_have_count(1)
    ann.get_by_role("button", name="Publish").click()
    expect_flash(ann, "Your post is live.")
    post_url = ann.url
    ann.get_by_label("Your comment").fill(COMMENT)
    ann.get_by_role("button", name="Comment", exact=True).click()
    expect_flash(ann, "Comment added.")

    # bob replies to it: the reply page shows the comment, the reply lands indented under it.
    bob.goto(post_url)
    first = bob.locator(".thread").first
    first.get_by_role("link", name="Reply", exact=True).click()
    expect(bob.locator("h1")).to_have_text(f"Reply to {names[0]}")
    expect(bob.locator(".reply-parent .markdown")).to_have_text(COMMENT)
    bob.get_by_label("Your comment").fill(REPLY)
    bob.get_by_role("button", name="Reply", exact=True).click()
    expect_flash(bob, "Reply added.")
    replies = bob.locator(".thread").first.locator(".replies .comment")
    expect(replies).to_have_count(1)
    expect(replies.first.locator(".markdown")).to_have_text(REPLY)
    bob.screenshot(path=str(site.shots / "replies-1-reply.png"), full_page=True)

    # bob quotes ann's comment: the form opens prefilled with a blockquote and attribution.
    bob.locator(".thread").first.locator(".comment").first.get_by_role("link", name="Quote").click()
    body = bob.get_by_label("Your comment")
    expect(body).to_have_value(f"**{names[0]}** wrote:\n\n> {COMMENT}\n\n")
    body.fill(body.input_value() + QUOTE_ANSWER)
    bob.screenshot(path=str(site.shots / "replies-2-quote-form.png"), full_page=True)
    bob.get_by_role("button", name="Reply", exact=True).click()
    expect_flash(bob, "Reply added.")
    quoted = bob.locator(".thread").first.locator(".replies .comment").nth(1)
    expect(quoted.locator(".markdown blockquote")).to_have_text(COMMENT)
    expect(quoted.locator(".markdown strong")).to_have_text(names[0])
    expect(quoted.locator(".markdown")).to_contain_text(QUOTE_ANSWER)
    bob.screenshot(path=str(site.shots / "replies-3-quoted.png"), full_page=True)

    # bob quotes a passage he selected in ann's comment: only it is quoted.
    quote_a_selection(bob, post_url, "first reply", REPLY, f"**{names[0]}** wrote:\n\n> {COMMENT}\n\n")
    quote_a_selection(bob, post_url, "past the end", PASSAGE, f"**{names[0]}** wrote:\n\n> near 75%, which leaves "
                      "little room.\n\n", until=".thread .replies .comment:last-child")  # fmt: skip
    quote_a_selection(bob, post_url, "passage", PASSAGE, f"**{names[0]}** wrote:\n\n> {PASSAGE}\n\n")
    body.fill(body.input_value() + PASSAGE_ANSWER)
    bob.screenshot(path=str(site.shots / "replies-3b-passage-form.png"), full_page=True)
    bob.get_by_role("button", name="Reply", exact=True).click()
    expect_flash(bob, "Reply added.")
    passage_reply = bob.locator(".thread").first.locator(".replies .comment").nth(2)
    expect(passage_reply.locator(".markdown blockquote")).to_have_text(PASSAGE)
    expect(passage_reply.locator(".markdown strong")).to_have_text(names[0])
    expect(passage_reply.locator(".markdown > p").last).to_have_text(PASSAGE_ANSWER)
    passage_reply.scroll_into_view_if_needed()
    bob.screenshot(path=str(site.shots / "replies-3c-passage-quoted.png"))

    # ann edits her comment: "edited" links to the history with both versions.
    ann.goto(post_url)
    ann.locator(".thread").first.locator(".comment").first.get_by_role("link", name="Edit comment").click()
    expect(ann.locator("h1")).to_have_text("Edit comment")
    ann.get_by_label("Your comment").fill(EDITED)
    ann.get_by_role("button", name="Save changes").click()
    expect_flash(ann, "Comment updated.")
    top = ann.locator(".thread").first.locator(".comment").first
    expect(top.locator(".markdown")).to_have_text(EDITED)
    top.get_by_role("link", name="edited").click()
    expect(ann.locator("h1")).to_have_text("Edit history")
    expect(ann.locator(".revision .markdown")).to_have_text([EDITED, COMMENT])
    ann.screenshot(path=str(site.shots / "replies-4-history.png"), full_page=True)

    # The thread on a phone.
    phone = browser.new_context(**PHONE)
    try:
        page = phone.new_page()
        page.goto(post_url)
        expect(page.locator(".replies .comment")).to_have_count(3)
        page.screenshot(path=str(site.shots / "replies-5-phone.png"), full_page=True)
    finally:
        phone.close()


def quote_a_selection(bob: Page, post_url: str, where: str, passage: str, expected: str, until: str = "") -> None:
    """On the post page, select ``passage`` in ann's comment (``where``: or in bob's first reply),
    possibly on past the end of the element ``until``; Quote on ann's comment opens the reply form
    holding ``expected``."""
    bob.goto(post_url)
    thread = bob.locator(".thread").first
    ann_comment = thread.locator(".comment").first
    source = thread.locator(".replies .comment").first if where == "first reply" else ann_comment
    selected = source.locator(".markdown p").first.evaluate(SELECT_JS, [passage, until or None])
    assert selected.startswith(passage), selected
    ann_comment.get_by_role("link", name="Quote").click()
    expect(bob.locator("h1")).to_have_text(re.compile(r"^Reply to "))
    expect(bob.get_by_label("Your comment")).to_have_value(expected)
    expect(bob.locator(".flash")).to_have_count(0)
