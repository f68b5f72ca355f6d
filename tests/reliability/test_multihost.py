"""A deployment that spans hosts, under write load, loses an app host and the worker host.

Nine network namespaces on a private bridge (tests.reliability.netns) stand for the machines
of README "Running on more than one machine": nginx, two app hosts (``gunicorn wsgi:app``), a
worker host (``flask worker``), a PostgreSQL primary and its streaming standby, Redis, and a
client. The client posts through nginx for LOAD_S seconds; at KILL_AT one app host and the
worker are SIGKILLed (master and workers, mid-request and mid-job), and DOWN_S later both are
started again. Then every acknowledged write must be in the primary and in the standby, every
post's fan-out must have run exactly once in effect (its notifications exist once per
recipient, its job once and succeeded), and a request may only fail (a 502, or an answer cut
short) if the killed host held it at the kill. The figures are written to ``multihost-figures.json`` in the test's
temporary directory and printed (README "Running on more than one machine" quotes them).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from finboard.contract.notifications import new_post_recipients
from finboard.core import account_queries
from finboard.core.models import Category, CategoryWatch
from finboard.core.security import hash_password
from tests.databases import migrate
from tests.jobs_support import add_followers
from tests.reliability import hosts as svc
from tests.reliability.netns import SUBNET, Host, Network
from tests.reliability.writeload import PASSWORD

LOAD_S = 24.0  # the write load's length
KILL_AT = 5.0  # seconds into the load: app1 and the worker are SIGKILLed
DOWN_S = 2.0  # then restarted this much later
FOLLOWERS = 200  # of $NSX: every post fans out to them, the category's watchers and @mia
WATCHERS = 20
AUTHORS = ("poster1", "poster2", "poster3", "poster4")  # one client thread each
BODY = "Rotating into $NSX this week, cc @mia"
SECRET = "multihost-secret-key-0123456789abcdef"
TOPOLOGY = {"lb": 10, "app1": 11, "app2": 12, "worker": 13, "pg1": 21, "pg2": 22, "redis": 31, "client": 40}


@dataclass
class Deployment:
    hosts: dict[str, Host]
    primary: svc.PgNode
    standby: svc.PgNode
    env: dict[str, str]
    apps: dict[str, object]
    worker: object
    logs: Path
    expected: dict[int, list[tuple[int, str, str | None]]]  # author id -> recipients of each of their posts
    authors: dict[str, int]


def _seed(url: str) -> tuple[dict[str, int], dict[int, list]]:
    """The posting members, @mia, the category's watchers and $NSX's followers; each author's recipients."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        password = hash_password(PASSWORD)
        authors = {name: account_queries.create_user(session, name, f"{name}@example.com", password).id
                   for name in AUTHORS}  # fmt: skip
        mia = account_queries.create_user(session, "mia", "mia@example.com", "x").id
        stocks = session.query(Category).filter_by(slug="stocks").one()
        watchers = [account_queries.create_user(session, f"watcher{i}", f"w{i}@example.com", "x").id
                    for i in range(WATCHERS)]  # fmt: skip
        session.add_all(CategoryWatch(user_id=user, category_id=stocks.id) for user in watchers)
        add_followers(session, "NSX", FOLLOWERS)
        session.flush()
        followers = [(user, "NSX") for user in session.scalars(text("SELECT user_id FROM ticker_follows"))]
    engine.dispose()
    expected = {a: new_post_recipients(a, [mia], watchers, followers, ["NSX"]) for a in authors.values()}
    return authors, expected


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    logs = tmp_path_factory.mktemp("multihost")
    pg_root = Path(tempfile.mkdtemp(prefix="finboard-multihost-"))
    shutil.chown(pg_root, "postgres")  # initdb and the clusters run as postgres
    primary = standby = None
    try:
        with Network() as net:  # raises (never skips) when namespaces can't be made
            try:
                hosts = {name: net.add_host(name, octet) for name, octet in TOPOLOGY.items()}
                primary = svc.start_primary(hosts["pg1"], pg_root)
                with psycopg.connect(primary.local_dsn("postgres"), autocommit=True) as conn:
                    conn.execute("CREATE DATABASE finboard")
                migrate(primary.local_url("finboard"))
                authors, expected = _seed(primary.local_url("finboard"))
                standby = svc.start_standby(hosts["pg2"], primary, pg_root)
                svc.start_redis(hosts["redis"], logs / "redis.log")
                env = _settings(hosts)
                apps = {name: svc.start_app(hosts[name], env, logs / f"{name}.log") for name in ("app1", "app2")}
                for name, process in apps.items():
                    svc.wait_app(hosts[name], process)
                worker = svc.start_worker(hosts["worker"], env, logs / "worker.log")
                svc.start_nginx(hosts["lb"], [hosts["app1"], hosts["app2"]], logs / "nginx")
                yield Deployment(hosts, primary, standby, env, apps, worker, logs, expected, authors)
            finally:  # a clean stop before the namespaces (and whatever else runs in them) go
                for node in (standby, primary):
                    if node is not None:
                        node.stop()
    finally:
        shutil.rmtree(pg_root, ignore_errors=True)


