"""A seeded board (PostgreSQL or SQLite) with real backend servers on it, for the race suites.

One database per kind, migrated and seeded once; every backend under test runs
its production server (gunicorn, several workers) on that same database, so a
burst of identical requests really runs in parallel processes. Accounts are
made straight in the database and their API tokens minted with the servers'
secret (a password hash per account would cost more than the tests).

The invariants every burst and every stateful step must leave true are here
too (``Board.assert_consistent``): counters equal a rebuild, every post's
``comment_count`` is its number of visible comments, no duplicate open
report, every visible post has exactly its cashtag rows and a hidden one none.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from finboard.core import counters
from finboard.core.models import User
from finboard.core.security import create_access_token, hash_password
from finboard.core.seeding import seed
from finboard.registry import Backend, get, registered
from finboard.serving import RunningBackend, start_backend
from tests.databases import postgres_database, require_postgres, sqlite_database

SECRET = "race-suite-secret-key-0123456789abcdef"
PASSWORD = "race-password-1"
WORKERS = 3
NEW_ACCOUNT_POSTS = 3
NEW_ACCOUNT_COMMENTS = 3
DATABASES = ("postgres", "sqlite")


def api_backends() -> list[Backend]:
    """Every registered backend that writes, once per framework: the ``-orm`` entries.

    Not the read-only ceilings, nor the ``-sql`` twins: their writes are their
    ``-orm`` twin's code (and they refuse SQLite).
    """
    return [b for b in registered().values() if not b.read_only and b.data_layer != "sql"]


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# One client for every request of the suites (thread-safe; making a client costs ~0.1 s).
# No idle keep-alive connections: a server being stopped has none open to wait for.
HTTP = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=100, max_keepalive_connections=0))


def burst(base_url: str, n: int, method: str, path: str, **kwargs) -> list[httpx.Response]:
    """Send the same request ``n`` times at once: the requests are built first, then one
    thread each sends its own, all released together by a barrier."""
    barrier = threading.Barrier(n)
    requests = [HTTP.build_request(method, base_url + path, **kwargs) for _ in range(n)]

    def send(request: httpx.Request) -> httpx.Response:
        barrier.wait()
        return HTTP.send(request)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(send, requests))


def burst_paths(base_url: str, method: str, paths: list[str], **kwargs) -> list[httpx.Response]:
    """Like :func:`burst`, one request per path: N different requests of one kind at once."""
    barrier = threading.Barrier(len(paths))
    requests = [HTTP.build_request(method, base_url + path, **kwargs) for path in paths]

    def send(request: httpx.Request) -> httpx.Response:
        barrier.wait()
        return HTTP.send(request)

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(send, requests))


@dataclass
class Board:
    kind: str
    url: str
    engine: Engine
    log_dir: Path
    password_hash: str
    servers: dict[str, RunningBackend] = field(default_factory=dict)

    # --- servers -------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url,
            "REDIS_URL": "",  # per-process limits and no cache: nothing shared but the database
            "CACHE_ENABLED": "0",
            # Notifications are read right after the writes that make them: jobs run after each
            # commit in the server (the queue and its worker are tests/reliability/test_jobs_worker.py's).
            "JOBS_RUNNER": "embedded",
            "SECRET_KEY": SECRET,
            "FINBOARD_ENV": "production",
            "DB_POOL_SIZE": "3",
            "LOGIN_LIMIT_PER_IP": "100000/minute",
            "LOGIN_LIMIT_PER_ACCOUNT": "100000/minute",
            "REGISTER_LIMIT_PER_IP": "100000/hour",
            "POSTS_PER_HOUR": "100000",
            "COMMENTS_PER_HOUR": "100000",
            "NEW_ACCOUNT_POSTS_PER_HOUR": str(NEW_ACCOUNT_POSTS),
            "NEW_ACCOUNT_COMMENTS_PER_HOUR": str(NEW_ACCOUNT_COMMENTS),
            "NEW_ACCOUNT_HOURS": "24",
        }

    def server(self, name: str) -> RunningBackend:
        if name not in self.servers or not self.servers[name].alive():
            backend = get(name)
            self.servers[name] = start_backend(
                backend, env=self.env(), workers=WORKERS, log_dir=self.log_dir, timeout=60
            )
        return self.servers[name]

    def stop(self, name: str) -> None:
        server = self.servers.pop(name, None)
        if server is not None:
            server.stop()

    def stop_all(self) -> None:
        for name in list(self.servers):
            self.stop(name)

    # --- accounts ------------------------------------------------------------

    def account(self, role: str = "member", new: bool = False, prefix: str = "u") -> Account:
        """A fresh account (``new``: younger than a day, so on the smaller hourly allowance)."""
        username = f"{prefix}{uuid.uuid4().hex[:10]}"
        created = datetime.now(UTC) - (timedelta(minutes=5) if new else timedelta(days=30))
        with Session(self.engine) as session:
            user = User(
                username=username,
                email=f"{username}@example.com",
                password_hash=self.password_hash,
                role=role,
                token_version=0,
                created_at=created,
                email_verified_at=created,  # confirmed: the allowance depends on the age alone
            )
            session.add(user)
            session.commit()
            ident = user.id
        return Account(ident, username, create_access_token(SECRET, ident, 0, 3600))

    # --- reading the database -------------------------------------------------

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def log_entries(self, target_type: str, target_id: int, action: str) -> int:
        return self.scalar(
            "SELECT count(*) FROM moderation_actions WHERE target_type = :t AND target_id = :i AND action = :a",
            t=target_type,
            i=target_id,
            a=action,
        )

    def assert_consistent(self, where: str) -> None:
        """The invariants no sequence of requests, concurrent or not, may break."""
        with self.engine.begin() as conn:
            kept = counters.snapshot(conn)
            counters.rebuild(conn)
            rebuilt = counters.snapshot(conn)
            conn.rollback()
        if kept != rebuilt:
            diff = {
                name: {"stored": sorted(kept[name] - rebuilt[name]), "rebuilt": sorted(rebuilt[name] - kept[name])}
                for name in kept
                if kept[name] != rebuilt[name]
            }
            raise AssertionError(f"{where}: counters differ from a rebuild: {diff}")
        wrong = self.rows(
            "SELECT p.id, p.comment_count, count(c.id) FROM posts p "
            "LEFT JOIN comments c ON c.post_id = p.id AND c.hidden_at IS NULL "
            "GROUP BY p.id, p.comment_count HAVING p.comment_count <> count(c.id)"
        )
        assert not wrong, f"{where}: posts.comment_count is not the visible comments (id, stored, real): {wrong}"
        duplicates = self.rows(
            # Targets that still exist: a deleted one leaves its reports with the id nulled.
            "SELECT reporter_id, post_id, comment_id, target_type, count(*) FROM reports "
            "WHERE status = 'open' AND post_id IS NOT NULL AND (target_type = 'post' OR comment_id IS NOT NULL) "
            "GROUP BY reporter_id, post_id, comment_id, target_type HAVING count(*) > 1"
        )
        assert not duplicates, f"{where}: one member has several open reports on one target: {duplicates}"
        hidden_tagged = self.rows(
            "SELECT DISTINCT t.post_id FROM post_cashtags t JOIN posts p ON p.id = t.post_id "
            "WHERE p.hidden_at IS NOT NULL"
        )
        assert not hidden_tagged, f"{where}: hidden posts keep cashtag rows: {hidden_tagged}"
        orphans = self.scalar(
            "SELECT count(*) FROM post_cashtags t LEFT JOIN posts p ON p.id = t.post_id WHERE p.id IS NULL"
        )
        assert orphans == 0, f"{where}: {orphans} cashtag rows of deleted posts"

    def repair(self) -> None:
        """Undo what a race broke (between tests, so each one starts from a consistent board)."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE posts SET comment_count = (SELECT count(*) FROM comments c "
                    "WHERE c.post_id = posts.id AND c.hidden_at IS NULL) WHERE comment_count <> "
                    "(SELECT count(*) FROM comments c WHERE c.post_id = posts.id AND c.hidden_at IS NULL)"
                )
            )
            conn.execute(
                text(
                    "DELETE FROM post_cashtags WHERE post_id IN (SELECT id FROM posts WHERE hidden_at IS NOT NULL) "
                    "OR post_id NOT IN (SELECT id FROM posts)"
                )
            )
            conn.execute(
                text(
                    "UPDATE reports SET status = 'resolved' WHERE status = 'open' AND id NOT IN "
                    "(SELECT min(id) FROM reports WHERE status = 'open' GROUP BY reporter_id, post_id, comment_id)"
                )
            )
            counters.rebuild(conn)


@contextmanager
def seeded_board(kind: str, directory: Path):
    """A migrated, seeded database of ``kind`` ("postgres" or "sqlite"); servers stopped and dropped after."""
    if kind == "postgres":
        require_postgres()  # fails loudly, never skips
        database = postgres_database("finboard_race")
    else:
        database = sqlite_database(directory)
    with database as url:
        engine = create_engine(url)
        board = None
        try:
            with Session(engine) as session:
                seed(session, users=6, posts=20, comments=40, seed=15)
                session.commit()
            board = Board(kind, url, engine, directory, hash_password(PASSWORD))
            yield board
        finally:
            if board is not None:
                board.stop_all()
            engine.dispose()
