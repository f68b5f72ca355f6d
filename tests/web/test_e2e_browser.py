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

ROOT = Path(__file__).resolve().parents[2]
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
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def journey_shots(self, journey: str) -> Path:
        """artifacts/e2e/<journey>-<dbkind>/: a journey's own screenshots, apart from the member
        journey's folder, which this module's fixture empties."""
        directory = self.shots.parent / f"{journey}-{self.kind}"
        directory.mkdir(exist_ok=True)
        return directory


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
        JOBS_RUNNER="embedded",  # the reader's page shows the mention at once (no worker here)
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
    folder = tmp_path_factory.mktemp(f"e2e-{kind}")
    with fresh_database(kind, folder) as (url, extra):
        env = server_env(url, {**extra, "MAIL_OUTBOX": str(folder / "outbox")})
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
            yield Server(kind, base_url, shots, env)
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
    page.locator(".user-menu summary").click()  # the user menu holds it
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
    # The form found two tickers: a view and a position on each, a different view per ticker.
    expect(page.locator(".ticker-row")).to_have_count(2)
    expect(page.locator(".ticker-row th .cashtag")).to_have_text(["$NVDA", "$AMD"])
    page.get_by_label("View on $NVDA").select_option("bullish")
    page.get_by_label("Position in $NVDA").select_option("long")
    page.get_by_label("View on $AMD").select_option("neutral")
    page.get_by_label("Position in $AMD").select_option("none")
    steps.shot("new-post-ticker-views")
    page.get_by_role("button", name="Publish").click()
    expect_flash(page, "Your post is live.")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".market-line .ticker-views")).to_have_text("Views: ▲ bullish on $NVDA · ● neutral on $AMD")
    expect(page.locator(".market-line .disclosure")).to_have_text("Disclosure: long $NVDA · no position $AMD")
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
    expect(page.get_by_label("View on $NVDA")).to_have_value("bullish")
    expect(page.get_by_label("View on $AMD")).to_have_value("neutral")
    page.get_by_label("Title").fill(EDITED_TITLE)
    page.get_by_label("Body (Markdown)").fill(EDITED_BODY)
    steps.shot("edit-form")
    page.get_by_role("button", name="Save changes").click()
    expect_flash(page, "Post updated.")
    expect(page).to_have_url(server.url(post_path))
    expect(page.locator("h1")).to_have_text(EDITED_TITLE)
    expect(page.locator(".post .markdown")).to_contain_text("Update: trimmed a little into strength")
    expect(page.locator(".post .cashtags .cashtag")).to_have_text(["$NVDA"])
    expect(page.locator(".market-line .ticker-views")).to_have_text("Views: ▲ bullish on $NVDA")  # $AMD left
    expect(page.locator(".edited")).to_be_visible()
    expect(page.locator(".comment .markdown")).to_have_text(COMMENT)
    steps.shot("edited")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator(".user-menu summary")).to_be_visible()
    steps.shot("edited-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The listing shows the edit at once (two workers share Redis on PostgreSQL).
    for _ in range(3):
        page.goto(server.url("/"))
        expect(page.locator(".post-card h2").first).to_have_text(EDITED_TITLE)
        expect(page.locator(".post-card").first).to_contain_text("1 comment")

    # Log out.
    page.locator(".user-menu summary").click()  # the user menu holds it
    page.get_by_role("button", name="Log out").click()
    expect_flash(page, "You have been logged out.")
    expect(page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("nav.account")).not_to_contain_text(USERNAME)
    steps.shot("logged-out-again")


# --- the community: a mention notifies, a cashtag page shows sentiment, a moderator hides a reported post ---

MODERATOR = ("mod_mo", "mod.mo@example.com", "e2e-moderator-pass")
AUTHOR = ("ann_author", "ann.author@example.com", "e2e-author-pass-1")
READER = ("bob_reader", "bob.reader@example.com", "e2e-reader-pass-1")
BULL_TITLE = "Adding to $TSLA after deliveries"
BULL_BODY = "Deliveries beat again. @bob_reader what do you think? Still long **$TSLA**."


def create_account(server: Server, account: tuple[str, str, str], role: str) -> None:
    username, email, password = account
    created = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", "create-user", "--username", username,
         "--email", email, "--password", password, "--role", role],
        cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr


@contextmanager
def seeded_sqlite_server(folder: Path, shots: Path, moderator: tuple[str, str, str]) -> Iterator[Server]:
    """gunicorn (1 worker, 4 threads) on a SQLite database seeded with ``SEED`` in ``folder``, logging
    to ``shots``, with ``moderator``'s account: the page-checking journeys' server (header, axe)."""
    with fresh_database("sqlite", folder) as (url, extra):
        env = server_env(url, {**extra, "MAIL_OUTBOX": str(folder / "outbox")})
        seeded = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi:app", "seed", *SEED],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                   "--threads", "4"]  # fmt: skip
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log_path)
            running = Server("sqlite", base_url, shots, env)
            create_account(running, moderator, "moderator")
            yield running
        finally:
            stop(process)


