"""CPU seconds of a process tree from /proc, and PSS/USS beside RSS (finboard.bench.resources)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from finboard.bench.resources import CpuAccount, Sampler, tree, tree_memory_mb

# Waits for a line on stdin, then forks a child that burns 0.4 s of CPU and stays alive, burns 0.3 s itself,
# prints "done" and sleeps: 0.7 s of CPU inside the window, none before it.
BURNER = """
import os, sys, time

def burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass

sys.stdin.readline()
if os.fork() == 0:
    burn(0.4)
    time.sleep(30)
    os._exit(0)
burn(0.3)
time.sleep(0.6)  # the child finishes its 0.4 s meanwhile (2 cores, or time-sliced)
print("done", flush=True)
time.sleep(30)
"""

# Touches 64 MiB of private memory, then forks: parent and child share those pages copy-on-write.
SHARER = """
import os, sys, time
block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
if os.fork() == 0:
    time.sleep(30)
    os._exit(0)
print("ready", flush=True)
time.sleep(30)
"""


def _spawn(script: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _end(process: subprocess.Popen) -> None:
    for proc in reversed(tree(process.pid)):
        try:
            proc.kill()
        except psutil.Error:
            pass
    process.wait(timeout=10)


def test_cpu_seconds_of_a_tree_count_what_it_burned_in_the_window_including_a_forked_child():
    process = _spawn(BURNER)
    try:
        time.sleep(0.5)  # interpreter start-up: before the window, not counted
        with Sampler(process.pid, postgres=False, interval=0.1) as sampler:
            process.stdin.write("go\n")
            process.stdin.flush()
            assert process.stdout.readline().strip() == "done"
            deadline = time.monotonic() + 20  # on a loaded machine the child may still be burning
            while time.monotonic() < deadline:
                children = psutil.Process(process.pid).children()
                if children and sum(children[0].cpu_times()[:2]) >= 0.4:
                    break
                time.sleep(0.05)
            time.sleep(0.2)
        seconds = sampler.window.summary()["server_cpu_s"]
    finally:
        _end(process)
    assert seconds == pytest.approx(0.7, abs=0.12)


def test_cpu_account_keeps_the_last_reading_of_a_process_that_exits():
    procs = []
    account = CpuAccount(lambda: procs)
    account.start()
    assert account.seconds == 0
    burner = subprocess.Popen(
        [sys.executable, "-c", "import time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass"]
    )
    procs.append(psutil.Process(burner.pid))
    while burner.poll() is None:
        account.update()
        time.sleep(0.02)
    procs.clear()
    account.update()
    # forked after start: counted from zero (its start-up too), up to its last reading before it exited
    assert 0.2 <= account.seconds <= 0.6


def test_pss_and_uss_show_what_rss_counts_twice():
    process = _spawn(SHARER)
    try:
        assert process.stdout.readline().strip() == "ready"
        memory = tree_memory_mb(process.pid)
    finally:
        _end(process)
    assert set(memory) == {"rss", "pss", "uss"}
    assert memory["rss"] >= 128  # the 64 MiB counted in both processes
    assert memory["pss"] < memory["rss"] - 50  # PSS splits the shared pages between them
    assert memory["uss"] < memory["pss"]  # and USS leaves them out
    assert tree_memory_mb(None) is None


def test_the_sampler_records_pss_and_uss_under_load_beside_rss():
    process = _spawn(SHARER)
    try:
        assert process.stdout.readline().strip() == "ready"
        with Sampler(process.pid, postgres=False, interval=0.05) as sampler:
            time.sleep(0.3)
        summary = sampler.window.summary()
    finally:
        _end(process)
    assert summary["rss_load"] >= 128 and summary["rss_peak"] >= summary["rss_load"]
    assert summary["pss_load"] < summary["rss_load"] - 50
    assert summary["uss_peak"] is not None and summary["uss_load"] <= summary["pss_load"]
    assert summary["server_cpu_s"] is not None and summary["server_cpu_s"] < 0.2  # it only slept


@pytest.mark.parametrize(
    ("title", "database"),
    [
        ("postgres: 15/main: root finboard_bench_1a2b 127.0.0.1(36676) idle", "finboard_bench_1a2b"),
        ("postgres: bench finboard [local] SELECT", "finboard"),
        ("postgres: app shop ::1(5544) idle in transaction", "shop"),
        ("postgres: 15/main: checkpointer ", None),
        ("postgres: 15/main: logical replication launcher", None),
        ("postgres: autovacuum launcher", None),
        ("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main", None),
    ],
)
def test_the_database_a_postgres_backend_serves_is_read_from_its_title(title, database):
    from finboard.bench.resources import serving_database

    assert serving_database(title) == database


@pytest.mark.postgres
def test_postgres_cpu_counts_the_backends_of_one_database():
    """A query that burns CPU in PostgreSQL shows up in the account of its database's backends, not elsewhere."""
    import psycopg

    from finboard.bench.resources import postgres_processes
    from tests.databases import PG_ADMIN_DSN, require_postgres

    require_postgres()
    with psycopg.connect(PG_ADMIN_DSN) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        ours = CpuAccount(lambda: postgres_processes(database))
        elsewhere = CpuAccount(lambda: postgres_processes("no_such_database_here"))
        ours.start()
        elsewhere.start()
        started = time.process_time()
        conn.execute("SELECT count(*) FROM generate_series(1, 4000000)").fetchone()
        ours.update()
        elsewhere.update()
    assert time.process_time() - started < 0.2  # the work was PostgreSQL's, not this process's
    assert ours.seconds >= 0.1, ours.seconds
    assert elsewhere.seconds == 0
