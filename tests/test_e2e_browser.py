"""The forum in a real browser against the real server (gunicorn), on SQLite and on PostgreSQL + Redis.

A member registers, logs out, logs in, writes a post with a cashtag, finds it
by full-text search and by the cashtag filter, comments on it, edits it and
logs out; every step asserts what the page shows and leaves a screenshot in
artifacts/e2e/<dbkind>/. The SQLite run also refreshes the README's
screenshots of the home page (docs/screenshots/forum-{desktop,phone}.png).

Playwright drives Debian's chromium (/usr/bin/chromium): Playwright's own
browser builds are not downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect, sync_playwright

from tests.databases import postgres_database, require_redis, sqlite_database

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "e2e"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]  # fmt: skip
# A Redis database of the e2e server's own (the cache key prefix is not configurable
# from the environment); only the keys this run creates are deleted afterwards.
E2E_REDIS_DB = 15
E2E_REDIS_URL = f"redis://127.0.0.1:6379/{E2E_REDIS_DB}"
SEED = ["--users", "12", "--posts", "60", "--comments", "180", "--seed", "42"]

USERNAME = "market_mole"
EMAIL = "market.mole@example.com"
PASSWORD = "e2e-password-42"
TITLE = "Why I am still long $NVDA after the selloff"
BODY = "Datacenter demand keeps **compounding**. Watching $NVDA and $AMD into earnings."
COMMENT = "Fair points, but the valuation leaves little room for a miss."
EDITED_TITLE = "Why I am still long $NVDA after the selloff (updated)"
EDITED_BODY = "Update: trimmed a little into strength, still **long** $NVDA."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    kind: str
    base_url: str
    shots: Path

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A migrated, empty database and the environment that points the app at it."""
    if kind == "sqlite":
        with sqlite_database(tmp_path) as url:
            yield url, {}
        return
    require_redis()
    client = redis.Redis.from_url(E2E_REDIS_URL)
    keys_before = set(client.scan_iter())
    try:
        with postgres_database("finboard_e2e") as url:
            yield url, {"REDIS_URL": E2E_REDIS_URL}
    finally:
        created = set(client.scan_iter()) - keys_before
        if created:
            client.delete(*created)


