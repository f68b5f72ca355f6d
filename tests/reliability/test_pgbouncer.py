"""Every backend behind a real PgBouncer (Debian's, transaction pooling), and the job worker.

One PgBouncer (``tests.services.ThrowawayPgBouncer``: the README's ini, 4 server connections)
in front of a seeded database whose own TimeZone is not UTC, the Flask app, FastAPI and
Django on both data layers and the ``wsgi-raw`` ceiling started by their production servers
with ``DATABASE_URL`` on PgBouncer and ``DATABASE_PGBOUNCER=1``, no cache (every read goes to
the database). What must hold through transaction pooling:

- the installed PgBouncer really breaks psycopg's defaults (startup ``options``, prepared
  statements after five runs) — the hazard ``finboard.rawsql.connect`` answers;
- reads run many more than five times on every client connection, concurrently, answer
  the same bytes on every backend, with timestamps in UTC (the time zone PgBouncer replays);
- logins (API tokens, a forum session), writes, concurrent writes and identical concurrent
  writes behave as directly on PostgreSQL;
- the job queue end to end: a post through each backend, ``flask worker`` through PgBouncer
  alone (polling, no LISTEN) and on ``DATABASE_DIRECT_URL`` (LISTEN), its notifications;
- ``flask db upgrade`` goes to ``DATABASE_DIRECT_URL``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from finboard.bench.plan import WRITE_LIMITS
from finboard.core.seeding import seed
from finboard.registry import get
from finboard.serving import start_backend
from tests.databases import ROOT, postgres_database
from tests.jobs_support import WorkerProcess, wait_until
from tests.services import ThrowawayPgBouncer

pytestmark = pytest.mark.postgres

SECRET = "pgbouncer-secret-key-0123456789abcdef"
PASSWORD = "finboard-demo"
READERS = ("flask-orm", "flask-sql", "fastapi-orm", "fastapi-sql", "django-orm", "django-sql", "wsgi-raw")
WRITERS = ("flask-orm", "fastapi-orm", "django-orm")
FOLLOWERS = 300  # members following $PGB: the fan-out's audience
READ_CLIENTS = 3
READ_ROUNDS = 7  # every read, per client: over 5 runs on each connection of a worker


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="module")
def bounced(tmp_path_factory):
    """The database (direct URL), PgBouncer, the running servers by name, the seeded users."""
    logs = tmp_path_factory.mktemp("pgbouncer-logs")
    with postgres_database("finboard_pgb") as direct:
        engine = create_engine(direct)
        with Session(engine) as session:
            seed(session, users=8, posts=30, comments=60, seed=11)
            session.commit()
        engine.dispose()
        name = direct.rsplit("/", 1)[1]
        with psycopg.connect(_dsn(direct), autocommit=True) as conn:
            # A server default that is not UTC: a session that loses its time zone shows it.
            conn.execute(f"ALTER DATABASE \"{name}\" SET TimeZone = 'America/New_York'")
            conn.execute(
                "INSERT INTO users (username, email, password_hash, role, created_at) "
                "SELECT 'fan' || n, 'fan' || n || '@example.com', 'x', 'member', now() FROM generate_series(1, %s) n",
                (FOLLOWERS,),
            )
            conn.execute("INSERT INTO ticker_follows (user_id, ticker) SELECT id, 'PGB' FROM users WHERE id > 8")
            users = [r[0] for r in conn.execute("SELECT username FROM users WHERE id <= 8 ORDER BY id")]
        bouncer = ThrowawayPgBouncer(pool_size=4)
        env = {
            "DATABASE_URL": bouncer.url(name),
            "DATABASE_PGBOUNCER": "1",
            "DATABASE_DIRECT_URL": direct,
            "SECRET_KEY": SECRET,
            "FINBOARD_ENV": "production",
            "CACHE_ENABLED": "0",
            "DB_POOL_SIZE": "3",
            "LOGIN_LIMIT_PER_IP": "10000/minute",
            "LOGIN_LIMIT_PER_ACCOUNT": "10000/minute",
            **{limit: "1000000" for limit in WRITE_LIMITS},
        }
        servers = {}
        try:
            with ThreadPoolExecutor(len(READERS)) as pool:
                started = pool.map(
                    lambda n: start_backend(get(n), env=env, workers=2, log_dir=logs, timeout=90), READERS
                )
                servers = dict(zip(READERS, started, strict=True))
            yield {"direct": direct, "name": name, "bouncer": bouncer, "servers": servers, "users": users, "env": env}
        finally:
            with ThreadPoolExecutor(len(READERS)) as pool:
                list(pool.map(lambda server: server.stop(), servers.values()))
            bouncer.destroy()


def test_the_installed_pgbouncer_breaks_psycopgs_defaults(bounced):
    """Why DATABASE_PGBOUNCER exists: on this PgBouncer (1.18, no max_prepared_statements) psycopg's
    startup options are refused and its automatic prepared statements collide between clients."""
    dsn = bounced["bouncer"].dsn(bounced["name"])
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter: options"):
        psycopg.connect(dsn, options="-c TimeZone=UTC")

    def alternate(**kwargs) -> None:
        with psycopg.connect(dsn, autocommit=True, **kwargs) as a, psycopg.connect(dsn, autocommit=True, **kwargs) as b:
            for n in range(12):
                for conn in (a, b):
                    assert conn.execute("SELECT count(*) + %s FROM posts", (n,)).fetchone()[0] == 30 + n

    with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
        alternate()  # prepare_threshold=5: the second client prepares "_pg3_0" on the server the first did
    alternate(prepare_threshold=None)  # what finboard.rawsql.connect sets behind PgBouncer


def _read_paths(direct: str) -> list[str]:
    with psycopg.connect(_dsn(direct)) as conn:
        post_id = conn.execute("SELECT id FROM posts ORDER BY comment_count DESC, id LIMIT 1").fetchone()[0]
    return ["/api/v1/posts", f"/api/v1/posts/{post_id}", f"/api/v1/posts/{post_id}/comments", "/api/v1/categories"]


def test_repeated_concurrent_reads_agree_on_every_backend(bounced):
    paths = _read_paths(bounced["direct"])
    answers: dict[str, set[bytes]] = {path: set() for path in paths}
    lock = threading.Lock()
    for name in READERS:
        base_url = bounced["servers"][name].base_url

        def client(_: int, base_url=base_url, name=name) -> None:
            with httpx.Client(base_url=base_url, timeout=30) as http:
                for _round in range(READ_ROUNDS):
                    for path in paths:
                        response = http.get(path)
                        assert response.status_code == 200, (name, path, response.text)
                        with lock:
                            answers[path].add(response.content)

        with ThreadPoolExecutor(READ_CLIENTS) as pool:
            list(pool.map(client, range(READ_CLIENTS)))
    for path, bodies in answers.items():
        assert len(bodies) == 1, f"{path}: {len(bodies)} different answers across {READERS}"
    listing = httpx.get(bounced["servers"]["flask-orm"].base_url + paths[0]).json()
    stamps = [post["created_at"] for post in listing["items"]]
    assert stamps and all(stamp.endswith("Z") for stamp in stamps), stamps  # UTC, not the database's New York
    first = listing["items"][0]
    with psycopg.connect(_dsn(bounced["direct"])) as conn:
        stored = conn.execute(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM posts WHERE id = %s",
            (first["id"],),
        ).fetchone()[0]
    assert first["created_at"].startswith(stored), (first["created_at"], stored)  # the same instant, in UTC


def _login(base_url: str, username: str) -> str:
    response = httpx.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.mark.parametrize("backend", WRITERS)
def test_logins_and_concurrent_writes(bounced, backend):
    base_url = bounced["servers"][backend].base_url
    username = bounced["users"][1]
    tokens = [_login(base_url, name) for name in bounced["users"][:2]]
    bio = f"pooled through PgBouncer by {backend}"
    me = httpx.patch(f"{base_url}/api/v1/users/me", json={"bio": bio}, headers={"Authorization": f"Bearer {tokens[1]}"})
    assert me.status_code == 200 and (me.json()["username"], me.json()["bio"]) == (username, bio), me.text
    tag = f"bounced {backend}"
    barrier = threading.Barrier(8)

    def write(index: int) -> tuple[int, str]:
        title = f"{tag} {index} $BNC"
        headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
        barrier.wait()
        response = httpx.post(
            f"{base_url}/api/v1/posts", json={"title": title, "body": "pooled", "category": "stocks"}, headers=headers
        )
        return response.status_code, title

    def follow(_: int) -> int:
        barrier.wait()
        return httpx.put(
            f"{base_url}/api/v1/watchlist/BNC{backend[0].upper()}", headers={"Authorization": f"Bearer {tokens[1]}"}
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        posts = list(pool.map(write, range(8)))
    with ThreadPoolExecutor(8) as pool:
        follows = list(pool.map(follow, range(8)))
    assert [status for status, _ in posts] == [201] * 8, posts
    assert follows == [200] * 8, follows
    with psycopg.connect(_dsn(bounced["direct"])) as conn:
        titles = sorted(r[0] for r in conn.execute("SELECT title FROM posts WHERE title LIKE %s", (f"{tag} %",)))
        tags = conn.execute(
            "SELECT count(*) FROM post_cashtags c JOIN posts p ON p.id = c.post_id "
            "WHERE p.title LIKE %s AND c.ticker = 'BNC'",
            (f"{tag} %",),
        ).fetchone()[0]
        followed = conn.execute(
            "SELECT count(*) FROM ticker_follows f JOIN users u ON u.id = f.user_id "
            "WHERE u.username = %s AND f.ticker = %s",
            (username, f"BNC{backend[0].upper()}"),
        ).fetchone()[0]
        stored_bio = conn.execute("SELECT bio FROM users WHERE username = %s", (username,)).fetchone()[0]
        newest = conn.execute(
            "SELECT id, title FROM posts WHERE title LIKE %s ORDER BY id DESC LIMIT 1", (f"{tag} %",)
        ).fetchone()
    assert titles == sorted(title for _, title in posts)  # one row per 201
    assert tags == 8
    assert followed == 1  # eight identical follows: one row
    assert stored_bio == bio
    detail = httpx.get(f"{base_url}/api/v1/posts/{newest[0]}")  # the write, read back through PgBouncer
    assert detail.status_code == 200 and detail.json()["title"] == newest[1]


def test_a_forum_session_through_pgbouncer(bounced):
    username = bounced["users"][2]
    with httpx.Client(base_url=bounced["servers"]["flask-orm"].base_url) as browser:
        form = browser.get("/auth/login").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form).group(1)
        answer = browser.post("/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302
        for _ in range(8):  # the session's row is read on every request, on whichever server connection
            page = browser.get("/")
            assert username in page.text and "Log out" in page.text
    with psycopg.connect(_dsn(bounced["direct"])) as conn:
        sessions = conn.execute(
            "SELECT count(*) FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE u.username = %s", (username,)
        ).fetchone()[0]
    assert sessions == 1


def _post_on_pgb(bounced, backend: str, tag: str) -> int:
    base_url = bounced["servers"][backend].base_url
    token = _login(base_url, bounced["users"][0])
    mentioned = bounced["users"][3]
    response = httpx.post(
        f"{base_url}/api/v1/posts",
        json={"title": f"{tag} {backend} $PGB", "body": f"cc @{mentioned}", "category": "stocks"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _told(direct: str, post_id: int) -> dict[str, int]:
    with psycopg.connect(_dsn(direct)) as conn:
        rows = conn.execute(
            "SELECT kind, count(*), count(DISTINCT user_id) FROM notifications WHERE post_id = %s GROUP BY kind",
            (post_id,),
        ).fetchall()
    assert all(total == distinct for _, total, distinct in rows), rows  # nobody told twice
    return {kind: total for kind, total, _ in rows}


def _listeners(direct: str, name: str) -> int:
    with psycopg.connect(_dsn(direct)) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query LIKE 'LISTEN %%'", (name,)
        ).fetchone()[0]


@pytest.mark.parametrize("mode", ["polling through PgBouncer", "listening on DATABASE_DIRECT_URL"])
def test_jobs_from_every_backend_reach_their_audience(bounced, mode, tmp_path):
    env = dict(bounced["env"])
    if mode.startswith("polling"):
        env.pop("DATABASE_DIRECT_URL")
    log = tmp_path / "worker.log"
    worker = WorkerProcess(env["DATABASE_URL"], log=log, env=env)
    try:
        posts = [_post_on_pgb(bounced, backend, mode) for backend in WRITERS]

        def all_told() -> bool:
            return all(_told(bounced["direct"], post).get("ticker", 0) == FOLLOWERS for post in posts)

        wait_until(all_told, 30, f"the notifications of {len(posts)} posts ({mode}); worker log: {log}")
        listeners = _listeners(bounced["direct"], bounced["name"])
    finally:
        worker.stop()
    for post in posts:
        assert _told(bounced["direct"], post) == {"mention": 1, "ticker": FOLLOWERS}, log.read_text()
    assert listeners == (0 if mode.startswith("polling") else 1), listeners
    assert "Traceback" not in log.read_text(), log.read_text()


def test_flask_db_upgrade_goes_to_the_direct_url(bounced):
    """Migrations run on DATABASE_DIRECT_URL: here DATABASE_URL names, through PgBouncer, a database
    that does not exist, so an upgrade that went that way would fail."""
    env = {
        **os.environ,
        **bounced["env"],
        "DATABASE_URL": bounced["bouncer"].url(f"{bounced['name']}_missing"),
        "FLASK_APP": "wsgi",
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with psycopg.connect(_dsn(bounced["direct"])) as conn:
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert head == ScriptDirectory.from_config(Config(str(ROOT / "migrations" / "alembic.ini"))).get_current_head()
