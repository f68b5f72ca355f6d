"""Reactions and the hot listing in a real browser against gunicorn, on SQLite and PostgreSQL + Redis.

A member opens the seeded home page, sorts by Hot (the order the API gives for sort=hot),
opens a post, reacts with 🚀 by double-clicking (one reaction, count 1), changes it to 🐂,
sees the count on the post's card in the Hot listing, then removes it. Screenshots at 1280
and 390 px go to artifacts/e2e/reactions-<kind>/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_e2e_browser import (  # noqa: F401 - ``browser`` is a fixture
    ARTIFACTS,
    ROOT,
    SEED,
    Server,
    Steps,
    browser,
    create_account,
    expect_flash,
    free_port,
    fresh_database,
    log_in,
    server_env,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.browser

MEMBER = ("rita_reacts", "rita.reacts@example.com", "e2e-reactions-pass-1")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    kind = request.param
    shots = ARTIFACTS / f"reactions-{kind}"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    folder = tmp_path_factory.mktemp(f"e2e-reactions-{kind}")
    with fresh_database(kind, folder) as (url, extra):
        env = server_env(url, extra)
        seeded = subprocess.run(
            # --no-demo: no seeded reactions, so each count the walk checks is the member's own
            [sys.executable, "-m", "flask", "--app", "wsgi:app", "seed", *SEED, "--no-demo"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        port = free_port()
        workers = ["--workers", "2"] if kind == "postgres" else ["--workers", "1", "--threads", "4"]
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", *workers],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log_path)
            yield Server(kind, base_url, shots, env)
        finally:
            stop(process)


def api_titles(server: Server, query: str) -> list[str]:
    with urllib.request.urlopen(server.url(f"/api/v1/posts?{query}"), timeout=10) as response:  # noqa: S310
        return [post["title"] for post in json.load(response)["items"]]


def test_react_and_sort_by_hot(browser, server):  # noqa: F811 - the imported fixture
    create_account(server, MEMBER, "member")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        walk(page, Steps(page, server.shots), server)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
        try:
            small = phone.new_page()
            small.goto(server.url("/?sort=hot"))
            expect(small.locator(".sort-control a[aria-current]")).to_have_text("Hot")
            small.screenshot(path=str(server.shots / "hot-phone.png"), full_page=False)
            log_in(small, server, MEMBER)
            small.goto(server.url("/?sort=hot"))
            small.locator(".post-card h2 a").first.click()
            expect(small.get_by_role("group", name="React to this post")).to_be_visible()
            small.screenshot(path=str(server.shots / "post-phone.png"), full_page=True)
        finally:
            phone.close()
    except Exception:
        page.screenshot(path=str(server.shots / "failure.png"), full_page=True)
        raise
    finally:
        context.close()


def card_titles(page: Page) -> list[str]:
    return page.locator(".post-card h2").all_inner_texts()


def walk(page: Page, steps: Steps, server: Server) -> None:
    log_in(page, server, MEMBER)
    page.goto(server.url("/"))
    page.locator(".sort-control").get_by_role("link", name="Hot", exact=True).click()
    expect(page).to_have_url(server.url("/?sort=hot"))
    expect(page.locator(".sort-control a[aria-current]")).to_have_text("Hot")
    assert card_titles(page) == api_titles(server, "sort=hot")
    steps.shot("hot-before")

    # The second-hottest post: react with a double click on 🚀 (one reaction, count 1).
    title = card_titles(page)[1]
    page.locator(".post-card h2 a").nth(1).click()
    expect(page.locator("h1")).to_have_text(title)
    post_url = page.url
    post_bar = page.get_by_role("group", name="React to this post")
    rocket = post_bar.locator('button[data-kind="rocket"]')
    expect(rocket).to_have_attribute("aria-pressed", "false")
    rocket.dblclick()
    expect(post_bar.locator('button[data-kind="rocket"]')).to_have_attribute("aria-pressed", "true")
    expect(post_bar.locator('button[data-kind="rocket"] .reaction-count')).to_have_text("1")
    steps.shot("reacted-rocket")

    # Another kind replaces it.
    post_bar.locator('button[data-kind="bull"]').click()
    expect_flash(page, "Reaction saved.")
    expect(post_bar.locator('button[data-kind="bull"]')).to_have_attribute("aria-pressed", "true")
    expect(post_bar.locator('button[data-kind="bull"] .reaction-count')).to_have_text("1")
    expect(post_bar.locator('button[data-kind="rocket"] .reaction-count')).to_have_text("0")

    # The Hot listing: the page's order is the API's, the card shows the reaction.
    page.goto(server.url("/?sort=hot"))
    titles = card_titles(page)
    assert titles == api_titles(server, "sort=hot")
    card = page.locator(".post-card").filter(has_text=title)
    expect(card.locator(".reaction-total")).to_have_text("1 reaction")
    assert titles.index(title) <= 1, "a reaction only lifts a post in the hot order"
    steps.shot("hot-after")

    # Top today / all time; then remove the reaction.
    page.locator(".sort-control").get_by_role("link", name="Top", exact=True).click()
    expect(page.locator(".sort-periods a[aria-current]")).to_have_text("All time")
    assert card_titles(page) == api_titles(server, "sort=top")
    expect(page.locator(".post-card").filter(has_text=title).locator(".reaction-total")).to_have_text("1 reaction")
    steps.shot("top-all")
    page.goto(post_url)
    page.get_by_role("group", name="React to this post").locator('button[data-kind="bull"]').click()
    expect_flash(page, "Reaction removed.")
    expect(page.locator('button[data-kind="bull"] .reaction-count').first).to_have_text("0")
