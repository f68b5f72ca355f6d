"""What read-your-writes adds to a request: the replica set's calls, timed one by one.

Against the machine's PostgreSQL (127.0.0.1:5432, for ``pg_current_wal_lsn()``) and a
throwaway ``redis-server`` (the pins). The replica named is a closed port: the set
has no replica fit, which is the slowest ``choose``. Run under the bench lock:

    flock /tmp/finboard-bench.lock python docs/benchmarks/2026-12-07-replicas/overhead.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from finboard.rawsql.replicas import ReplicaSet  # noqa: E402
from tests.services import ThrowawayRedis  # noqa: E402

PRIMARY = "postgresql://root@127.0.0.1:5432/postgres"
CLOSED_PORT = "postgresql://root@127.0.0.1:1/none"
ROUNDS, CALLS = 5, 2000


def per_call_us(call) -> float:
    started = time.perf_counter()
    for i in range(CALLS):
        call(i)
    return (time.perf_counter() - started) / CALLS * 1e6


def main() -> None:
    redis_server = ThrowawayRedis()
    try:
        replicas = ReplicaSet(PRIMARY, (CLOSED_PORT,), redis_url=redis_server.url)
        replicas.record_write(1)  # the primary connection, opened once
        calls = {
            "record_write (LSN + SET)": lambda i: replicas.record_write(i % 100),
            "pin_of, a member (GET)": lambda i: replicas.pin_of(i % 100),
            "pin_of, anonymous": lambda i: replicas.pin_of(None),
            "choose (no replica fit)": lambda i: replicas.choose(None),
        }
        results: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(ROUNDS):  # interleaved, so a busy moment hits every call alike
            for name, call in calls.items():
                results[name].append(per_call_us(call))
        for name, values in results.items():
            median, low, high = statistics.median(values), min(values), max(values)
            print(f"{name:28s} median {median:8.1f} us  min {low:8.1f}  max {high:8.1f}  ({ROUNDS} x {CALLS})")
        replicas.close()
    finally:
        redis_server.destroy()


if __name__ == "__main__":
    main()