def log_in(page: Page, server: Server, account: tuple[str, str, str]) -> None:
    username, _, password = account
    page.goto(server.url("/auth/login"))
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect_flash(page, f"Logged in as {username}.")


def test_community_journey(browser, server):
    for account, role in ((MODERATOR, "moderator"), (AUTHOR, "member"), (READER, "member")):
        create_account(server, account, role)
    pages = {}
    try:
        for name in ("author", "reader", "moderator"):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            pages[name] = context.new_page()
            pages[name].set_default_timeout(15_000)
        community_journey(pages["author"], pages["reader"], pages["moderator"], server)
    except Exception:
        for name, page in pages.items():
            page.screenshot(path=str(server.shots / f"community-failure-{name}.png"), full_page=True)
        raise
    finally:
        for page in pages.values():
            page.context.close()


def community_journey(author: Page, reader: Page, moderator: Page, server: Server) -> None:
    steps = Steps(reader, server.shots)
    steps.number = 50

    # The reader follows $TSLA from its cashtag page.
    log_in(reader, server, READER)
    reader.goto(server.url("/t/tsla"))
    expect(reader).to_have_url(server.url("/t/TSLA"))
    reader.get_by_role("button", name="Follow $TSLA").click()
    expect(reader.locator(".follow-state")).to_contain_text("Following")

    # The author posts on $TSLA: bullish, long, mentioning the reader.
    log_in(author, server, AUTHOR)
    author.get_by_role("link", name="New post").click()
    author.get_by_label("Title").fill(BULL_TITLE)
    author.get_by_label("Category").select_option("stocks")
    author.get_by_label("Body (Markdown)").fill(BULL_BODY)
    author.get_by_role("button", name="Publish").click()  # the form finds $TSLA and asks for a view on it
    author.get_by_label("View on $TSLA").select_option("bullish")
    author.get_by_label("Position in $TSLA").select_option("long")
    author.get_by_role("button", name="Publish").click()
    expect_flash(author, "Your post is live.")
    expect(author.locator(".market-line .ticker-views")).to_have_text("Views: ▲ bullish on $TSLA")
    expect(author.locator(".disclosure")).to_have_text("Disclosure: long $TSLA")
    expect(author.locator(".post .markdown a.cashtag")).to_have_text("$TSLA")
    post_url = author.url
    author.screenshot(path=str(server.shots / "community-author-post.png"), full_page=True)

    # The mention reaches the reader: one notification (a mention outranks the $TSLA follow).
    reader.goto(server.url("/"))
    expect(reader.locator("#bell-count")).to_have_text("1")
    reader.locator("a.bell").click()
    expect(reader.locator("h1")).to_have_text("Notifications")
    expect(reader.locator(".notification.unread")).to_have_count(1)
    expect(reader.locator(".notification")).to_contain_text(f"{AUTHOR[0]} mentioned you in {BULL_TITLE}")
    steps.shot("community-notified")
    reader.get_by_role("button", name="Mark all read").click()
    expect_flash(reader, "All notifications marked read.")
    expect(reader.locator("#bell-count")).to_have_count(0)
    reader.locator(".notification-link").click()
    expect(reader.locator("h1")).to_have_text(BULL_TITLE)

    # The cashtag page shows the post, the day's count and the sentiment split.
    reader.goto(server.url("/t/TSLA"))
    expect(reader.locator(".post-card h2").first).to_have_text(BULL_TITLE)
    expect(reader.locator("#sentiment-7d .sentiment-bullish-text .count")).to_have_text("1")
    expect(reader.locator("#sentiment-7d .sentiment-bearish-text .count")).to_have_text("0")
    expect(reader.locator("#sentiment-30d .sentiment-bullish-text .count")).to_have_text("1")
    expect(reader.locator("#follower-count")).to_have_text("1 follower")
    steps.shot("community-cashtag-sentiment")

    # The reader reports the post.
    reader.goto(post_url)
    reader.get_by_role("link", name="Report", exact=True).click()
    reader.get_by_label("What is wrong with it?").fill("Looks like a pump: no sources at all.")
    reader.get_by_role("button", name="Send report").click()
    expect_flash(reader, "Thank you: a moderator will look at your report.")

    # A member has no moderation page.
    expect(reader.locator("header").get_by_role("link", name="Moderation")).to_have_count(0)
    assert reader.request.get(server.url("/moderation")).status == 403

    # The moderator hides the reported post from the queue.
    log_in(moderator, server, MODERATOR)
    moderator.locator(".user-menu summary").click()
    moderator.locator("header").get_by_role("link", name="Moderation").click()
    report = moderator.locator(".report").filter(has_text=BULL_TITLE)
    expect(report).to_contain_text("Looks like a pump: no sources at all.")
    expect(report).to_contain_text(READER[0])
    report.get_by_placeholder("Note (optional, kept with the report)").fill("No sources; hidden.")
    report.get_by_role("button", name="Hide post").click()
    expect_flash(moderator, "Hidden and resolved.")
    expect(moderator.locator(".report").filter(has_text=BULL_TITLE)).to_have_count(0)
    moderator.get_by_role("link", name="Moderation log").click()
    rows = moderator.locator(".mod-log tbody tr")
    expect(rows.nth(0)).to_contain_text("resolve")  # newest first: the report, then the hide it came with
    expect(rows.nth(1)).to_contain_text("hide")
    expect(rows.nth(1)).to_contain_text(BULL_TITLE)
    expect(rows.nth(1)).to_contain_text("No sources; hidden.")
    moderator.screenshot(path=str(server.shots / "community-moderator-log.png"), full_page=True)

    # Gone for members: the post is a 404 and leaves the cashtag page and its sentiment.
    response = reader.goto(post_url)
    assert response.status == 404
    reader.goto(server.url("/t/TSLA"))
    expect(reader.locator(".post-card h2").filter(has_text=BULL_TITLE)).to_have_count(0)
    expect(reader.locator("#sentiment-7d .empty")).to_have_text("No bullish or bearish posts in the last 7 days.")
    steps.shot("community-hidden-for-members")


