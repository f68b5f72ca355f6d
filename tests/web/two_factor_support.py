"""Enrolling a test member in two-factor login through the settings pages, and codes at chosen steps."""

from __future__ import annotations

import re
import time

import pyotp

from finboard.core.totp import STEP_SECONDS


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The TOTP code of the step ``offset_steps`` away from now (the server accepts -1, 0, +1)."""
    return pyotp.TOTP(secret).at(time.time() + offset_steps * STEP_SECONDS)


def csrf_of(html: str, prefix: str = "") -> str:
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', html)
    assert match, f"no {name}"
    return match.group(1)


def enrol(client) -> tuple[str, list[str]]:
    """Turn two-factor login on for the logged-in member: (secret, recovery codes).
    Confirms with the previous step's code, so the current and next steps stay unused."""
    page = client.get("/settings/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    done = client.post("/settings/two-factor", data={"code": code_at(secret, -1), "csrf_token": csrf_of(page)})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes
