"""Read replicas: which database answers a content read, and read-your-writes.

``DATABASE_REPLICA_URLS`` names PostgreSQL streaming standbys of ``DATABASE_URL``.
Every adapter routes its *content reads* (the cached reads: listings, a post, its
comments, the categories and their stats — what anonymous readers load) through
:meth:`ReplicaSet.read`; everything else (writes, anything in a write's
transaction, logins, a member's own notifications and settings, the background
worker) stays on the primary, because it is either a write or a member's private
state they expect to be exact.

**Read-your-writes, by LSN** (README, "Running on more than one machine"): after a
member's write commits, the adapter calls :meth:`ReplicaSet.record_write`, which
asks the primary for ``pg_current_wal_lsn()`` (at or past the write's commit
record) and stores it in Redis under the member's id for ``pin_seconds``. Every
worker on every host sees it. While a member's pin is newer than what a replica
has replayed (``pg_last_wal_replay_lsn()``, read by the health check), that
member's content reads go to the primary (or to a replica that has caught up) and
skip the read cache, so a page built from a lagging replica by someone else can
never hide their own write from them. The pin expires after ``pin_seconds``
(the maximum lag plus two health checks): by then every replica still in rotation
has replayed the write, because one further behind is out of rotation anyway.

**Degrading**: a thread per process checks each replica every
``REPLICA_CHECK_INTERVAL`` seconds with a 2 s connect timeout and a 1 s statement
timeout. A replica that fails is out until a check succeeds again (retried with
backoff up to ``MAX_BACKOFF`` seconds); one whose replay lags the primary by more
than ``REPLICA_MAX_LAG`` seconds, or that is no longer a standby, is out too. A
read that fails on a replica is retried once on the primary and the replica is
marked down at once, so a replica that dies between two checks costs a request
one failed connection attempt, never an error. With no replica in rotation every
read goes to the primary.

Lag is measured in time, not bytes: each check samples the primary's LSN, and a
replica's lag is the age of the oldest sample it has not replayed yet (0 when it
has replayed them all), so an idle primary never makes a paused replica look late.
"""

from __future__ import annotations

import collections
import logging
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
import redis

from finboard.settings import Settings

logger = logging.getLogger("finboard.replicas")

CONNECT_TIMEOUT = 2  # seconds; libpq's smallest useful value
REPLICA_POOL_TIMEOUT = 1.0  # seconds a read waits for a replica's pooled connection before the primary answers
CHECK_OPTIONS = "-c statement_timeout=1000"
MAX_BACKOFF = 5.0  # seconds between two checks of a failing replica, at most
PIN_PREFIX = "finboard:rw-pin:"
REDIS_TIMEOUT = 0.5
# What a member's pin is taken to be when Redis cannot say: newer than any replica.
PIN_UNKNOWN = 1 << 64


def parse_lsn(text: str) -> int:
    """PostgreSQL's ``X/Y`` LSN as an integer (comparable)."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class ReadContext:
    """What one request's content reads need: the member's pin, and what the reads were built on."""

    pin: int | None = None  # the LSN this member must see; None: no recent write
    replica_ttl: int = 5  # seconds the read cache keeps a read built on a replica (its maximum lag)
    on_replica: bool = False  # the last content read was built on a replica

    @property
    def pinned(self) -> bool:
        return self.pin is not None


_context: ContextVar[ReadContext | None] = ContextVar("finboard_read_context", default=None)


def enter(replicas: ReplicaSet, pin: int | None):
    """Start a request's read context (adapters' middleware); returns the token for :func:`leave`."""
    return _context.set(ReadContext(pin, max(1, int(replicas.max_lag))))


def leave(token) -> None:
    _context.reset(token)


def current() -> ReadContext | None:
    """This request's read context; None when replicas are not configured (or outside a request)."""
    return _context.get()


class Replica:
    """One standby as the health check last saw it."""

    def __init__(self, index: int, dsn: str):
        self.index = index
        self.dsn = dsn
        self.healthy = False
        self.replay_lsn = 0
        self.lag = float("inf")
        self.failures = 0
        self.next_check = 0.0
        self.connection: psycopg.Connection | None = None

    def __repr__(self) -> str:
        return f"Replica({self.index}, healthy={self.healthy}, lag={self.lag:.2f}s)"


