"""One login limiter for the forum form, the Flask API, FastAPI and Django.

The account bucket is the user the login name resolves to (username or e-mail,
any case), so neither the spelling nor the endpoint buys more guesses; the IP
bucket spans every login endpoint; on Redis every backend shares the counters.
"""

from __future__ import annotations

import dataclasses

import pytest

from finboard.core.api_contract import http_error
from finboard.core.ratelimit import AuthRateLimiter
from finboard.core.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.helpers import logged_in_as, text

API_LOGIN = "/api/v1/auth/login"
OTHER_IP = {"REMOTE_ADDR": "10.9.8.7"}


def form_login(client, auth, name, password, **kwargs):
    data = {"username": name, "password": password, "csrf_token": auth.csrf()}
    return client.post("/auth/login", data=data, **kwargs)


def api_login(client, name, password, **kwargs):
    return client.post(API_LOGIN, json={"username": name, "password": password}, **kwargs)


def test_five_failures_across_names_and_endpoints_exhaust_the_account(client, auth, make):
    make.user("alice")  # alice@example.com
    make.user("bob")
    failures = [
        form_login(client, auth, "alice", "wrong-1"),
        api_login(client, "ALICE@example.com", "wrong-2"),
        form_login(client, auth, " alice@EXAMPLE.com ", "wrong-3"),
        api_login(client, "Alice", "wrong-4"),
        form_login(client, auth, "aLiCe", "wrong-5"),
    ]
    assert [r.status_code for r in failures] == [422, 401, 422, 401, 422]
    # The right password, in every spelling, on every endpoint, from any IP: refused.
    refused = [
        api_login(client, "alice@example.com", TEST_PASSWORD),
        form_login(client, auth, "alice", TEST_PASSWORD),
        api_login(client, "ALICE", TEST_PASSWORD, environ_base=OTHER_IP),
        form_login(client, auth, "alice@example.com", TEST_PASSWORD, environ_base=OTHER_IP),
    ]
    assert [r.status_code for r in refused] == [429, 429, 429, 429]
    assert refused[0].data == http_error(429).json().encode()  # the bytes every backend answers
    assert "Too many attempts" in text(refused[1])
    assert logged_in_as(client) is None
    # Another account is untouched.
    assert api_login(client, "bob", TEST_PASSWORD).status_code == 200


def test_unknown_names_share_one_bucket_per_normalised_name(client, auth):
    statuses = [api_login(client, name, "x").status_code for name in ("ghost", "GHOST", " Ghost ", "gHost", "ghost")]
    assert statuses == [401] * 5
    assert form_login(client, auth, "Ghost", "x").status_code == 429
    assert api_login(client, "ghost2", "x").status_code == 401


def test_the_ip_limit_spans_the_form_and_the_api(client, auth, make):
    make.user("alice")
    for i in range(20):  # 20/minute per IP, each attempt on another account, half on each endpoint
        if i % 2:
            assert api_login(client, f"user{i}", "wrong").status_code == 401
        else:
            assert form_login(client, auth, f"user{i}", "wrong").status_code == 422
    assert api_login(client, "alice", TEST_PASSWORD).status_code == 429
    assert form_login(client, auth, "alice", TEST_PASSWORD).status_code == 429
    assert logged_in_as(client) is None
    # Refused by the IP bucket, those two did not use up alice's account allowance.
    assert api_login(client, "alice", TEST_PASSWORD, environ_base=OTHER_IP).status_code == 200
    assert form_login(client, auth, "alice", TEST_PASSWORD, environ_base=OTHER_IP).status_code == 302
    assert logged_in_as(client) == "alice"


def test_odd_login_names_are_counted_without_a_lookup(client, auth):
    """Malformed bodies, non-string names, NUL and overlong names: counted, never an error."""
    for body in (b"{", b'{"username": 5}', b'{"username": "a\\u0000b"}', ('{"username": "%s"}' % ("x" * 999)).encode()):
        response = client.post(API_LOGIN, data=body, content_type="application/json")
        assert response.status_code in (400, 422), (body, response.status_code)


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_limits_are_shared_between_the_flask_api_and_fastapi_on_redis(app, client, auth, make, redis_prefix):
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app
    from tests.databases import TEST_REDIS_URL

    make.user("alice")
    settings = Settings(
        database_url=app.config["SQLALCHEMY_DATABASE_URI"],
        redis_url=TEST_REDIS_URL,
        secret_key=app.config["SECRET_KEY"],
        environment="testing",
        cache_enabled=False,
    )
    with TestClient(create_app(settings)) as fastapi:
        # The same Redis keys as the Flask app's limiter (this run's prefix, see conftest).
        resources = fastapi.app.state.resources
        assert resources.limiter.shared
        prefix = app.config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"]
        fastapi.app.state.resources = dataclasses.replace(
            resources, limiter=AuthRateLimiter(settings, key_prefix=prefix)
        )
        assert [api_login(client, "alice", "wrong").status_code for _ in range(3)] == [401] * 3
        assert form_login(client, auth, "ALICE", "wrong").status_code == 422
        last = fastapi.post(API_LOGIN, json={"username": "alice@example.com", "password": "wrong"})
        assert last.status_code == 401  # the 5th failure, counted by FastAPI
        from_fastapi = fastapi.post(API_LOGIN, json={"username": "alice", "password": TEST_PASSWORD})
        from_flask = api_login(client, "alice", TEST_PASSWORD)
        assert (from_fastapi.status_code, from_flask.status_code) == (429, 429)
        assert from_fastapi.content == from_flask.data == http_error(429).json().encode()
