"""Two-factor login in a real browser against gunicorn (SQLite): a member enables it by
scanning the QR code (decoded here from a screenshot of it, with zxing-cpp), logs out,
logs in with a code from the app, then with a recovery code. The settings page is
photographed at desktop and phone width (artifacts/e2e/two-factor/, and the README's
docs/screenshots/settings-{desktop,phone}.png).

One server for the module, no seed: the walk needs only the member it registers.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from finboard.core.totp import STEP_SECONDS
from tests.databases import sqlite_database
from tests.web.test_e2e_browser import (  # noqa: F401 - ``browser`` is a fixture
    ARTIFACTS,
    DOCS_SCREENSHOTS,
    ROOT,
    Server,
    browser,
    expect_flash,
    free_port,
    server_env,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.browser

USERNAME = "totp_tess"
PASSWORD = "e2e-two-factor-pass"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    shots = ARTIFACTS / "two-factor"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with sqlite_database(tmp_path_factory.mktemp("e2e-2fa")) as url:
        env = server_env(url, {"AVATAR_DIR": str(tmp_path_factory.mktemp("avatars"))})
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                   "--workers", "1", "--threads", "4"]  # fmt: skip
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log_path)
            yield Server("two-factor", base_url, shots, env)
        finally:
            stop(process)


def scan(page: Page) -> str:
    """What an authenticator app reads from the enrolment page: the QR code's text."""
    png = page.locator("#totp-qr svg").screenshot()
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1 and results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def log_in_with_code(page: Page, server: Server, code: str) -> None:
    page.goto(server.url("/auth/login"))
    page.get_by_label("Username or email").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("h1")).to_have_text("Enter your code")
    expect(page.locator("nav.account").get_by_role("link", name="Log in")).to_be_visible()  # not logged in yet
    page.get_by_label("Authenticator code or recovery code").fill(code)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".flash").first).to_have_text(f"Logged in as {USERNAME}.")


def test_two_factor_walk(browser, server):  # noqa: F811 - the imported fixture
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        walk(page, server)
    except Exception:
        page.screenshot(path=str(server.shots / "failure.png"), full_page=True)
        raise
    finally:
        context.close()


def walk(page: Page, server: Server) -> None:
    page.goto(server.url("/auth/register"))
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Email").fill(f"{USERNAME}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Register", exact=True).click()
    expect_flash(page, f"Welcome to FinBoard, {USERNAME}!")

    # The header's Settings link; two-factor login is off.
    page.locator(".user-menu summary").click()
    page.locator("nav.account").get_by_role("link", name="Settings").click()
    expect(page.locator("h1")).to_have_text("Settings")
    expect(page.locator("#two-factor")).to_contain_text("Off.")
    page.get_by_role("link", name="Turn on two-factor login").click()

    # Scan, then confirm with the code the "app" shows.
    uri = scan(page)
    totp = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/FinBoard:") and totp.name == USERNAME
    page.screenshot(path=str(server.shots / "01-enrol.png"), full_page=True)
    page.get_by_label("6-digit code from the app").fill(totp.at(time.time() - STEP_SECONDS))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect_flash(page, "Two-factor login is on.")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.screenshot(path=str(server.shots / "02-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="I saved them").click()
    expect(page.locator("#two-factor")).to_contain_text("10 of 10 recovery codes unused")
    settings_screenshots(page, server)

    # Log out; log in with a code from the app; then with a recovery code.
    page.locator(".user-menu summary").click()  # the user menu holds it
    page.get_by_role("button", name="Log out").click()
    expect_flash(page, "You have been logged out.")
    log_in_with_code(page, server, totp.now())
    page.locator(".user-menu summary").click()  # the user menu holds it
    page.get_by_role("button", name="Log out").click()
    log_in_with_code(page, server, codes[0])
    page.goto(server.url("/settings"))
    expect(page.locator("#two-factor")).to_contain_text("9 of 10 recovery codes unused")
    expect(page.locator("#sessions .session")).to_have_count(1)  # the two sessions before were logged out
    page.screenshot(path=str(server.shots / "03-after-recovery-login.png"), full_page=True)


def settings_screenshots(page: Page, server: Server) -> None:
    """/settings at desktop and phone width, for the README."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(server.url("/settings"))
        shot = server.shots / f"settings-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        shutil.copyfile(shot, DOCS_SCREENSHOTS / f"settings-{name}.png")
    page.set_viewport_size({"width": 1280, "height": 900})
