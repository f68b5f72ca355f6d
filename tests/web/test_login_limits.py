"""One login limiter for the forum form, the Flask API, FastAPI and Django.

The account bucket is the user the login name resolves to (username or e-mail,
any case), so neither the spelling nor the endpoint buys more guesses; the IP
bucket spans every login endpoint; on Redis every backend shares the counters.
"""

from __future__ import annotations

import pytest

from finboard.contract.errors import http_error
from finboard.core.ratelimit import DEFAULT_KEY_PREFIX, AuthRateLimiter
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


def _forget_counters(redis_url: str, *patterns: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for pattern in patterns:
        for key in client.scan_iter(f"{DEFAULT_KEY_PREFIX}:*{pattern}*"):
            client.delete(key)


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_limits_are_shared_by_flask_fastapi_and_django_on_redis(app, client, auth, make, tmp_path):
    """Each backend as production configures it (REDIS_URL, the default key prefix): one account bucket."""
    import httpx
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app
    from finboard.ratelimits import EXTENSION
    from finboard.registry import get
    from finboard.serving import start_backend
    from tests.databases import TEST_REDIS_URL

    alice = make.user("alice")
    settings = app.config["FINBOARD_SETTINGS"].replace(
        database_url=app.config["SQLALCHEMY_DATABASE_URI"],
        redis_url=TEST_REDIS_URL,
        cache_enabled=False,
    )
    counters = (f"login-account/user:{alice}/", "login-ip/127.0.0.1/", "login-ip/testclient/")
    _forget_counters(TEST_REDIS_URL, *counters)
    app.extensions[EXTENSION] = AuthRateLimiter(settings)  # what create_app builds from REDIS_URL
    env = {
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
        "FINBOARD_ENV": "testing",
        "CACHE_ENABLED": "0",
        "REDIS_URL": TEST_REDIS_URL,
    }
    try:
        with (
            TestClient(create_app(settings)) as fastapi,
            start_backend(get("django-orm"), env=env, workers=1, log_dir=tmp_path, timeout=60) as server,
            httpx.Client(base_url=server.base_url, timeout=30) as django,
        ):
            assert fastapi.app.state.resources.limiter.shared
            assert [api_login(client, "alice", "wrong").status_code for _ in range(2)] == [401, 401]
            assert form_login(client, auth, "ALICE", "wrong").status_code == 422
            assert fastapi.post(API_LOGIN, json={"username": "Alice", "password": "wrong"}).status_code == 401
            assert django.post(API_LOGIN, json={"username": "ALICE@example.com", "password": "x"}).status_code == 401
            right = {"username": "alice", "password": TEST_PASSWORD}
            refused = [django.post(API_LOGIN, json=right), fastapi.post(API_LOGIN, json=right)]
            from_flask = api_login(client, "alice", TEST_PASSWORD)
            assert [r.status_code for r in refused] + [from_flask.status_code] == [429, 429, 429]
            expected = http_error(429).json().encode()
            assert [r.content for r in refused] + [from_flask.data] == [expected] * 3
    finally:
        _forget_counters(TEST_REDIS_URL, *counters)


def test_an_unreachable_redis_falls_back_to_limiting_in_memory(app):
    """Redis down: logins are still answered, and still limited (per process)."""
    limiter = AuthRateLimiter(app.config["FINBOARD_SETTINGS"], storage_uri="redis://127.0.0.1:1/0")
    assert limiter.shared
    assert [limiter.allow_login("10.0.0.1", "user:1") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.allow_login("10.0.0.1", "user:2")
