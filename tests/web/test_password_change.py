"""Changing a password ends older sessions and older API tokens."""

from finboard.core.models import User
from finboard.core.security import verify_password
from tests.conftest import TEST_PASSWORD


def _change(client, auth, current, new, confirm=None):
    return client.post(
        "/auth/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": confirm or new,
            "csrf_token": auth.csrf("/auth/password"),
        },
    )


def test_password_change_revokes_old_tokens_and_sessions(app, client, make, auth):
    user_id = make.user("alice")
    auth.login()
    old_token = client.post("/api/v1/auth/login", json={"username": "alice", "password": TEST_PASSWORD}).json[
        "access_token"
    ]
    other_browser = app.test_client()
    other_browser.post(
        "/auth/login",
        data={"username": "alice", "password": TEST_PASSWORD, "csrf_token": _csrf(other_browser)},
    )
    assert b"Log out" in other_browser.get("/").data

    response = _change(client, auth, TEST_PASSWORD, "a-brand-new-pass")
    assert response.status_code == 302
    assert b"Password changed" in client.get("/").data  # this session survives

    user = make.get(User, user_id)
    assert user.token_version == 1 and verify_password(user.password_hash, "a-brand-new-pass")
    assert b"Log out" not in other_browser.get("/").data  # the other session ended
    revoked = client.post(
        "/api/v1/posts",
        json={"title": "Old token post", "body": "x", "category": "stocks"},
        headers={"Authorization": f"Bearer {old_token}"},
    )
    assert revoked.status_code == 401 and revoked.json["error"]["code"] == "unauthorized"


def test_wrong_current_password_changes_nothing(client, make, auth):
    user_id = make.user("alice")
    auth.login()
    response = _change(client, auth, "not-my-password", "a-brand-new-pass")
    assert response.status_code == 422
    assert b"That is not your current password." in response.data
    user = make.get(User, user_id)
    assert user.token_version == 0 and verify_password(user.password_hash, TEST_PASSWORD)


def test_short_or_mismatched_new_password_is_refused(client, make, auth):
    make.user("alice")
    auth.login()
    assert b"Between 8 and 128 characters." in _change(client, auth, TEST_PASSWORD, "short").data
    assert b"Passwords differ." in _change(client, auth, TEST_PASSWORD, "long-enough-1", "long-enough-2").data


def _csrf(client):
    import re

    html = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
