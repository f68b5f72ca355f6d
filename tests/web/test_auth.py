"""Registration, login (rate limits, safe ``next``), logout and login-required redirects."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from finboard.core.models import User
from finboard.core.security import verify_password
from finboard.extensions import db
from finboard.redirects import safe_next_url
from tests.conftest import TEST_PASSWORD
from tests.helpers import field_error, flashes, form_value, location_path, logged_in_as, next_param, text

NEW_PASSWORD = "long-enough-pw-1"
VALID = {"username": "carol", "email": "carol@example.com", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def register(client, auth, **changes):
    data = {**VALID, **changes, "csrf_token": auth.csrf("/auth/register")}
    return client.post("/auth/register", data=data)


def users(make) -> list[User]:
    with make.app.app_context():
        return list(db.session.scalars(db.select(User).order_by(User.id)))


# --- register -----------------------------------------------------------------


def test_register_page_has_every_field(client):
    response = client.get("/auth/register")
    assert response.status_code == 200
    for name in ("username", "email", "password", "confirm", "csrf_token"):
        assert form_value(response, name) is not None, name
    assert "Create your account" in text(response)


def test_register_creates_the_account_and_logs_in(client, auth, make):
    response = register(client, auth, email="Carol@Example.COM")
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert flashes(client.get("/")) == ["Welcome to FinBoard, carol!"]
    assert logged_in_as(client) == "carol"
    [user] = users(make)
    assert (user.username, user.email, user.role) == ("carol", "carol@example.com", "member")
    assert user.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": ""}, "username", "Choose a username."),
        ({"username": "ab"}, "username", "3–32 letters, digits or underscores."),
        ({"username": "x" * 33}, "username", "At most 32 characters."),
        ({"username": "x" * 5000}, "username", "At most 32 characters."),
        ({"username": "two words"}, "username", "3–32 letters, digits or underscores."),
        ({"username": "<script>alert(1)</script>"}, "username", "3–32 letters, digits or underscores."),
        ({"username": "robert'); DROP TABLE users;--"}, "username", "3–32 letters, digits or underscores."),
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "a" * 250 + "@example.com"}, "email", "At most 254 characters."),
        ({"password": "short", "confirm": "short"}, "password", "Between 8 and 128 characters."),
        ({"password": "p" * 129, "confirm": "p" * 129}, "password", "Between 8 and 128 characters."),
        ({"password": ""}, "password", "Choose a password."),
        ({"confirm": "something-else-1"}, "confirm", "Passwords differ."),
        ({"confirm": ""}, "confirm", "Repeat your password."),
    ],
)
def test_register_rejects_bad_input_and_stores_nothing(client, auth, make, changes, field, message):
    response = register(client, auth, **changes)
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert flashes(response) == []
    assert make.count(User) == 0
    assert logged_in_as(client) is None


def test_register_keeps_input_escaped_but_never_echoes_passwords(client, auth, make):
    hostile = '"><script>alert(1)</script>'
    response = register(client, auth, username=hostile, password="secret-typed-1", confirm="other-typed-1")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert form_value(response, "username") == hostile  # kept, as text
    assert form_value(response, "email") == VALID["email"]
    assert "secret-typed-1" not in page and "other-typed-1" not in page
    assert make.count(User) == 0


def test_register_refuses_a_taken_username(client, auth, make):
    make.user("alice")
    response = register(client, auth, username="ALICE", email="new@example.com")
    assert response.status_code == 422
    assert field_error(response, "username") == "That username is taken."
    assert field_error(response, "email") is None
    assert [u.username for u in users(make)] == ["alice"]


def _signed_up_home(app, auth, username: str, email: str) -> tuple:
    """A sign-up in a browser of its own: its answer, and its home page with the name and address blanked."""
    browser = app.test_client()
    answer = register(browser, type(auth)(browser), username=username, email=email)
    home = browser.get("/").get_data(as_text=True)
    home = re.sub(r'(value|nonce)="[^"]{20,}"', r'\1="<per-session>"', home)  # CSRF tokens, CSP nonces
    for own in (email.lower(), username):
        home = home.replace(own, "<own>")
    return (answer.status_code, answer.location, answer.get_data()), home


@pytest.mark.parametrize("owned", [False, True], ids=["unconfirmed", "confirmed"])
def test_a_taken_address_gets_the_same_answer_and_page_as_a_fresh_one(app, auth, make, owned):
    """Issue 17: the sign-up page tells nobody whether an address has an account. The newcomer
    is signed in at once with an unconfirmed account (its banner and allowance)."""
    make.user("alice", verified=owned)
    fresh = _signed_up_home(app, auth, "carol", "carol@example.com")
    taken = _signed_up_home(app, auth, "dave", "ALICE@example.com")
    assert taken == fresh
    assert fresh[0][:2] == (302, "/") and "Please confirm your email address" in fresh[1]
    rows = {u.username: (u.email, u.email_verified_at is not None) for u in users(make)}
    assert rows == {
        "alice": ("alice@example.com", owned),
        "carol": ("carol@example.com", False),
        "dave": ("alice@example.com", False),
    }


def test_register_without_csrf_token_is_refused(client, make):
    response = client.post("/auth/register", data=VALID)
    assert response.status_code == 400
    assert "The form expired or was not sent from FinBoard" in text(response)
    assert make.count(User) == 0


def test_register_page_sends_a_logged_in_user_home(client, auth, make):
    make.user("alice")
    auth.login()
    response = client.get("/auth/register")
    assert response.status_code == 302 and location_path(response) == "/"


def test_register_is_rate_limited_per_ip(client, auth, make):
    token = auth.csrf("/auth/register")
    for _ in range(10):  # 10/hour; refused attempts count too
        assert client.post("/auth/register", data={"username": "", "csrf_token": token}).status_code == 422
    response = client.post("/auth/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 429
    assert "Slow down" in text(response) and "Too many attempts" in text(response)
    assert make.count(User) == 0


# --- login ----------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert form_value(response, "username") == "" and form_value(response, "password") == ""
    assert "Log in" in text(response)


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.com", "Alice@Example.com"])
def test_login_by_username_or_email(client, auth, make, login):
    make.user("alice")
    response = auth.login(login)
    assert response.status_code == 302 and location_path(response) == "/"
    assert flashes(client.get("/")) == ["Logged in as alice."]
    assert logged_in_as(client) == "alice"


@pytest.mark.parametrize(
    ("username", "password", "field", "message"),
    [
        ("alice", "wrong-password", "password", "Unknown username or wrong password."),
        ("nobody", TEST_PASSWORD, "password", "Unknown username or wrong password."),
        ("nobody@example.com", TEST_PASSWORD, "password", "Unknown username or wrong password."),
        ("", TEST_PASSWORD, "username", "Enter your username or email."),
        ("alice", "", "password", "Enter your password."),
        ("a" * 255, TEST_PASSWORD, "username", "Field cannot be longer than 254 characters."),
        ("alice' OR '1'='1", "' OR '1'='1", "password", "Unknown username or wrong password."),
    ],
)
def test_login_refuses_bad_credentials(client, auth, make, username, password, field, message):
    make.user("alice")
    response = auth.login(username, password)
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert form_value(response, "password") == ""  # never echoed back
    assert logged_in_as(client) is None


def test_login_without_csrf_token_is_refused(client, make):
    make.user("alice")
    response = client.post("/auth/login", data={"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Reload the page and try again" in text(response)
    assert logged_in_as(client) is None


def test_login_page_sends_a_logged_in_user_home(client, auth, make):
    make.user("alice")
    auth.login()
    response = client.get("/auth/login")
    assert response.status_code == 302 and location_path(response) == "/"


@pytest.mark.parametrize("target", ["/posts/new", "/search?q=nvda&sort=old", "/u/alice"])
def test_login_follows_next_within_the_site(client, auth, make, target):
    make.user("alice")
    response = auth.login(next_url=target)
    assert response.status_code == 302
    assert location_path(response) == target


HOSTILE_NEXT = [
    "//evil.com",
    "//evil.com/posts/new",
    "https://evil.com",
    "http://evil.com/auth/login",
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "http:/evil.com",
    "///evil.com",
    "evil.com",
    "",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_url_refuses_everything_off_site(target):
    assert safe_next_url(target) is None


@pytest.mark.parametrize("target", ["/", "/posts/12", "/search?q=a&cashtag=NVDA", "/u/alice#top"])
def test_safe_next_url_keeps_paths_on_the_site(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil", "javascript:alert(1)", "/\t/evil.com"])
def test_login_refuses_next_outside_the_site(client, auth, make, target):
    make.user("alice")
    response = auth.login(next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert flashes(client.get("/")) == ["Logged in as alice."]
    assert logged_in_as(client) == "alice"


def test_login_is_rate_limited_per_account(client, auth, make):
    make.user("alice")
    make.user("bob")
    for _ in range(5):  # 5/minute per account
        assert auth.login("alice", "wrong-password").status_code == 422
    response = auth.login("ALICE")  # the right password, same account in another spelling
    assert response.status_code == 429
    assert "Slow down" in text(response)
    assert logged_in_as(client) is None
    # Another IP is refused for that account too; another account is still fine.
    other_ip = {"REMOTE_ADDR": "10.9.8.7"}
    token = auth.csrf()
    data = {"username": "alice", "password": TEST_PASSWORD, "csrf_token": token}
    assert client.post("/auth/login", data=data, environ_base=other_ip).status_code == 429
    assert auth.login("bob").status_code == 302
    assert logged_in_as(client) == "bob"


def test_login_is_rate_limited_per_ip(client, auth, make):
    make.user("alice")
    token = auth.csrf()
    for i in range(20):  # 20/minute per IP, each attempt on a different account
        response = client.post("/auth/login", data={"username": f"user{i}", "password": "", "csrf_token": token})
        assert response.status_code == 422
    response = auth.login("alice")
    assert response.status_code == 429
    assert "Too many attempts. Wait a minute and try again." in text(response)
    assert logged_in_as(client) is None
    data = {"username": "alice", "password": TEST_PASSWORD, "csrf_token": token}
    response = client.post("/auth/login", data=data, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302
    assert logged_in_as(client) == "alice"


def test_session_ends_when_token_version_changes(client, auth, make):
    alice = make.user("alice")
    auth.login()
    assert logged_in_as(client) == "alice"
    with make.app.app_context():
        db.session.execute(update(User).where(User.id == alice).values(token_version=User.token_version + 1))
        db.session.commit()
    assert logged_in_as(client) is None


# --- logout ---------------------------------------------------------------------


def test_logout(client, auth, make):
    make.user("alice")
    auth.login()
    client.get("/")  # consume the login flash
    response = auth.logout()
    assert response.status_code == 302 and location_path(response) == "/"
    assert flashes(client.get("/")) == ["You have been logged out."]
    assert logged_in_as(client) is None
    assert make.count(User) == 1


def test_logout_needs_post_and_csrf(client, auth, make):
    make.user("alice")
    auth.login()
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "Not allowed" in text(response)
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert logged_in_as(client) == "alice"


def test_logout_when_anonymous_redirects_to_login(client, auth):
    response = client.post("/auth/logout", data={"csrf_token": auth.csrf()})
    assert response.status_code == 302
    assert location_path(response).startswith("/auth/login")


# --- login-required pages -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/posts/new"),
        ("post", "/posts/new"),
        ("get", "/posts/1/edit"),
        ("post", "/posts/1/edit"),
        ("post", "/posts/1/delete"),
        ("post", "/posts/1/comments"),
        ("post", "/comments/1/delete"),
    ],
)
def test_login_required_pages_redirect_anonymous_users(client, auth, make, method, path):
    alice = make.user("alice")
    post = make.post(alice)
    make.comment(post, alice)
    data = {"csrf_token": auth.csrf(), "title": "Changed", "body": "Changed", "category": "crypto"}
    response = getattr(client, method)(path, data=data if method == "post" else None)
    assert response.status_code == 302
    assert location_path(response).startswith("/auth/login?")
    assert next_param(response) == path
    assert flashes(client.get("/auth/login")) == ["Please log in to continue."]
    # Nothing changed.
    from finboard.core.models import Comment, Post

    assert make.count(Post) == 1 and make.count(Comment) == 1
    assert make.get(Post, post).title == "Why $AAPL still matters"


def test_login_redirect_round_trip(client, auth, make):
    make.user("alice")
    response = client.get("/posts/new")
    login_url = location_path(response)
    response = client.post(
        login_url, data={"username": "alice", "password": TEST_PASSWORD, "csrf_token": auth.csrf(login_url)}
    )
    assert response.status_code == 302 and location_path(response) == "/posts/new"
    assert client.get("/posts/new").status_code == 200


def test_header_login_link_remembers_the_page(client, make):
    alice = make.user("alice")
    post = make.post(alice)
    page = client.get(f"/posts/{post}").get_data(as_text=True)
    assert f'href="/auth/login?next=/posts/{post}"' in page or f'href="/auth/login?next=%2Fposts%2F{post}"' in page
