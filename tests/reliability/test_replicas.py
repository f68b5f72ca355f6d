"""Read replicas for real: every backend on a primary and a streaming standby (``tests/pg_standby.py``).

One throwaway primary (``tests.services.ThrowawayPostgres``, so nothing the shared
cluster is doing can make the standby lag, and no base backup of other tests'
databases), one ``pg_basebackup -R`` standby of it and one throwaway Redis (the
pins and the read cache) serve the module; every API backend runs under its real
server with ``DATABASE_REPLICA_URLS`` pointing at the standby.

Pausing the standby's replay makes it stale on purpose: a post another member
cannot see proves the reads come from the replica, and the writer seeing it at
once proves read-your-writes (the LSN pin in Redis). Past ``REPLICA_MAX_LAG`` the
paused replica serves nobody; stopped, it costs no request an error, and once
restarted it is back in rotation.
"""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from finboard.core.models import User
from finboard.core.security import create_access_token, hash_password
from finboard.core.seeding import seed
from finboard.registry import get, registered
from finboard.serving import start_backend
from finboard.settings import ConfigError, load_settings
from tests.databases import migrate
from tests.pg_standby import Standby
from tests.services import ThrowawayPostgres, ThrowawayRedis

SECRET = "replica-tests-secret-key-0123456789abcdef"
PASSWORD = "replica-pass-0123"
MAX_LAG = 2.0
CHECK_INTERVAL = 0.2
WRITERS = [b.name for b in registered().values() if not b.read_only]  # flask, fastapi, django x orm, sql
READERS = [b.name for b in registered().values() if b.read_only]  # wsgi-raw, asgi-raw


@dataclass
class Member:
    id: int
    username: str
    headers: dict[str, str]


@dataclass
class Cluster:
    primary: ThrowawayPostgres
    standby: Standby
    redis: ThrowawayRedis
    database_url: str
    writer: Member
    other: Member
    clients: dict[str, httpx.Client]

    def post(self, via: str, member: Member) -> tuple[int, str]:
        title = f"Replica check {uuid.uuid4().hex[:12]}"
        body = {"title": title, "body": "Is $SPY stale here?", "category": "stocks"}
        answer = self.clients[via].post("/api/v1/posts", json=body, headers=member.headers)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], title

    def replica_in_rotation(self) -> None:
        """The standby has replayed everything and every backend's health check has seen it."""
        self.standby.resume_replay()
        self.standby.wait_caught_up()
        time.sleep(3 * CHECK_INTERVAL)

    def wait_until_every_backend_reads_from_the_replica(self, timeout: float = 20) -> None:
        """Until a post made while replay is paused is missing for an anonymous reader everywhere."""
        deadline = time.monotonic() + timeout
        waiting = list(WRITERS + READERS)
        while waiting:
            assert time.monotonic() < deadline, f"{waiting} never read from the replica again"
            self.replica_in_rotation()
            self.standby.pause_replay()
            try:
                post_id, _ = self.post("flask-orm", self.writer)
                waiting = [n for n in waiting if self.clients[n].get(f"/api/v1/posts/{post_id}").status_code != 404]
            finally:
                self.standby.resume_replay()


