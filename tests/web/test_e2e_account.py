"""Account mail in a real browser against gunicorn, the mail delivered to aiosmtpd in this process.

Sign up → the verification mail arrives → its link verifies (the banner goes); forgotten
password → the reset mail → a new password → the other browser's session and the old API
token are refused, the new password logs in. SQLite only (the embedded runner: the mail
is sent by the server's mail thread after the commit); the queue's worker path is
tests/persistence/test_mail_jobs.py. Screenshots in artifacts/e2e/account/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect, sync_playwright

from finboard.contract.accounts import MAIL_ACCEPTED
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

USERNAME, EMAIL = "careful_carl", "carl@example.com"
PASSWORD, NEW_PASSWORD = "first-password-1", "second-password-2"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def forum(tmp_path_factory, smtp):
    shots = ARTIFACTS / "account"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    folder = tmp_path_factory.mktemp("e2e-account")
    with sqlite_database(folder) as url:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = server_env(url, {"MAIL_URL": smtp.url, "SITE_URL": base_url, "MAIL_OUTBOX": str(folder / "outbox")})
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", "--threads", "4"]
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until_healthy(base_url, process, log_path)
            yield base_url, shots
        finally:
            stop(process)


def test_sign_up_verify_forget_and_reset(forum, smtp):
    base_url, shots = forum
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            member = browser.new_context(base_url=base_url)
            other = browser.new_context(base_url=base_url)  # the same member on another device
            page = member.new_page()
            page.set_default_timeout(15_000)
            try:
                walk(page, other.new_page(), Steps(page, shots), smtp)
            except Exception:
                page.screenshot(path=str(shots / "failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def walk(page, other_page, steps: Steps, smtp: SmtpServer) -> None:
    # Sign up: a banner asks for the address, and the mail arrives.
    page.goto("/auth/register")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator(".banner-verify")).to_contain_text(f"we mailed a link to {EMAIL}")
    steps.shot("unverified-banner")
    (verification,) = smtp.wait_for(EMAIL)
    page.goto(link(verification, "/account/verify/"))
    expect_flash(page, "Thank you: your email address is confirmed.")
    expect(page.locator(".banner-verify")).to_have_count(0)
    steps.shot("verified")

    # Another device signed in, and an API token: both must end with the reset.
    other_page.goto("/auth/login")
    other_page.get_by_label("Username or email").fill(USERNAME)
    other_page.get_by_label("Password").fill(PASSWORD)
    other_page.get_by_role("button", name="Log in").click()
    expect(other_page.locator("nav.account")).to_contain_text(USERNAME)
    login = page.request.post("/api/v1/auth/login", data={"username": USERNAME, "password": PASSWORD})
    token = login.json()["access_token"]

    # Forgotten password: log out, ask for a link, follow it, choose a new password.
    page.locator(".user-menu summary").click()  # the user menu holds it
    page.get_by_role("button", name="Log out").click()
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your account's email address").fill(EMAIL.upper())
    page.get_by_role("button", name="Mail me a link").click()
    expect_flash(page, MAIL_ACCEPTED)
    steps.shot("reset-asked")
    reset = smtp.wait_for(EMAIL, count=2)[1]
    assert reset["Subject"] == "Reset your FinBoard password"
    reset_link = link(reset, "/account/reset/")
    page.goto(reset_link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    steps.shot("reset-form")
    page.get_by_role("button", name="Set the new password").click()
    expect_flash(page, "Password changed. Every session and API token was signed out: log in with the new one.")

    # The old session and the old token are refused; the link is used up; the new password works.
    other_page.reload()
    expect(other_page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()
    refused = page.request.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
    page.goto(reset_link)
    expect(page.locator("p.error")).to_contain_text("already been used")
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect_flash(page, f"Logged in as {USERNAME}.")
    steps.shot("logged-in-again")