def _settings(hosts: dict[str, Host]) -> dict[str, str]:
    """The environment of every app and worker host (README: the same settings on every host)."""
    return {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://root@{hosts['pg1'].address}:{svc.PG_PORT}/finboard",
        # The standby serves the cached content reads (README: Read replicas); writers read their own writes.
        "DATABASE_REPLICA_URLS": f"postgresql+psycopg://root@{hosts['pg2'].address}:{svc.PG_PORT}/finboard",
        "REDIS_URL": f"redis://{hosts['redis'].address}:{svc.REDIS_PORT}/0",
        "SECRET_KEY": SECRET,
        "FINBOARD_ENV": "production",
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": "2",
        "DB_POOL_SIZE": "3",
        "JOBS_RUNNER": "queue",
        "JOBS_STALLED_AFTER": "2",
        "POSTS_PER_HOUR": "1000000",
        "NEW_ACCOUNT_POSTS_PER_HOUR": "1000000",
        "PYTHONUNBUFFERED": "1",
    }


def _queue(primary: svc.PgNode) -> Counter:
    rows = primary.query("finboard", "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")
    return Counter(dict(rows))


@dataclass
class Run:
    records: list[dict]
    kill_at: float
    restart_at: float
    app1_healthy_at: float
    load_end: float
    drained_s: float
    doing_at_kill: int
    backlog_at_kill: int


@pytest.fixture(scope="module")
def run(deployment) -> Run:
    d = deployment
    app1, worker_host = d.hosts["app1"], d.hosts["worker"]
    out, ready = d.logs / "load.json", d.logs / "load.ready"
    lb_url = f"http://{d.hosts['lb'].address}:{svc.LB_PORT}"
    argv = [sys.executable, "-m", "tests.reliability.writeload", lb_url, "--users", ",".join(AUTHORS),
            "--body", BODY, "--seconds", str(LOAD_S), "--out", str(out), "--ready", str(ready)]  # fmt: skip
    client = d.hosts["client"].popen(argv, env=d.env, log=d.logs / "client.log", cwd=svc.ROOT)
    deadline = time.time() + 60
    while not ready.exists():  # the members are logged in: the load starts now
        assert client.poll() is None and time.time() < deadline, (d.logs / "client.log").read_text()
        time.sleep(0.05)
    time.sleep(KILL_AT)
    queue = _queue(d.primary)
    kill_at = time.time()
    app1.kill(d.apps["app1"])
    worker_host.kill(d.worker)
    time.sleep(DOWN_S)
    restart_at = time.time()
    d.apps["app1"] = svc.start_app(app1, d.env, d.logs / "app1.log")
    d.worker = svc.start_worker(worker_host, d.env, d.logs / "worker.log")
    svc.wait_app(app1, d.apps["app1"])
    app1_healthy_at = time.time()
    (d.logs / "app1-probes.json").write_text(json.dumps(dict(Counter(app1.probes))))
    assert client.wait(LOAD_S + 60) == 0, (d.logs / "client.log").read_text()
    load_end = time.time()
    deadline = load_end + 60
    while time.time() < deadline:
        queue_now = _queue(d.primary)
        if set(queue_now) <= {"succeeded"}:
            break
        time.sleep(0.2)
    drained_s = time.time() - load_end
    return Run(json.loads(out.read_text()), kill_at, restart_at, app1_healthy_at, load_end, drained_s,
               queue["doing"], queue["todo"] + queue["doing"])  # fmt: skip