def _member(engine, name: str) -> Member:
    with Session(engine) as session:
        user = User(
            username=name,
            email=f"{name}@example.com",
            password_hash=hash_password(PASSWORD),
            role="member",
            token_version=0,
        )
        session.add(user)
        session.commit()
        ident = user.id
    token = create_access_token(SECRET, ident, 0, 3600)
    return Member(ident, name, {"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    primary = ThrowawayPostgres()
    redis_server = ThrowawayRedis()
    standby = None
    servers = []
    try:
        url = primary.create_database("finboard")
        migrate(url)
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session, users=4, posts=6, comments=6, seed=5)
            session.commit()
        writer, other = _member(engine, "writer_w"), _member(engine, "reader_r")
        engine.dispose()
        standby = Standby(primary.admin_dsn)
        standby.wait_caught_up()
        env = {
            "DATABASE_URL": url,
            "DATABASE_REPLICA_URLS": standby.url("finboard"),
            "REPLICA_MAX_LAG": str(MAX_LAG),
            "REPLICA_CHECK_INTERVAL": str(CHECK_INTERVAL),
            "REDIS_URL": redis_server.url,
            "CACHE_ENABLED": "1",
            "SECRET_KEY": SECRET,
            "FINBOARD_ENV": "production",
            "JOBS_RUNNER": "embedded",
            "DB_POOL_SIZE": "2",
            "POSTS_PER_HOUR": "1000",
            "NEW_ACCOUNT_POSTS_PER_HOUR": "1000",
        }
        log_dir = tmp_path_factory.mktemp("replica-logs")
        with ThreadPoolExecutor(len(WRITERS + READERS)) as pool:
            started = pool.map(
                lambda name: start_backend(get(name), env=env, workers=1, log_dir=log_dir, timeout=60),
                WRITERS + READERS,
            )
            for server in started:
                servers.append(server)
        clients = {s.backend.name: httpx.Client(base_url=s.base_url, timeout=15) for s in servers}
        yield Cluster(primary, standby, redis_server, url, writer, other, clients)
        for client in clients.values():
            client.close()
    finally:
        with ThreadPoolExecutor(len(WRITERS + READERS)) as pool:
            list(pool.map(lambda server: server.stop(), servers))
        # The primary goes too, so the standby's slot need not be dropped: all three at once.
        with ThreadPoolExecutor(3) as pool:
            if standby is not None:
                pool.submit(standby.destroy, drop_slot=False)
            pool.submit(redis_server.destroy)
            pool.submit(primary.destroy)


def _listed(answer: httpx.Response) -> set[int]:
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


@pytest.mark.parametrize("backend", WRITERS)
def test_reads_come_from_the_replica_and_the_writer_sees_their_write_at_once(cluster, backend):
    client = cluster.clients[backend]
    cluster.replica_in_rotation()
    cluster.standby.pause_replay()
    try:
        post_id, title = cluster.post(backend, cluster.writer)
        # The writer, pinned to the primary: the post and the listing have it at once.
        mine = client.get(f"/api/v1/posts/{post_id}", headers=cluster.writer.headers)
        assert mine.status_code == 200 and mine.json()["title"] == title
        assert post_id in _listed(client.get("/api/v1/posts", headers=cluster.writer.headers))
        # Another member and an anonymous reader are served by the paused replica: not yet.
        assert client.get(f"/api/v1/posts/{post_id}", headers=cluster.other.headers).status_code == 404
        assert client.get(f"/api/v1/posts/{post_id}").status_code == 404
        assert post_id not in _listed(client.get("/api/v1/posts", headers=cluster.other.headers))
        # ...while the writer still reads their own write (the stale listing others built is not theirs).
        assert post_id in _listed(client.get("/api/v1/posts", headers=cluster.writer.headers))
    finally:
        cluster.standby.resume_replay()


def test_once_replayed_everyone_sees_the_write_within_the_bound(cluster):
    """A stale read cached from the paused replica lives at most REPLICA_MAX_LAG after the replay."""
    cluster.replica_in_rotation()
    cluster.standby.pause_replay()
    try:
        post_id, _ = cluster.post("flask-orm", cluster.writer)
        for name in WRITERS:  # each backend caches the stale listing for the other member
            assert post_id not in _listed(cluster.clients[name].get("/api/v1/posts", headers=cluster.other.headers))
    finally:
        cluster.standby.resume_replay()
    cluster.standby.wait_caught_up()
    replayed = time.monotonic()
    waiting = list(WRITERS)
    while waiting:
        waiting = [
            name
            for name in waiting
            if post_id not in _listed(cluster.clients[name].get("/api/v1/posts", headers=cluster.other.headers))
        ]
        assert not waiting or time.monotonic() - replayed < MAX_LAG + 1, f"still stale on {waiting}"
        time.sleep(0.1)


def _csrf(client: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).text).group(1)


@pytest.mark.parametrize("backend", ["flask-orm", "flask-sql"])
def test_a_forum_member_sees_their_post_on_the_pages_at_once(cluster, backend):
    """The forum's pages: the pin follows the signed session cookie's member."""
    base_url = cluster.clients[backend].base_url
    with httpx.Client(base_url=base_url) as member, httpx.Client(base_url=base_url) as anonymous:
        form = {"username": cluster.writer.username, "password": PASSWORD, "csrf_token": _csrf(member, "/auth/login")}
        assert member.post("/auth/login", data=form).status_code == 302
        cluster.replica_in_rotation()
        cluster.standby.pause_replay()
        try:
            title = f"Page check {uuid.uuid4().hex[:12]}"
            form = {
                "title": title,
                "body": "From a page.",
                "category": "stocks",
                "csrf_token": _csrf(member, "/posts/new"),
            }
            created = member.post("/posts/new", data=form)
            assert created.status_code == 302
            assert title in member.get(created.headers["location"]).text
            assert title in member.get("/").text
            assert title not in anonymous.get("/").text  # the paused replica's listing
        finally:
            cluster.standby.resume_replay()


