"""The embedded default, for real: each writing backend's server on SQLite with nothing else
installed (no Redis, no worker) tells a mentioned member and a ticker follower of a new post,
and the post's author of a comment, by the time the write has answered."""

from __future__ import annotations

import httpx
import pytest

from finboard.registry import get
from finboard.serving import start_backend
from tests.databases import sqlite_database
from tests.jobs_support import SECRET

PASSWORD = "embedded-pass-1"


def _login(client: httpx.Client, name: str) -> dict[str, str]:
    account = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert client.post("/api/v1/auth/register", json=account).status_code == 201
    response = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize("backend", ["flask", "fastapi", "django"])
def test_jobs_run_after_commit_on_sqlite(backend, tmp_path):
    with sqlite_database(tmp_path) as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": "", "JOBS_RUNNER": "", "CACHE_ENABLED": "0"}
        server = start_backend(get(backend), env=env, workers=1, log_dir=tmp_path, timeout=60)
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                ann, bob, cat = (_login(client, name) for name in ("ann_e", "bob_e", "cat_e"))
                assert client.put("/api/v1/watchlist/TSLA", headers=cat).status_code == 200
                post = {"title": "On $TSLA", "body": "cc @bob_e", "category": "stocks"}
                created = client.post("/api/v1/posts", json=post, headers=ann)
                assert created.status_code == 201, created.text
                post_id = created.json()["id"]
                reply = client.post(f"/api/v1/posts/{post_id}/comments", json={"body": "Agreed."}, headers=bob)
                assert reply.status_code == 201, reply.text

                def told(headers) -> list[tuple[str, str, str | None]]:
                    items = client.get("/api/v1/notifications", headers=headers).json()["items"]
                    return [(n["kind"], n["actor"]["username"], n["ticker"]) for n in items]

                assert told(bob) == [("mention", "ann_e", None)]
                assert told(cat) == [("ticker", "ann_e", "TSLA")]
                assert told(ann) == [("reply", "bob_e", None)]
        finally:
            server.stop()