def _answered_by(record: dict) -> str | None:
    """The app host that gave the answer: the last of nginx's X-Upstream list ("a, b" when the
    first refused the connection and nginx passed the request on)."""
    if not record.get("upstream"):
        return None
    last = record["upstream"].split(", ")[-1].partition(":")[0]
    return {f"{SUBNET}.{octet}": name for name, octet in TOPOLOGY.items()}.get(last, last)


def _acknowledged(run: Run) -> dict[int, str]:
    return {r["id"]: r["title"] for r in run.records if r["status"] == 201}


def test_the_load_ran_through_both_app_hosts_before_and_after_the_kill(run):
    assert not [r for r in run.records if r["status"] == -1], "a member could not log in"
    app1 = [r for r in run.records if r["status"] == 201 and _answered_by(r) == "app1"]
    assert any(r["end"] < run.kill_at for r in app1), "app1 answered nothing before it was killed"
    assert any(r["start"] > run.restart_at for r in app1), "app1 answered nothing after its restart"
    assert len(_acknowledged(run)) >= 50, len(_acknowledged(run))


def test_every_acknowledged_write_is_in_the_primary_and_the_standby(deployment, run):
    acknowledged = _acknowledged(run)
    ids = list(acknowledged)
    on_primary = dict(deployment.primary.query("finboard", "SELECT id, title FROM posts WHERE id = ANY(%s)", ids))
    assert on_primary == acknowledged
    svc.replica_caught_up(deployment.primary, deployment.standby, "finboard")
    on_standby = dict(deployment.standby.query("finboard", "SELECT id, title FROM posts WHERE id = ANY(%s)", ids))
    assert on_standby == acknowledged
    streaming = deployment.primary.query("finboard", "SELECT host(client_addr), state FROM pg_stat_replication")
    assert streaming == [(deployment.hosts["pg2"].address, "streaming")]


def test_every_post_fanned_out_exactly_once(deployment, run):
    """Every post the load made (acknowledged or not: a 502 may have committed), one job, succeeded,
    and exactly its recipients told once each — after a worker SIGKILLed mid-queue."""
    assert run.drained_s < 60, f"the queue did not drain: {_queue(deployment.primary)}"
    posts = deployment.primary.query(
        "finboard", "SELECT id, author_id FROM posts WHERE author_id = ANY(%s)", list(deployment.authors.values())
    )
    assert set(_acknowledged(run)) <= {post for post, _ in posts}
    jobs = deployment.primary.query(
        "finboard",
        "SELECT (args->>'event_id')::int, status::text FROM procrastinate_jobs WHERE args->>'event' = 'post'",
    )
    assert sorted(jobs) == sorted((post, "succeeded") for post, _ in posts)
    told = defaultdict(list)
    for post, user, kind, ticker in deployment.primary.query(
        "finboard",
        "SELECT post_id, user_id, kind, ticker FROM notifications WHERE comment_id IS NULL ORDER BY post_id, user_id",
    ):
        told[post].append((user, kind, ticker))
    wrong = [post for post, author in posts if sorted(told[post]) != sorted(deployment.expected[author])]
    assert not wrong, f"{len(wrong)} of {len(posts)} posts told the wrong members, e.g. post {wrong[0]}"