class ReplicaSet:
    """The replicas of one process, their health check and the members' pins."""

    def __init__(
        self,
        primary_dsn: str,
        replica_dsns: tuple[str, ...],
        *,
        redis_url: str,
        max_lag: float = 5.0,
        interval: float = 1.0,
    ):
        self.primary_dsn = primary_dsn
        self.replicas = [Replica(index, dsn) for index, dsn in enumerate(replica_dsns)]
        self.max_lag = max_lag
        self.interval = interval
        self.pin_seconds = max(1, int(max_lag + 2 * interval + 1))
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._primary: psycopg.Connection | None = None
        self._primary_lock = threading.Lock()
        self._thread_pid = 0
        self._start_lock = threading.Lock()
        self._stop = threading.Event()

    @classmethod
    def from_settings(cls, settings: Settings) -> ReplicaSet | None:
        """The replicas ``DATABASE_REPLICA_URLS`` names, or None without any (every read on the primary)."""
        if not settings.replica_urls:
            return None
        assert settings.redis_url  # the settings refuse replicas without Redis
        return cls(
            settings.psycopg_dsn,
            settings.replica_psycopg_dsns(),
            redis_url=settings.redis_url,
            max_lag=settings.replica_max_lag,
            interval=settings.replica_check_interval,
        )

    # --- routing ---------------------------------------------------------------------

    def choose(self, pin: int | None = None) -> int | None:
        """A replica fit to answer (healthy, within the lag, past ``pin``), else None: the primary."""
        self._ensure_checking()
        fit = [
            r.index
            for r in self.replicas
            if r.healthy and r.lag <= self.max_lag and (pin is None or r.replay_lsn >= pin)
        ]
        return random.choice(fit) if fit else None

    def mark_down(self, index: int) -> None:
        """A read failed on replica ``index``: out of rotation until a health check says otherwise."""
        replica = self.replicas[index]
        replica.healthy = False
        replica.next_check = min(replica.next_check, time.monotonic() + self.interval)
        logger.warning("replica %d failed a read: reading from the primary", index)

    def read(self, run: Callable[[int | None], bytes], errors: tuple[type[BaseException], ...]) -> bytes:
        """``run(index)`` on a chosen replica, else (or if it fails with ``errors``) ``run(None)``: the primary."""
        context = current()
        index = self.choose(context.pin if context else None)
        if index is not None:
            try:
                value = run(index)
            except errors:
                self.mark_down(index)
            else:
                if context is not None:
                    context.on_replica = True
                return value
        if context is not None:
            context.on_replica = False
        return run(None)

    async def aread(
        self, run: Callable[[int | None], Awaitable[bytes]], errors: tuple[type[BaseException], ...]
    ) -> bytes:
        """The async twin of :meth:`read`."""
        context = current()
        index = self.choose(context.pin if context else None)
        if index is not None:
            try:
                value = await run(index)
            except errors:
                self.mark_down(index)
            else:
                if context is not None:
                    context.on_replica = True
                return value
        if context is not None:
            context.on_replica = False
        return await run(None)

    # --- read-your-writes ------------------------------------------------------------

    def pin_of(self, member_id: int | None) -> int | None:
        """The LSN ``member_id`` must see (None: no recent write); Redis down: treated as pinned."""
        if member_id is None:
            return None
        try:
            stored = self.redis.get(f"{PIN_PREFIX}{member_id}")
        except redis.RedisError:
            logger.warning("read-your-writes pins unavailable: reading from the primary", exc_info=True)
            return PIN_UNKNOWN
        return int(stored) if stored is not None else None

    def record_write(self, member_id: int) -> None:
        """After ``member_id``'s write committed: pin their content reads until replicas replay it."""
        try:
            lsn = self.primary_lsn()
        except psycopg.Error:
            lsn = PIN_UNKNOWN  # the write committed; stay on the primary for the pin's lifetime
        try:
            self.redis.set(f"{PIN_PREFIX}{member_id}", lsn, ex=self.pin_seconds)
        except redis.RedisError:
            logger.warning("could not pin member %d to the primary", member_id, exc_info=True)

    def primary_lsn(self) -> int:
        """``pg_current_wal_lsn()`` on the primary (one round trip on this process's own connection)."""
        with self._primary_lock:
            for attempt in (1, 2):
                try:
                    if self._primary is None or self._primary.closed:
                        self._primary = _checking_connection(self.primary_dsn)
                    return parse_lsn(self._primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])
                except psycopg.OperationalError:
                    self._close_primary()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _close_primary(self) -> None:
        _close_quietly(self._primary)
        self._primary = None

    # --- health check ----------------------------------------------------------------

    def start(self) -> ReplicaSet:
        """Start checking now (the adapters call it when they build the app), so the first reads
        can already use a replica; after a fork the child starts its own on first use."""
        self._ensure_checking()
        return self

    def _ensure_checking(self) -> None:
        """The health check thread of this process (started on first use, again after a fork)."""
        if self._thread_pid == os.getpid():
            return
        with self._start_lock:
            if self._thread_pid == os.getpid():
                return
            self._primary = None  # a connection inherited across fork belongs to the parent
            for replica in self.replicas:
                replica.connection = None
            self._stop = threading.Event()
            threading.Thread(target=self._run, name="finboard-replica-check", daemon=True).start()
            self._thread_pid = os.getpid()

    def _run(self) -> None:
        while True:
            try:
                self.check_once()
            except Exception:  # the check must never die: a dead check means stale health forever
                logger.exception("replica health check failed")
            if self._stop.wait(self.interval):
                return

    def check_once(self) -> None:
        """One round: sample the primary's LSN, then every replica that is due."""
        now = time.monotonic()
        try:
            self._samples.append((now, self.primary_lsn()))
        except psycopg.Error:
            pass  # the primary is down: the replicas' lag is measured against the last samples
        horizon = now - max(60.0, 4 * self.max_lag)
        while self._samples and self._samples[0][0] < horizon:
            self._samples.popleft()
        for replica in self.replicas:
            if replica.healthy or now >= replica.next_check:
                self._check(replica)

    def _check(self, replica: Replica) -> None:
        try:
            if replica.connection is None or replica.connection.closed:
                replica.connection = _checking_connection(replica.dsn)
            standby, replayed = replica.connection.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
            ).fetchone()
        except psycopg.Error as exc:
            self._failed(replica, f"{exc.__class__.__name__}: {exc}".strip())
            return
        if not standby or replayed is None:
            self._failed(replica, "not a streaming standby (promoted, or never replayed)")
            return
        replica.replay_lsn = parse_lsn(replayed)
        replica.lag = self._lag(replica.replay_lsn)
        if not replica.healthy:
            logger.warning("replica %d is back (lag %.2fs)", replica.index, replica.lag)
        replica.healthy, replica.failures = True, 0

    def _lag(self, replayed: int) -> float:
        """Seconds since the oldest primary sample the replica has not replayed (0: none)."""
        for sampled_at, lsn in self._samples:
            if lsn > replayed:
                return time.monotonic() - sampled_at
        return 0.0

    def _failed(self, replica: Replica, reason: str) -> None:
        if replica.healthy or replica.failures == 0:
            logger.warning("replica %d out of rotation: %s", replica.index, reason)
        replica.healthy = False
        replica.failures += 1
        replica.next_check = time.monotonic() + min(self.interval * 2**replica.failures, MAX_BACKOFF)
        _close_quietly(replica.connection)
        replica.connection = None

    def close(self) -> None:
        """Stop this process's health check and close its connections (tests, shutdown)."""
        self._stop.set()
        self._thread_pid = 0
        with self._primary_lock:
            self._close_primary()
        for replica in self.replicas:
            if replica.connection is not None:
                replica.connection.close()
                replica.connection = None
        self.redis.close()


def _checking_connection(dsn: str) -> psycopg.Connection:
    """A connection of the health check or the LSN probe: autocommit, short connect and statement timeouts."""
    return psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT, options=CHECK_OPTIONS)


def _close_quietly(connection: psycopg.Connection | None) -> None:
    """Close a probe's connection that may already be broken (its error says nothing new)."""
    if connection is not None:
        try:
            connection.close()
        except psycopg.Error:
            pass
