"""Issue 16's fan-out table after migration 0012 and split audiences: answer, delay, worker memory.

The method of ../2026-12-07-fanout (the "before"): ``POST /api/v1/posts`` mentioning a
ticker that N members follow, one server worker per backend, PostgreSQL, two times per
post: the **answer** (the request's wall time) and **visible** (from sending the request
until all N notifications are committed). One change: "visible" is now the moment the
post's last job is marked done (the queue polled every 10 ms, then the N rows counted once
to check), because a split fan-out commits its ranges one by one and counting up to
1,000,000 rows every 10 ms would itself keep a core busy. A job commits its rows before it
is marked done, so this is an upper bound of the old measure. One ``flask worker`` process
(``JOBS_CONCURRENCY``, default 4 jobs at once; ``JOBS_FANOUT_CHUNK``, default 20,000) runs
the jobs; its **peak RSS** is sampled every 20 ms with psutil over a backend's whole
series, and the machine's **load average** (1 min) is read at every post.

Each backend gets its own fresh database (migrated; N followers are added between sizes
with one set-based INSERT), posts are sent one after the other and each waits for its
notifications before the next. Medians over POSTS posts per size.

    flock /tmp/finboard-bench.lock python docs/benchmarks/2026-12-07-fanout-1m/fanout.py [SIZES] [POSTS]
    # SIZES defaults to 0,1000,10000,100000; POSTS to 5; FANOUT_BACKENDS=flask,fastapi,django.
    # Writes results.json beside this file (results-<largest size>.json above 100,000), after each backend;
    # FANOUT_OUT=name.json names it instead.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil
import psycopg
from alembic import command
from alembic.config import Config

from finboard.registry import get
from finboard.serving import start_backend

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
ADMIN = os.environ.get("FINBOARD_BENCH_PG_ADMIN", "postgresql://root@127.0.0.1:5432/postgres")
SECRET = "fanout-bench-secret-0123456789abcdef0123"  # noqa: S105 - a throwaway server's
BACKENDS = tuple(os.environ.get("FANOUT_BACKENDS", "flask,fastapi,django").split(","))
TICKER = "AAPL"


def create_database() -> str:
    name = f"finboard_fanout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", f"postgresql+psycopg://root@127.0.0.1:5432/{name}")
    command.upgrade(config, "head")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def grow_followers(dsn: str, have: int, want: int) -> None:
    """Members fan<have+1> … fan<want>, each following TICKER."""
    if want <= have:
        return
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO users (username, email, password_hash, role, created_at) "
            "SELECT 'fan' || n, 'fan' || n || '@example.com', 'x', 'member', now() "
            "FROM generate_series(CAST(%s AS integer), CAST(%s AS integer)) n",
            (have + 1, want),
        )
        conn.execute(
            "INSERT INTO ticker_follows (user_id, ticker) SELECT id, %s FROM users "
            "WHERE username LIKE 'fan%%' ON CONFLICT DO NOTHING",
            (TICKER,),
        )
        conn.execute("ANALYZE users; ANALYZE ticker_follows; ANALYZE notifications")


class PeakRss:
    """The highest resident set size of a process, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.02):
        self.process, self.every, self.peak, self._stop = psutil.Process(pid), every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def token(client: httpx.Client) -> dict[str, str]:
    account = {"username": "poster", "email": "poster@example.com", "password": "fanout-pass-1"}
    client.post("/api/v1/auth/register", json=account).raise_for_status()
    login = client.post("/api/v1/auth/login", json={"username": "poster", "password": "fanout-pass-1"})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def measure_backend(name: str, sizes: list[int], posts: int) -> dict:
    database = create_database()
    dsn = f"postgresql://root@127.0.0.1:5432/{database}"
    env = {
        "DATABASE_URL": f"postgresql+psycopg://root@127.0.0.1:5432/{database}",
        "SECRET_KEY": SECRET,
        "FINBOARD_ENV": "production",
        "CACHE_ENABLED": "0",
        "REDIS_URL": "",
        "JOBS_RUNNER": "queue",
        "POSTS_PER_HOUR": "100000",
        "NEW_ACCOUNT_POSTS_PER_HOUR": "100000",
    }
    server = start_backend(get(name), env=env, workers=1, timeout=60)
    worker_log = (Path(tempfile.gettempdir()) / f"fanout-worker-{name}.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker"],
        cwd=ROOT,
        env={**os.environ, **env, "FLASK_APP": "wsgi"},
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    rows = []
    try:
        time.sleep(2)  # the worker connects and starts listening
        rss = PeakRss(worker.pid)
        with httpx.Client(base_url=server.base_url, timeout=120) as client, psycopg.connect(dsn) as poll:
            poll.autocommit = True
            headers = token(client)
            have = 0
            for size in sizes:
                grow_followers(dsn, have, size)
                have = max(have, size)
                answers, visible, loads = [], [], []
                for i in range(posts):
                    loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
                    body = {"title": f"${TICKER} note {size}-{i}", "body": "Margins look fine.", "category": "stocks"}
                    started = time.perf_counter()
                    response = client.post("/api/v1/posts", json=body, headers=headers)
                    answers.append(time.perf_counter() - started)
                    assert response.status_code == 201, response.text
                    post_id = response.json()["id"]
                    deadline = started + 300
                    while poll.execute(
                        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                    ).fetchone()[0]:
                        if time.perf_counter() > deadline:
                            raise TimeoutError(f"{name}: {size} notifications not visible in 300 s")
                        time.sleep(0.01)
                    visible.append(time.perf_counter() - started)
                    count = poll.execute("SELECT count(*) FROM notifications WHERE post_id = %s", (post_id,))
                    assert count.fetchone()[0] == size, f"{name}: not {size} notifications"
                    failed = poll.execute("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")
                    assert failed.fetchone()[0] == 0, f"{name}: a job failed (see the worker's log)"
                row = {
                    "backend": name,
                    "followers": size,
                    "answer_p50_s": statistics.median(answers),
                    "visible_p50_s": statistics.median(visible),
                    "answers_s": answers,
                    "visible_s": visible,
                    "load_1min": loads,
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
        peak = rss.stop()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
        server.stop()
        drop_database(database)
    for row in rows:
        row["worker_peak_rss_mb"] = round(peak / 2**20, 1)
    return {"backend": name, "rows": rows}


def table(results: list[dict]) -> str:
    sizes = [row["followers"] for row in results[0]["rows"]]
    lines = [
        "| followers of the ticker | " + " | ".join(f"{r['backend']} answer / visible" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for i, size in enumerate(sizes):
        cells = [f"{r['rows'][i]['answer_p50_s']:.3f} s / {r['rows'][i]['visible_p50_s']:.2f} s" for r in results]
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    peaks = " | ".join(f"{r['rows'][0]['worker_peak_rss_mb']} MB" for r in results)
    lines.append(f"| worker peak RSS | {peaks} |")
    return "\n".join(lines)


def main() -> None:
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "0,1000,10000,100000").split(",")]
    posts = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    out = HERE / ("results.json" if max(sizes) <= 100_000 else f"results-{max(sizes)}.json")
    out = HERE / os.environ["FANOUT_OUT"] if os.environ.get("FANOUT_OUT") else out
    knobs = {k: os.environ.get(k, "default") for k in ("JOBS_CONCURRENCY", "JOBS_FANOUT_CHUNK")}
    results = []
    for name in BACKENDS:  # written after each backend: a long run cut short keeps what it measured
        results.append(measure_backend(name, sizes, posts))
        out.write_text(json.dumps({"sizes": sizes, "posts": posts, **knobs, "results": results}, indent=1) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