def _windows(run: Run, records: list[dict]) -> dict[str, list[dict]]:
    """Requests by when they ran: ended before the kill; overlapping the time app1 was dead or
    booting again (kill to healthy); started after it answered /healthz again."""
    before = [r for r in records if r["end"] < run.kill_at]
    after = [r for r in records if r["start"] > run.app1_healthy_at]
    during = [r for r in records if r not in before and r not in after]
    return {"before_kill": before, "kill_to_healthy": during, "after_healthy": after}


def test_no_5xx_outside_the_kill_window(deployment, run):
    """Only requests that app1 held when it died may fail (nginx does not replay a POST it already
    sent, nor finish an answer it had begun to pass on); a refused connection afterwards is passed
    to app2 and never seen."""
    errors = [r for r in run.records if r["status"] >= 500 or r["status"] == 0]
    windows = _windows(run, errors)
    figures = _figures(deployment, run, errors)
    print(json.dumps(figures, indent=2))
    (deployment.logs / "multihost-figures.json").write_text(json.dumps(figures, indent=2))
    assert not windows["before_kill"] and not windows["after_healthy"], figures
    # Each one was in flight at the kill: a 502 from app1, or an answer app1 had begun and nginx
    # could only cut (the client sees a closed connection, status 0).
    assert all(r["start"] <= run.kill_at + 0.5 and r["end"] >= run.kill_at for r in errors), errors
    assert all(_answered_by(r) == "app1" for r in errors if r["status"] >= 500), errors
    assert len(errors) <= len(AUTHORS), "more failures than requests in flight at the kill"


def _figures(deployment, run: Run, errors: list[dict]) -> dict:
    records = run.records
    t0 = min(r["start"] for r in records)
    unanswered = [r["title"] for r in errors]
    committed = deployment.primary.query("finboard", "SELECT count(*) FROM posts WHERE title = ANY(%s)", unanswered)
    app1 = [r for r in records
            if r["status"] == 201 and _answered_by(r) == "app1"
            and r["start"] > run.restart_at]  # fmt: skip
    retried = deployment.primary.query("finboard", "SELECT count(*) FROM procrastinate_jobs WHERE attempts > 1")
    figures = {
        "load_s": round(max(r["end"] for r in records) - t0, 1),
        "requests": len(records),
        "acknowledged_201": sum(r["status"] == 201 for r in records),
        "error_statuses": dict(Counter(r["status"] for r in errors)),
        "unanswered_but_committed": committed[0][0],
        "passed_on_by_nginx": sum(", " in (r.get("upstream") or "") for r in records),
        "kill_at_s": round(run.kill_at - t0, 2),
        "app1_restart_at_s": round(run.restart_at - t0, 2),
        "app1_restart_to_healthy_s": round(run.app1_healthy_at - run.restart_at, 2),
        # Sent to the restarted app1 (it listens before its workers boot) / answered by it.
        "app1_health_probes_before_200": json.loads((deployment.logs / "app1-probes.json").read_text()),
        "app1_restart_to_first_request_s": round(min(r["start"] for r in app1) - run.restart_at, 2),
        "app1_restart_to_first_201_s": round(min(r["end"] for r in app1) - run.restart_at, 2),
        "jobs_doing_at_kill": run.doing_at_kill,
        "queue_backlog_at_kill": run.backlog_at_kill,
        "jobs_retried": retried[0][0],
        "queue_drained_after_load_s": round(run.drained_s, 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    for window, rows in _windows(run, records).items():
        latencies = sorted(r["end"] - r["start"] for r in rows) or [0.0]
        figures[window] = {
            "requests": len(rows),
            "errors": sum(r in errors for r in rows),
            "p50_s": round(latencies[len(latencies) // 2], 3),
            "max_s": round(latencies[-1], 3),
        }
    return figures