def server_env(url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY")}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="e2e-secret-key-with-enough-entropy-0123456789",
        FINBOARD_ENV="development",
        GRACEFUL_TIMEOUT="3",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def wait_until_healthy(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout}s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the gunicorn master (it stops its workers); SIGKILL its process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    kind = request.param
    shots = ARTIFACTS / kind
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with fresh_database(kind, tmp_path_factory.mktemp(f"e2e-{kind}")) as (url, extra):
        env = server_env(url, extra)
        seeded = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi:app", "seed", *SEED],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        assert "Seeded 12 users, 60 posts, 180 comments" in seeded.stdout
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
            yield Server(kind, base_url, shots)
        finally:
            stop(process)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Steps:
    """Numbered, full-page screenshots: artifacts/e2e/<kind>/NN-name.png."""

    def __init__(self, page: Page, directory: Path):
        self.page = page
        self.directory = directory
        self.number = 0

    def shot(self, name: str) -> Path:
        self.number += 1
        path = self.directory / f"{self.number:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def expect_flash(page: Page, message: str) -> None:
    expect(page.locator(".flash")).to_have_text(message)


def home_screenshots_for_docs(browser, server: Server) -> None:
    """The home page with seeded posts at desktop and phone width, for the README."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, options in {
        "desktop": {"viewport": {"width": 1280, "height": 900}},
        "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                  "has_touch": True},
    }.items():  # fmt: skip
        context = browser.new_context(**options)
        try:
            page = context.new_page()
            page.goto(server.url("/"))
            expect(page.locator(".post-card")).to_have_count(20)
            shot = server.shots / f"home-{name}.png"
            page.screenshot(path=str(shot))
            shutil.copyfile(shot, DOCS_SCREENSHOTS / f"forum-{name}.png")
        finally:
            context.close()


def test_member_journey(browser, server):
    if server.kind == "sqlite":  # before the journey: only the (deterministic) seeded posts
        home_screenshots_for_docs(browser, server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    steps = Steps(page, server.shots)
    try:
        journey(page, steps, server)
    except Exception:
        page.screenshot(path=str(server.shots / "failure.png"), full_page=True)
        raise
    finally:
        context.close()


def journey(page: Page, steps: Steps, server: Server) -> None:
    # The seeded home page.
    page.goto(server.url("/"))
    expect(page.locator("h1")).to_have_text("Latest posts")
    expect(page.locator(".lede")).to_contain_text("60 posts")
    expect(page.locator(".post-card")).to_have_count(20)
    expect(page.locator(".pagination")).to_be_visible()
    steps.shot("home")

    # Register.
    page.get_by_role("link", name="Register", exact=True).click()
    expect(page.locator("h1")).to_have_text("Create your account")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    steps.shot("register-form")
    page.get_by_role("button", name="Register", exact=True).click()
    expect_flash(page, f"Welcome to FinBoard, {USERNAME}!")
    expect(page.locator("nav.account")).to_contain_text(USERNAME)
    steps.shot("registered")

    # Log out.
    page.get_by_role("button", name="Log out").click()
    expect_flash(page, "You have been logged out.")
    expect(page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()
    steps.shot("logged-out")

    # A wrong password first, then the right one (by email).
    page.locator("nav.account").get_by_role("link", name="Log in").click()
    page.get_by_label("Username or email").fill(EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("#password-error")).to_have_text("Unknown username or wrong password.")
    expect(page.get_by_label("Username or email")).to_have_value(EMAIL)
    steps.shot("login-refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect_flash(page, f"Logged in as {USERNAME}.")
    expect(page.locator("nav.account")).to_contain_text(USERNAME)
    steps.shot("logged-in")

    # Write a post with cashtags.
    page.get_by_role("link", name="New post").click()
    expect(page.locator("h1")).to_have_text("New post")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Category").select_option("stocks")
    page.get_by_label("Body (Markdown)").fill(BODY)
    steps.shot("new-post-form")
    page.get_by_role("button", name="Publish").click()
    expect_flash(page, "Your post is live.")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".post .markdown strong")).to_have_text("compounding")
    expect(page.locator(".post .cashtags .cashtag")).to_have_text(["$NVDA", "$AMD"])
    expect(page.locator(".post .author")).to_have_text(USERNAME)
    post_path = page.url.removeprefix(server.base_url)
    steps.shot("post-published")

    # Newest first on the home page.
    page.get_by_role("link", name="FinBoard home").click()
    expect(page.locator(".post-card h2").first).to_have_text(TITLE)
    expect(page.locator(".lede")).to_contain_text("61 posts")

    # Find it by full text (header search box)...
    page.get_by_label("Search posts").fill("selloff compounding")
    page.get_by_label("Search posts").press("Enter")
    expect(page.locator("h1")).to_have_text("Search posts")
    expect(page.get_by_role("status").filter(has_text="result")).to_have_text("1 result")
    expect(page.locator(".post-card h2")).to_have_text([TITLE])
    steps.shot("search-full-text")

    # ...and by the cashtag filter of the search form.
    page.locator("#q").fill("")
    page.locator("#cashtag").fill("$nvda")
    page.locator("#sort").select_option("new")
    page.locator("form.search-form").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search\?.*cashtag=%24nvda"))
    expect(page.locator(".post-card h2").first).to_have_text(TITLE)
    expect(page.locator("#cashtag")).to_have_value("$nvda")
    steps.shot("search-cashtag")

    # Comment on it.
    page.locator(".post-card h2 a").first.click()
    expect(page.locator("h1")).to_have_text(TITLE)
    page.get_by_label("Your comment").fill(COMMENT)
    page.get_by_role("button", name="Comment", exact=True).click()
    expect_flash(page, "Comment added.")
    expect(page.locator(".comment .markdown")).to_have_text(COMMENT)
    expect(page.locator("#comments-title")).to_have_text("1 comment")
    steps.shot("commented")

    # Edit it.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("h1")).to_have_text("Edit post")
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Category")).to_have_value("stocks")
    page.get_by_label("Title").fill(EDITED_TITLE)
    page.get_by_label("Body (Markdown)").fill(EDITED_BODY)
    steps.shot("edit-form")
    page.get_by_role("button", name="Save changes").click()
    expect_flash(page, "Post updated.")
    expect(page).to_have_url(server.url(post_path))
    expect(page.locator("h1")).to_have_text(EDITED_TITLE)
    expect(page.locator(".post .markdown")).to_contain_text("Update: trimmed a little into strength")
    expect(page.locator(".post .cashtags .cashtag")).to_have_text(["$NVDA"])
    expect(page.locator(".edited")).to_be_visible()
    expect(page.locator(".comment .markdown")).to_have_text(COMMENT)
    steps.shot("edited")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    steps.shot("edited-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The listing shows the edit at once (two workers share Redis on PostgreSQL).
    for _ in range(3):
        page.goto(server.url("/"))
        expect(page.locator(".post-card h2").first).to_have_text(EDITED_TITLE)
        expect(page.locator(".post-card").first).to_contain_text("1 comment")

    # Log out.
    page.get_by_role("button", name="Log out").click()
    expect_flash(page, "You have been logged out.")
    expect(page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("nav.account")).not_to_contain_text(USERNAME)
    steps.shot("logged-out-again")
