"""RSS and CPU of the server under test, of wrk, and of PostgreSQL, sampled with psutil.

It exists because a throughput figure means little without knowing what it
cost and who was saturated: memory of the backend's whole process tree
(gunicorn master + workers), its CPU, and beside it the CPU of the load
generator and of the database — on a small machine they share the cores.

CPU is in percent of one core (``top``'s convention): 200% is two cores.
It is computed from CPU-time deltas per process between samples, so workers
that come and go (gunicorn restarts) are counted correctly. What the rest of
the machine used meanwhile is recorded too ("other"): a busy neighbour
disturbs the figures, and the report says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

INTERVAL_S = 0.25
MB = 1024 * 1024


def tree(pid: int | None) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def tree_rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process and all its descendants, in MiB (None when it is gone)."""
    total, seen = 0, False
    for proc in tree(pid):
        try:
            total += proc.memory_info().rss
            seen = True
        except psutil.Error:
            continue
    return round(total / MB, 1) if seen else None


def postgres_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name"]):
        if (proc.info.get("name") or "").startswith("postgres"):
            found.append(proc)
    return found


class CpuMeter:
    """CPU% of a changing set of processes, from cpu_times deltas between calls."""

    def __init__(self, processes: Callable[[], list[psutil.Process]]):
        self._processes = processes
        self._last: dict[int, float] = {}
        self._last_time: float | None = None

    def sample(self) -> float | None:
        now = time.monotonic()
        current: dict[int, float] = {}
        for proc in self._processes():
            try:
                times = proc.cpu_times()
                current[proc.pid] = times.user + times.system
            except psutil.Error:
                continue
        result = None
        if self._last_time is not None and now > self._last_time:
            used = sum(max(0.0, t - self._last.get(pid, t)) for pid, t in current.items())
            result = 100.0 * used / (now - self._last_time)
        self._last, self._last_time = current, now
        return result


@dataclass
class Window:
    """The samples taken while one cell ran."""

    rss: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    wrk_cpu: list[float] = field(default_factory=list)
    postgres_cpu: list[float] = field(default_factory=list)
    other_cpu: list[float] = field(default_factory=list)  # everything else on the machine

    @staticmethod
    def _avg(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    @staticmethod
    def _peak(values: list[float]) -> float | None:
        return round(max(values), 1) if values else None

    def summary(self) -> dict:
        return {
            "rss_load": self._avg(self.rss),
            "rss_peak": self._peak(self.rss),
            "cpu": {"avg": self._avg(self.server_cpu), "peak": self._peak(self.server_cpu)},
            "wrk_cpu": {"avg": self._avg(self.wrk_cpu), "peak": self._peak(self.wrk_cpu)},
            "postgres_cpu": {"avg": self._avg(self.postgres_cpu), "peak": self._peak(self.postgres_cpu)},
            "other_cpu": {"avg": self._avg(self.other_cpu), "peak": self._peak(self.other_cpu)},
        }


class Sampler:
    """A background thread sampling server tree, wrk and PostgreSQL until stopped.

    ``server_pid`` None (``--target``) leaves the server's figures empty;
    ``postgres`` False (a remote database) leaves PostgreSQL's empty.
    """

    def __init__(self, server_pid: int | None, *, postgres: bool, interval: float = INTERVAL_S):
        self.server_pid = server_pid
        self.wrk_pid: int | None = None
        self.window = Window()
        self._interval = interval
        self._stop = threading.Event()
        self._server = CpuMeter(lambda: tree(self.server_pid))
        self._wrk = CpuMeter(lambda: tree(self.wrk_pid))
        self._pg = CpuMeter(postgres_processes) if postgres else None
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._baseline_taken = False

    def __enter__(self) -> Sampler:
        self._sample()  # baseline for the CPU deltas
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """End the sampling window (idempotent)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _sample(self) -> None:
        total = psutil.cpu_percent(interval=None) * (psutil.cpu_count() or 1)  # in percent of one core
        ours = 0.0
        if self.server_pid is not None:
            rss = tree_rss_mb(self.server_pid)
            if rss is not None:
                self.window.rss.append(rss)
            cpu = self._server.sample()
            if cpu is not None:
                self.window.server_cpu.append(cpu)
                ours += cpu
        if self.wrk_pid is not None:
            cpu = self._wrk.sample()
            if cpu is not None:
                self.window.wrk_cpu.append(cpu)
                ours += cpu
        if self._pg is not None:
            cpu = self._pg.sample()
            if cpu is not None:
                self.window.postgres_cpu.append(cpu)
                ours += cpu
        if self._baseline_taken:
            self.window.other_cpu.append(max(0.0, total - ours))
        self._baseline_taken = True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sample()
            except Exception:  # noqa: BLE001, S112 - a failed sample must not stop the run
                continue
