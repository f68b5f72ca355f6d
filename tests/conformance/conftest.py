"""Start every registered backend under its production server on its own copy
of one seeded PostgreSQL database, each behind a statement-counting proxy.

The copies are made with CREATE DATABASE … TEMPLATE, so every backend starts
from byte-identical data and the same write sequence produces the same ids.
The servers start once per session; ``backends`` (module scope) puts every
database back to the seed and empties the rate-limit counters before each
module, so the modules pass in any order.

Each writing backend also gets its own ``flask worker`` on its copy: the
notification fan-out is a background job (``LiveBackend.wait_for_jobs``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from finboard.core.seeding import seed
from finboard.registry import canonical, registered
from finboard.serving import RunningBackend, start_backend
from tests.conformance.pgproxy import CountingProxy
from tests.conformance.reseed import restore_from_template
from tests.databases import PG_ADMIN_DSN, first_post_author, postgres_database, require_redis
from tests.jobs_support import WorkerProcess, wait_until

SECRET = "conformance-secret-key-0123456789abcdef"
# Seeded rows are dated before this; rows the tests create are dated now.
SEED_ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
WORKERS = 2
# Each backend's rate-limit counters live in a Redis database of its own: 1..14
# (0 is the unit tests', 15 the browser tests' and the benchmark's).
RATE_LIMIT_REDIS_DB = 1
RATE_LIMIT_REDIS_DBS = 14


@dataclass
class LiveBackend:
    name: str
    read_only: bool
    server: RunningBackend
    proxy: CountingProxy
    client: httpx.Client
    server_database_dsn: str
    redis_url: str

    def wait_for_jobs(self, timeout: float = 30) -> None:
        """Until this backend's worker has run every queued job (its notifications are in)."""

        def drained() -> bool:
            with psycopg.connect(self.server_database_dsn, autocommit=True) as conn:
                pending = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                return conn.execute(pending).fetchone()[0] == 0

        wait_until(drained, timeout, f"{self.name}'s worker to drain its queue")

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.client.request(method, path, **kwargs)

    def statements(self, method: str, path: str, **kwargs) -> tuple[httpx.Response, int]:
        """Send a request and count the SQL statements it caused."""
        self.proxy.counter.reset()
        response = self.request(method, path, **kwargs)
        return response, self.proxy.counter.count


@pytest.fixture(scope="session")
def seeded_template():
    """A migrated database with deterministic seed data, used as a template."""
    with postgres_database("finboard_conf_tpl") as url:
        seed_conformance_data(url)
        yield url


def seed_conformance_data(url: str) -> None:
    """The seeded rows every case expects (90 posts, 240 comments, 12 users), the same on any database."""
    engine = create_engine(url)
    with Session(engine) as session:
        seed(session, users=12, posts=90, comments=240, seed=7, anchor=SEED_ANCHOR)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_author(seeded_template) -> str:
    """The username of the author of post 1 (for author filters)."""
    return first_post_author(seeded_template)


def _clone(template_url: str) -> tuple[str, str]:
    template = template_url.rsplit("/", 1)[1]
    name = f"finboard_conf_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name, template


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    """Where every backend writes uploaded images (content-addressed: they share the files)."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def started_backends(seeded_template, media_dir, tmp_path_factory) -> dict[str, LiveBackend]:
    """Every registered backend, started and healthy (a start failure fails the suite)."""
    require_redis()
    live: dict[str, LiveBackend] = {}
    workers: list[WorkerProcess] = []
    databases: list[str] = []
    log_dir = tmp_path_factory.mktemp("backend-logs")
    try:
        only = [canonical(n) for n in os.environ.get("CONFORMANCE_BACKENDS", "").split(",") if n]
        for index, backend in enumerate(registered().values()):
            if only and backend.name not in only:
                continue
            assert index < RATE_LIMIT_REDIS_DBS, f"more backends than Redis databases for them: {backend.name}"
            name, _ = _clone(seeded_template)
            # Rate-limit counters in a Redis database of this backend's own, emptied first.
            redis_url = f"redis://127.0.0.1:6379/{RATE_LIMIT_REDIS_DB + index}"
            redis.Redis.from_url(redis_url).flushdb()
            databases.append(name)
            proxy = CountingProxy().start()
            env = {
                "DATABASE_URL": f"postgresql+psycopg://root@127.0.0.1:{proxy.port}/{name}",
                "SECRET_KEY": SECRET,
                "FINBOARD_ENV": "production",
                "CACHE_ENABLED": "0",
                "REDIS_URL": redis_url,
                "JOBS_RUNNER": "queue",  # the fan-out runs in this backend's own worker (below)
                "DB_POOL_SIZE": "2",
                # Per-account login limits stay as shipped (they are tested);
                # per-IP ones are raised because every request here comes from one IP.
                "LOGIN_LIMIT_PER_IP": "1000/minute",
                "REGISTER_LIMIT_PER_IP": "1000/hour",
                "ACCOUNT_MAIL_LIMIT_PER_IP": "1000/hour",
                # Uploads (test_9_uploads.py): a small allowance, so its 429 is reached in a few steps.
                "MEDIA_DIR": str(media_dir),
                "UPLOADS_PER_HOUR": "5",
            }
            server = start_backend(backend, env=env, workers=WORKERS, log_dir=log_dir, timeout=60)
            client = httpx.Client(base_url=server.base_url, timeout=30)
            direct_dsn = f"postgresql://root@127.0.0.1:5432/{name}"
            if not backend.read_only:  # its jobs, on its own database, outside the statement counts
                log = log_dir / f"{backend.name}-worker.log"
                # One job at a time: six workers stay up for the whole session, and each job slot holds a
                # connection of the shared server (max_connections 100) that later modules need too.
                url = f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
                workers.append(WorkerProcess(url, "--concurrency", "1", log=log))
            live[backend.name] = LiveBackend(
                backend.name, backend.read_only, server, proxy, client, direct_dsn, redis_url
            )
        yield live
    finally:
        for worker in workers:
            worker.stop()
        for item in live.values():
            item.client.close()
            item.server.stop()
            item.proxy.stop()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for name in databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def backends(started_backends, seeded_template) -> dict[str, LiveBackend]:
    """The started backends, each database back to the seed and its rate-limit counters empty."""
    template_dsn = seeded_template.replace("postgresql+psycopg://", "postgresql://")
    for backend in started_backends.values():
        restore_from_template(template_dsn, backend.server_database_dsn)
        redis.Redis.from_url(backend.redis_url).flushdb()
    return started_backends


@pytest.fixture(scope="module")
def writable(backends) -> dict[str, LiveBackend]:
    """The backends that implement the write operations (all but read-only references like raw)."""
    return {name: b for name, b in backends.items() if not b.read_only}


def bearer_headers(backends: dict[str, LiveBackend], username: str, password: str) -> dict[str, dict[str, str]]:
    """Register ``username`` on every backend's database (if needed) and log in on each."""
    headers = {}
    for name, backend in backends.items():
        backend.request(
            "POST",
            "/api/v1/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": password},
        )
        response = backend.request("POST", "/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, (name, response.text)
        headers[name] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers
