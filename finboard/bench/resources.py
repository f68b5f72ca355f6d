"""Memory and CPU of the server under test, of wrk, and of PostgreSQL, sampled with psutil.

It exists because a throughput figure means little without knowing what it
cost and who was saturated: memory of the backend's whole process tree
(gunicorn master + workers), its CPU, and beside it the CPU of the load
generator and of the database — on a small machine they share the cores.

CPU is in percent of one core (``top``'s convention): 200% is two cores.
It is computed from CPU-time deltas per process between samples, so workers
that come and go (gunicorn restarts) are counted correctly. What the rest of
the machine used meanwhile is recorded too ("other"): a busy neighbour
disturbs the figures, and the report says so.

Besides the samples, ``CpuAccount`` adds up CPU seconds over a whole cell
(the server's process tree; PostgreSQL's backends serving the benchmark
database), which divided by the successful requests is CPU µs per request;
``tree_memory_mb`` gives PSS and USS beside RSS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
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


def tree_memory_mb(pid: int | None) -> dict | None:
    """RSS, PSS and USS of a process tree, in MiB (None when it is gone).

    RSS counts every shared page once per process (a pre-forked server's
    workers share most of the master's memory), so the tree's RSS overstates
    what it costs; PSS divides each shared page among the processes sharing
    it, and USS is what would be freed if the tree exited. PSS/USS come from
    /proc/<pid>/smaps_rollup (psutil's memory_full_info); they are None where
    that can't be read (another user's process, a kernel without it).
    """
    rss = pss = uss = 0
    seen = full = False
    for proc in tree(pid):
        try:
            info = proc.memory_full_info()
        except psutil.AccessDenied:
            try:
                rss += proc.memory_info().rss
                seen = True
            except psutil.Error:
                pass
            continue
        except psutil.Error:
            continue
        seen = full = True
        rss += info.rss
        pss += getattr(info, "pss", 0)
        uss += getattr(info, "uss", 0)
    if not seen:
        return None
    return {
        "rss": round(rss / MB, 1),
        "pss": round(pss / MB, 1) if full else None,
        "uss": round(uss / MB, 1) if full else None,
    }


def postgres_processes(database: str | None = None) -> list[psutil.Process]:
    """Every PostgreSQL process on the machine, or with ``database`` only the backends serving it.

    A backend's command line reads ``postgres: USER DATABASE HOST(PORT) STATE``:
    counting only those leaves out other people's databases on a shared server.
    """
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if not (proc.info.get("name") or "").startswith("postgres"):
            continue
        if database is not None and serving_database(" ".join(proc.info.get("cmdline") or [])) != database:
            continue
        found.append(proc)
    return found


def serving_database(title: str) -> str | None:
    """The database a PostgreSQL backend serves, from its process title; None for other processes.

    ``postgres: USER DATABASE HOST(PORT) STATE``, with ``CLUSTER:`` after
    ``postgres:`` when ``cluster_name`` is set (Debian: ``15/main:``).
    """
    words = title.split()
    if not words or words[0] != "postgres:":
        return None
    words = words[1:]
    if words and words[0].endswith(":"):  # the cluster name
        words = words[1:]
    if len(words) < 3 or not (words[2].endswith(")") or words[2] == "[local]"):
        return None  # checkpointer, walwriter, autovacuum launcher, …
    return words[1]


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU seconds the process has used (from /proc/<pid>/stat), its reaped children not included."""
    times = proc.cpu_times()
    return times.user + times.system


def system_seconds(proc: psutil.Process) -> float:
    """System (kernel) CPU seconds alone: what ``flask bench profile`` cannot see in Python stacks."""
    return proc.cpu_times().system


class CpuAccount:
    """CPU seconds a changing set of processes used between ``start`` and the last ``update``.

    Each process counts from its reading at ``start`` (or from 0 when it
    started later: a worker or a database connection forked during the cell),
    to its last reading — so a process that exits mid-cell keeps what it had
    used at the last sample before it went.
    """

    def __init__(
        self, processes: Callable[[], list[psutil.Process]], measure: Callable[[psutil.Process], float] = cpu_seconds
    ):
        self._processes = processes
        self._measure = measure  # user + system by default; system_seconds for the kernel's part alone
        self._first: dict[tuple[int, float], float] = {}
        self._last: dict[tuple[int, float], float] = {}
        self._started: float | None = None

    def _read(self) -> dict[tuple[int, float], float]:
        readings = {}
        for proc in self._processes():
            try:
                readings[(proc.pid, proc.create_time())] = self._measure(proc)
            except psutil.Error:
                continue
        return readings

    def start(self) -> None:
        self._started = time.time()
        self._first = self._read()
        self._last = dict(self._first)

    def update(self) -> None:
        if self._started is None:
            self.start()
            return
        for key, seconds in self._read().items():
            if key not in self._first:
                # forked after start: everything it used is in the window (create_time has a clock-tick resolution)
                self._first[key] = 0.0 if key[1] >= self._started - 0.05 else seconds
            self._last[key] = seconds

    @property
    def seconds(self) -> float | None:
        if self._started is None:
            return None
        return sum(max(0.0, last - self._first.get(key, last)) for key, last in self._last.items())


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
    pss: list[float] = field(default_factory=list)
    uss: list[float] = field(default_factory=list)
    server_cpu_s: float | None = None  # CPU seconds of the server's tree over the window (CpuAccount)
    postgres_cpu_s: float | None = None  # of the benchmark database's PostgreSQL backends
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
            "pss_load": self._avg(self.pss),
            "pss_peak": self._peak(self.pss),
            "uss_load": self._avg(self.uss),
            "uss_peak": self._peak(self.uss),
            "server_cpu_s": None if self.server_cpu_s is None else round(self.server_cpu_s, 4),
            "postgres_cpu_s": None if self.postgres_cpu_s is None else round(self.postgres_cpu_s, 4),
            "cpu": {"avg": self._avg(self.server_cpu), "peak": self._peak(self.server_cpu)},
            "wrk_cpu": {"avg": self._avg(self.wrk_cpu), "peak": self._peak(self.wrk_cpu)},
            "postgres_cpu": {"avg": self._avg(self.postgres_cpu), "peak": self._peak(self.postgres_cpu)},
            "other_cpu": {"avg": self._avg(self.other_cpu), "peak": self._peak(self.other_cpu)},
        }


class Sampler:
    """A background thread sampling server tree, wrk and PostgreSQL until stopped.

    ``server_pid`` None (``--target``) leaves the server's figures empty;
    ``postgres`` False (a remote database) leaves PostgreSQL's empty;
    ``database`` names the benchmark database, so PostgreSQL's CPU seconds
    count only the backends serving it (else every PostgreSQL process).
    Besides the CPU% samples it accounts CPU seconds over the whole window
    (``CpuAccount``): the server's per request is what ``cpu_us_per_request`` is made of.
    """

    def __init__(
        self, server_pid: int | None, *, postgres: bool, database: str | None = None, interval: float = INTERVAL_S
    ):
        self.server_pid = server_pid
        self.wrk_pid: int | None = None
        self.window = Window()
        self._interval = interval
        self._stop = threading.Event()
        self._server = CpuMeter(lambda: tree(self.server_pid))
        self._wrk = CpuMeter(lambda: tree(self.wrk_pid))
        self._pg = CpuMeter(postgres_processes) if postgres else None
        self._server_account = CpuAccount(lambda: tree(self.server_pid)) if server_pid is not None else None
        self._pg_account = CpuAccount(lambda: postgres_processes(database)) if postgres else None
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._baseline_taken = False

    def __enter__(self) -> Sampler:
        for account in (self._server_account, self._pg_account):
            if account is not None:
                account.start()
        self._sample()  # baseline for the CPU deltas
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """End the sampling window (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._server_account is not None:
            with suppress(Exception):
                self._server_account.update()
            self.window.server_cpu_s = self._server_account.seconds
        if self._pg_account is not None:
            with suppress(Exception):
                self._pg_account.update()
            self.window.postgres_cpu_s = self._pg_account.seconds

    def _sample(self) -> None:
        total = psutil.cpu_percent(interval=None) * (psutil.cpu_count() or 1)  # in percent of one core
        ours = 0.0
        if self.server_pid is not None:
            memory = tree_memory_mb(self.server_pid)
            if memory is not None:
                for key in ("rss", "pss", "uss"):
                    if memory[key] is not None:
                        getattr(self.window, key).append(memory[key])
            if self._server_account is not None:
                self._server_account.update()
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
            if self._pg_account is not None:
                self._pg_account.update()
        if self._baseline_taken:
            self.window.other_cpu.append(max(0.0, total - ours))
        self._baseline_taken = True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sample()
            except Exception:  # noqa: BLE001, S112 - a failed sample must not stop the run
                continue
