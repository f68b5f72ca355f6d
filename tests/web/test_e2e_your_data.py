"""Block, export and delete in a real browser against gunicorn, the mail delivered to aiosmtpd here.

The member blocks someone who mentions her and no longer gets their mentions (unblocked
again, the mention made meanwhile never arrived); asks for her
data and the mailed link downloads a ZIP holding her posts; deletes her account (password,
"remove my posts"), is signed out at once, and once the purge has run (``flask accounts
purge``; a grace period of 0 days here) her profile is a 404 and her post is gone. SQLite,
embedded jobs (the server's mail thread). Screenshots in artifacts/e2e/your-data/.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.databases import sqlite_database
from tests.mail_support import SmtpServer, link
from tests.web.test_e2e_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Steps,
    expect_flash,
    free_port,
    server_env,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.browser

PASSWORD = "your-data-pass-1"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def forum(tmp_path_factory, smtp):
    shots = ARTIFACTS / "your-data"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    folder = tmp_path_factory.mktemp("e2e-your-data")
    with sqlite_database(folder) as url:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        extra = {
            "MAIL_URL": smtp.url,
            "SITE_URL": base_url,
            "MAIL_OUTBOX": str(folder / "outbox"),
            "EXPORT_DIR": str(folder / "exports"),
            "ACCOUNT_DELETION_GRACE_DAYS": "0",
        }
        env = server_env(url, extra)
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", "--threads", "4"]
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until_healthy(base_url, process, log_path)
            yield base_url, shots, env
        finally:
            stop(process)


def _api_member(api: httpx.Client, name: str) -> dict[str, str]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert api.post("/api/v1/auth/register", json=body).status_code == 201
    token = api.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _post(api: httpx.Client, headers: dict[str, str], title: str) -> int:
    answer = api.post(
        "/api/v1/posts", json={"title": title, "body": "Long $AAPL.", "category": "stocks"}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_block_export_and_delete(forum, smtp):
    base_url, shots, env = forum
    with httpx.Client(base_url=base_url, timeout=15) as api, sync_playwright() as playwright:
        alice, bob = _api_member(api, "data_alice"), _api_member(api, "data_bob")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                walk(page, Steps(page, shots), smtp, api, alice, bob, env)
            except Exception:
                page.screenshot(path=str(shots / "failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def walk(page, steps: Steps, smtp: SmtpServer, api, alice, bob, env) -> None:
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill("data_alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect_flash(page, "Logged in as data_alice.")
    my_post = _post(api, alice, "Alice's $AAPL thesis")

    # bob mentions her: a notification. She blocks him; his next mention tells her nothing.
    _post(api, bob, "Before the block, @data_alice")
    page.goto("/notifications")
    expect(page.locator(".notification")).to_have_count(1)
    expect(page.locator(".notification").first).to_contain_text("Before the block")
    page.goto("/u/data_bob")
    page.get_by_role("button", name="Block", exact=True).click()
    # Unblocking is a confirm step now: a <details class="confirm"> whose summary reads "Unblock".
    expect(page.locator("details.confirm summary", has_text="Unblock")).to_be_visible()
    steps.shot("blocked")
    _post(api, bob, "After the block, @data_alice")
    page.goto("/notifications")
    expect(page.locator(".notification")).to_have_count(0)  # his older one is hidden while blocked
    steps.shot("no-mention-after-block")
    # Unblocked again: only the mention from before the block is there; the later one never came.
    page.goto("/u/data_bob")
    unblock = page.locator("details.confirm").filter(has=page.locator("summary", has_text="Unblock"))
    unblock.locator("summary").click()
    unblock.get_by_role("button", name="Yes, unblock").click()
    expect(page.get_by_role("button", name="Block", exact=True)).to_be_visible()
    page.goto("/notifications")
    expect(page.locator(".notification")).to_have_count(1)
    expect(page.locator(".notification").first).to_contain_text("Before the block")

    # Download my data: the mail's link downloads a ZIP holding her post.
    page.goto("/settings#data")
    page.get_by_role("button", name="Download my data").click()
    expect(page.locator(".flash")).to_contain_text("Your data is being gathered")
    steps.shot("export-asked")
    mails = smtp.wait_for("data_alice@example.com", count=2)  # the sign-up's verification, then this
    (ready,) = [m for m in mails if m["Subject"] == "Your FinBoard data is ready"]
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url; }", link(ready, "/settings/export/"))
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))  # noqa: SIM115
    posts = json.loads(archive.read("posts.json"))
    assert [(p["id"], p["title"]) for p in posts] == [(my_post, "Alice's $AAPL thesis")]

    # Delete my account, removing her posts: signed out at once; the purge erases the profile.
    page.goto("/settings#delete")
    section = page.get_by_role("region", name="Delete my account")
    section.get_by_label("Remove them").check()
    section.get_by_label("Current password").fill(PASSWORD)
    steps.shot("delete-form")
    section.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".flash")).to_contain_text("Your account will be deleted on")
    expect(page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()
    steps.shot("deletion-asked")
    assert api.get("/api/v1/notifications", headers=alice).status_code == 401
    purge = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", "accounts", "purge"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert purge.returncode == 0 and purge.stdout.strip() == "1 accounts anonymised", purge.stderr
    assert page.goto("/u/data_alice").status == 404
    steps.shot("profile-gone")
    assert page.goto(f"/posts/{my_post}").status == 404
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill("data_alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()
