"""PostgreSQL and Redis go away under running backends; nobody gets a 500.

- PostgreSQL stops: requests get 503 (API error shape; an HTML page on the
  forum) and every backend serves again within 5 s of its return, with no
  restart of its own.
- Redis stops: every backend keeps answering from the database; when Redis
  returns, caching resumes.
"""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from tests.reliability.stack import running_stack

RECOVERY_LIMIT_S = 5.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("fault-logs")) as stack:
        yield stack


def uncached(path: str = "/api/v1/posts") -> str:
    """A request no cache can answer (a unique search term)."""
    return f"{path}?search=fault{uuid.uuid4().hex[:8]}"


def test_database_restart_gives_503_then_recovers(stack):
    clients = {name: stack.client(name) for name in stack.servers}
    for name, client in clients.items():
        assert client.get(uncached()).status_code == 200, name

    stack.postgres.stop("fast")
    try:
        for name, client in clients.items():
            for path in (uncached(), "/api/v1/posts/1", "/api/v1/healthz"):
                response = client.get(path)
                assert response.status_code == 503 or (path == "/api/v1/posts/1" and response.status_code == 200), (
                    name,
                    path,
                    response.status_code,
                    response.text[:300],
                )
                if response.status_code == 503:
                    assert response.json()["error"]["code"] == "service_unavailable", (name, path)
        if "flask-orm" in clients:
            page = clients["flask-orm"].get(uncached("/search").replace("search=", "q="))
            assert page.status_code == 503 and "text/html" in page.headers["content-type"]
            assert "Temporarily unavailable" in page.text and "Traceback" not in page.text
    finally:
        stack.postgres.start()
    restarted_at = time.monotonic()

    recovered = {}
    while len(recovered) < len(clients) and time.monotonic() - restarted_at < 30:
        for name, client in clients.items():
            if name not in recovered and client.get(uncached()).status_code == 200:
                recovered[name] = time.monotonic() - restarted_at
        time.sleep(0.1)
    assert set(recovered) == set(clients), f"never recovered: {set(clients) - set(recovered)}"
    slow = {name: round(t, 2) for name, t in recovered.items() if t > RECOVERY_LIMIT_S}
    assert not slow, f"recovered later than {RECOVERY_LIMIT_S}s: {slow}"
    for name, server in stack.servers.items():
        assert server.alive(), f"{name} died"


def test_redis_outage_degrades_to_uncached_reads(stack):
    clients = {name: stack.client(name) for name in stack.servers}
    cache = redis.Redis.from_url(stack.redis.url)
    for client in clients.values():
        client.get("/api/v1/posts?per_page=5")
    assert cache.get("finboard:content-generation") is not None  # caching is on

    stack.redis.stop()
    try:
        for name, client in clients.items():
            listing = client.get("/api/v1/posts?per_page=5")
            assert listing.status_code == 200 and len(listing.json()["items"]) == 5, (name, listing.text[:300])
            assert client.get(uncached()).status_code == 200, name
            login = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-password"})
            assert login.status_code == 401, (name, login.status_code)  # limiter fell back to memory
        if "flask-orm" in clients:
            assert clients["flask-orm"].get("/").status_code == 200
    finally:
        stack.redis.start()

    cache = redis.Redis.from_url(stack.redis.url)
    assert cache.dbsize() == 0  # a fresh, empty Redis
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not cache.keys("finboard:*"):
        for client in clients.values():
            client.get("/api/v1/posts?per_page=7")
        time.sleep(0.2)
    assert cache.get("finboard:content-generation") is not None, "caching did not resume"
    assert len(cache.keys("finboard:*")) > 1
