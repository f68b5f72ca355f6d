"""Images and preview in a real browser against gunicorn (SQLite, and PostgreSQL + Redis).

A member writes a post, presses Preview (the rendered text shows above the form, nothing
is saved), uploads a chart with the "Add an image" control (the snippet lands at the
cursor), publishes, and sees the image in the post at 1280 and 390 px. Then the path
without JavaScript: the upload page shows the snippet to paste. Screenshots in
artifacts/e2e/uploads-<database>/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.image_samples import picture
from tests.web.test_e2e_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Steps,
    expect_flash,
    free_port,
    fresh_database,
    server_env,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.browser

USERNAME, EMAIL, PASSWORD = "chart_chris", "chris@example.com", "chart-password-1"
TITLE = "My $NVDA chart after earnings"
CHART = {"name": "nvda-q3.png", "mimeType": "image/png", "buffer": picture("PNG", size=(640, 360), color=(30, 90, 200))}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def forum(request, tmp_path_factory):
    """gunicorn on SQLite (one worker, threads), or on PostgreSQL + Redis (two workers)."""
    kind = request.param
    shots = ARTIFACTS / f"uploads-{kind}"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    folder = tmp_path_factory.mktemp(f"e2e-uploads-{kind}")
    with fresh_database(kind, folder) as (url, extra):
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        media = {"MEDIA_DIR": str(folder / "media"), "MAIL_OUTBOX": str(folder / "outbox")}
        env = server_env(url, {**extra, **media})
        workers = ["--workers", "2"] if kind == "postgres" else ["--workers", "1", "--threads", "4"]
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", *workers]
        log_path = shots / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until_healthy(base_url, process, log_path)
            yield base_url, shots, folder / "media"
        finally:
            stop(process)


def test_preview_upload_and_see_the_image_in_the_post(forum):
    base_url, shots, media_dir = forum
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            steps = Steps(page, shots)
            try:
                walk(page, steps, media_dir)
                without_javascript(browser, base_url, context, steps)
            except Exception:
                page.screenshot(path=str(shots / "failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def walk(page, steps: Steps, media_dir) -> None:
    page.goto("/auth/register")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator("nav.account")).to_contain_text(USERNAME)

    # Preview: the rendered Markdown above the form, the text kept, nothing published.
    page.goto("/posts/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Category").select_option("stocks")
    body = page.get_by_label("Body (Markdown)")
    body.fill("**Beat and raise** on $NVDA, thanks @chart_chris. Details: https://example.com/nvda\n\n")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".markdown-preview")
    expect(preview.locator("strong")).to_have_text("Beat and raise")
    expect(preview.locator("a.cashtag")).to_have_text("$NVDA")
    expect(preview.locator("a.mention")).to_have_attribute("href", "/u/chart_chris")
    expect(preview.locator('a[href="https://example.com/nvda"]')).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    steps.shot("preview")

    # Upload with the control: the snippet is inserted at the cursor (the end of the text).
    body = page.get_by_label("Body (Markdown)")
    body.press("End")
    page.locator(".markdown-tools input[type=file]").set_input_files(CHART)
    expect(page.locator(".upload-status")).to_have_text("Image added.")
    value = body.input_value()
    assert "![nvda q3](/media/" in value and value.startswith("**Beat and raise**"), value
    steps.shot("image-inserted")
    assert len(list(media_dir.iterdir())) == 1

    page.get_by_role("button", name="Publish").click()
    expect_flash(page, "Your post is live.")
    image = page.locator(".post .markdown img")
    expect(image).to_have_attribute("alt", "nvda q3")
    expect(image).to_have_attribute("loading", "lazy")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 640", arg=image.element_handle())
    steps.shot("post-with-image-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    width = image.evaluate("img => img.getBoundingClientRect().width")
    assert 0 < width <= 390, width
    steps.shot("post-with-image-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A fake image through the control: a clear message, nothing inserted.
    page.goto("/posts/new")
    page.locator(".markdown-tools input[type=file]").set_input_files(
        {"name": "chart.png", "mimeType": "image/png", "buffer": b"not an image at all"}
    )
    expect(page.locator(".upload-status")).to_have_text("That is not a PNG, JPEG, GIF or WebP image.")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("")


def without_javascript(browser, base_url, signed_in, steps: Steps) -> None:
    """The same member, JavaScript off: "Add an image" is a link to the upload page."""
    context = browser.new_context(base_url=base_url, java_script_enabled=False, storage_state=signed_in.storage_state())
    page = context.new_page()
    steps.page = page
    page.goto("/posts/new")
    expect(page.locator(".markdown-tools input[type=file]")).to_have_count(0)
    link = page.get_by_role("link", name="Add an image")
    expect(link).to_have_attribute("target", "_blank")  # a new tab: the draft stays where it is
    page.goto(link.get_attribute("href"))
    expect(page.locator("h1")).to_have_text("Upload an image")
    page.get_by_label("Image (PNG, JPEG, GIF or WebP, up to 5 MB)").set_input_files(CHART)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-snippet")).to_be_visible()
    snippet = page.locator("#upload-snippet").input_value()
    assert snippet.startswith("![nvda q3](/media/") and snippet.endswith(".webp)"), snippet
    steps.shot("upload-page-no-js")
    context.close()