def test_the_read_only_servers_read_from_the_replica(cluster):
    cluster.replica_in_rotation()
    cluster.standby.pause_replay()
    try:
        post_id, _ = cluster.post("flask-orm", cluster.writer)
        for name in READERS:
            assert cluster.clients[name].get(f"/api/v1/posts/{post_id}").status_code == 404, name
    finally:
        cluster.standby.resume_replay()


def test_a_replica_further_behind_than_the_max_lag_serves_nobody(cluster):
    cluster.replica_in_rotation()
    cluster.standby.pause_replay()
    try:
        post_id, title = cluster.post("django-orm", cluster.writer)
        assert cluster.clients["flask-orm"].get(f"/api/v1/posts/{post_id}").status_code == 404  # still in rotation
        time.sleep(MAX_LAG + 3 * CHECK_INTERVAL)
        for name in WRITERS + READERS:  # now out of rotation: the primary answers everyone
            answer = cluster.clients[name].get(f"/api/v1/posts/{post_id}", headers=cluster.other.headers)
            assert answer.status_code == 200 and answer.json()["title"] == title, name
    finally:
        cluster.standby.resume_replay()


def test_a_stopped_replica_costs_no_request_an_error_and_comes_back(cluster):
    cluster.replica_in_rotation()
    cluster.standby.stop("fast")
    try:
        # At once, before any health check has noticed: each read fails over to the primary.
        for name in WRITERS + READERS:
            client = cluster.clients[name]
            assert len(_listed(client.get("/api/v1/posts"))) > 0, name
            assert client.get("/api/v1/categories").status_code == 200, name
        post_id, title = cluster.post("fastapi-sql", cluster.writer)
        for name in WRITERS + READERS:
            answer = cluster.clients[name].get(f"/api/v1/posts/{post_id}", headers=cluster.other.headers)
            assert answer.status_code == 200 and answer.json()["title"] == title, name
    finally:
        cluster.standby.start()
    # Back: once seen healthy again (after the checks' backoff), every backend reads from it again.
    cluster.wait_until_every_backend_reads_from_the_replica()


def test_without_redis_a_writer_still_reads_their_write(cluster):
    """Pins unreadable: a member's reads count as pinned (the primary), never as unpinned."""
    cluster.replica_in_rotation()
    cluster.redis.stop()
    cluster.standby.pause_replay()
    try:
        for name in WRITERS:
            post_id, title = cluster.post(name, cluster.writer)
            mine = cluster.clients[name].get(f"/api/v1/posts/{post_id}", headers=cluster.writer.headers)
            assert mine.status_code == 200 and mine.json()["title"] == title, name
            assert cluster.clients[name].get(f"/api/v1/posts/{post_id}").status_code == 404, name  # anonymous: replica
    finally:
        cluster.standby.resume_replay()
        cluster.redis.start()


def test_replicas_need_postgres_and_redis():
    base = {"SECRET_KEY": SECRET, "DATABASE_REPLICA_URLS": "postgresql://root@127.0.0.1:5433/x"}
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL"):
        load_settings({**base, "DATABASE_URL": "sqlite:///x.sqlite3", "REDIS_URL": "redis://h"})
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URLS needs REDIS_URL"):
        load_settings({**base, "DATABASE_URL": "postgresql://root@127.0.0.1/x"})
    with pytest.raises(ConfigError, match="postgresql:// URLs only, not 'sqlite'"):
        load_settings({**base, "DATABASE_REPLICA_URLS": "sqlite:///r.sqlite3", "REDIS_URL": "redis://h"})
    with pytest.raises(ConfigError, match="not a database URL") as refused:
        load_settings({**base, "DATABASE_REPLICA_URLS": "postgresql://u:hunter2@r/x,not a url", "REDIS_URL": "r://"})
    assert "hunter2" not in str(refused.value)  # the URLs may hold passwords: never echoed
    both = load_settings(
        {
            **base,
            "DATABASE_URL": "postgresql://root@127.0.0.1/x",
            "REDIS_URL": "redis://h",
            "DATABASE_REPLICA_URLS": "postgres://a@r1/x, postgresql://b@r2:6000/x",
        }
    )
    assert both.replica_urls == ("postgresql+psycopg://a@r1/x", "postgresql+psycopg://b@r2:6000/x")
    assert both.replica_psycopg_dsns() == ("postgresql://a@r1/x", "postgresql://b@r2:6000/x")