def test_api_docs_are_linked_and_work_under_the_csp(browser, server):
    """The footer's link opens Swagger UI (served from the pinned package, no CDN), which
    lists the API's operations and runs one, with no Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.base_url) else None)
    try:
        page.goto(server.url("/"))
        page.get_by_role("link", name="API documentation").click()
        expect(page).to_have_title(re.compile("FinBoard API"))
        listing = page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/posts$")).first
        expect(listing).to_be_visible()
        listing.click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
        page.screenshot(path=str(server.shots / "api-docs.png"), full_page=False)
        expect(page.locator(".live-responses-table tbody .response-col_description").first).to_contain_text("\"items\"")
    finally:
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert outside == [], f"the viewer asked a third party: {outside}"


BLOCKER = ("cat_blocker", "cat.blocker@example.com", "e2e-blocker-pass-1")
LOUD = ("dan_loud", "dan.loud@example.com", "e2e-loud-pass-1")
LOUD_TITLE = "Hey @cat_blocker, $GME to the moon"


def register(page: Page, server: Server, account: tuple[str, str, str]) -> None:
    username, email, password = account
    page.goto(server.url("/auth/register"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Register", exact=True).click()
    expect_flash(page, f"Welcome to FinBoard, {username}!")


def test_block_journey(browser, server):
    """Block a member from their profile and no longer get their mentions (issue 17)."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    blocker, loud = (context.new_page() for context in contexts)
    try:
        for page, account in ((blocker, BLOCKER), (loud, LOUD)):  # the form logs in: no CLI, no second hash
            register(page, server, account)
        blocker.goto(server.url(f"/u/{LOUD[0]}"))
        blocker.get_by_role("button", name="Block", exact=True).click()
        expect(blocker.locator(".flash")).to_contain_text(f"You blocked {LOUD[0]}")
        expect(blocker.locator("details.confirm summary", has_text="Unblock")).to_be_visible()

        loud.get_by_role("link", name="New post").click()
        loud.get_by_label("Title").fill(LOUD_TITLE)
        loud.get_by_label("Category").select_option("stocks")
        loud.get_by_label("Body (Markdown)").fill("Calling @cat_blocker: this one is going up.")
        loud.get_by_role("button", name="Publish").click()
        loud.get_by_role("button", name="Publish").click()  # no view on $GME: the rows stay empty
        expect_flash(loud, "Your post is live.")

        # No bell, no notification; the post is collapsed behind a reveal, no JavaScript needed.
        blocker.goto(server.url("/"))
        expect(blocker.locator("#bell-count")).to_have_count(0)
        collapsed = blocker.locator("details.blocked-post").filter(has_text=LOUD_TITLE)
        expect(collapsed.locator("summary")).to_have_text("Post by a member you blocked")
        expect(collapsed.locator(".post-card")).to_be_hidden()
        collapsed.locator("summary").click()
        expect(collapsed.locator(".post-card h2")).to_have_text(LOUD_TITLE)
        blocker.screenshot(path=str(server.shots / "block-collapsed.png"), full_page=True)
        blocker.goto(server.url("/notifications"))
        expect(blocker.locator(".notification")).to_have_count(0)

        # Muting a word from /settings/blocks hides the post altogether.
        blocker.locator(".user-menu summary").click()
        blocker.locator("header").get_by_role("link", name="Settings").click()
        blocker.get_by_role("link", name="Blocks and mutes").click()
        blocker.get_by_label("Word, phrase or ticker").fill("MOON")
        blocker.get_by_role("button", name="Mute", exact=True).click()
        expect_flash(blocker, "Muted: matching posts are hidden from your pages.")
        blocker.goto(server.url("/"))
        expect(blocker.locator(".post-card h2").filter(has_text=LOUD_TITLE)).to_have_count(0)
        expect(blocker.locator(".muted-note")).to_contain_text("1 post on this page hidden")
    except Exception:
        for name, page in (("blocker", blocker), ("loud", loud)):
            page.screenshot(path=str(server.shots / f"block-failure-{name}.png"), full_page=True)
        raise
    finally:
        for context in contexts:
            context.close()
