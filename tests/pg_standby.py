"""A real PostgreSQL streaming standby of a running primary, for tests that need a replica.

``Standby(primary_admin_dsn)`` takes one base backup (``pg_basebackup -R -X stream``,
with a physical replication slot so the primary keeps the WAL a stopped standby
needs to catch up), writes the standby's own ``postgresql.conf`` and
``pg_hba.conf`` (a Debian primary keeps its configuration outside the data
directory, so the backup has none), and starts it on a free loopback port as the
``postgres`` user. It is a hot standby: it answers reads, and the tests pause its
replay (``pause_replay``) to make it stale on purpose, stop it to make it die.

The primary must allow replication from 127.0.0.1: :func:`allow_replication`
adds the ``pg_hba.conf`` line if no rule covers it and reloads the primary (no
restart). A cluster made by ``initdb`` (``tests.services.ThrowawayPostgres``)
already has it; the shared Debian cluster does not.

Usage (reusable by any test module)::

    primary = ThrowawayPostgres()
    standby = Standby(primary.admin_dsn)
    ...
    standby.destroy()  # stops it and drops its slot on the primary
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from tests.services import _as_postgres, _pg_bin, free_port

# Settings a hot standby must have at least as high as its primary's.
HOT_STANDBY_MINIMUMS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
SLOT_PREFIX = "finboard_test_standby_"
HBA_LINE = "host replication all 127.0.0.1/32 trust"


def allow_replication(admin_dsn: str) -> None:
    """Let 127.0.0.1 replicate from the primary: a pg_hba line if none covers it, then a reload."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        covered = conn.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND 'replication' = ANY(database) "
            "AND (address = '127.0.0.1' OR address IS NULL OR address = 'all') AND error IS NULL"
        ).fetchone()[0]
        if covered:
            return
        hba_file = Path(conn.execute("SHOW hba_file").fetchone()[0])
        text = hba_file.read_text()
        if HBA_LINE not in text.splitlines():
            # First in the file: pg_hba rules are tried in order.
            hba_file.write_text(f"# finboard tests: streaming standbys (tests/pg_standby.py)\n{HBA_LINE}\n{text}")
        conn.execute("SELECT pg_reload_conf()")


def _drop_stale_slots(conn: psycopg.Connection) -> None:
    """Slots a crashed test left behind keep WAL forever: drop our inactive ones."""
    stale = conn.execute(
        "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s AND NOT active", (SLOT_PREFIX + "%",)
    ).fetchall()
    for (name,) in stale:
        conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))


class Standby:
    """A hot standby of the primary at ``primary_admin_dsn`` (a superuser connection to it)."""

    def __init__(self, primary_admin_dsn: str):
        self.primary_admin_dsn = primary_admin_dsn
        allow_replication(primary_admin_dsn)
        primary = psycopg.conninfo.conninfo_to_dict(primary_admin_dsn)
        self.slot = SLOT_PREFIX + uuid.uuid4().hex[:10]
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="finboard-standby-"))
        self.data = self.root / "data"
        self.log = self.root / "standby.log"
        with psycopg.connect(primary_admin_dsn, autocommit=True) as conn:
            _drop_stale_slots(conn)
            minimums = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in HOT_STANDBY_MINIMUMS}
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        _as_postgres(
            [
                _pg_bin("pg_basebackup"),
                "-h",
                str(primary.get("host", "127.0.0.1")),
                "-p",
                str(primary.get("port", 5432)),
                "-U",
                str(primary.get("user", "root")),
                "-D",
                str(self.data),
                "-R",  # standby.signal + primary_conninfo
                "-X",
                "stream",
                "-C",
                "-S",
                self.slot,
                "-c",
                "fast",
                "--no-sync",
            ],
            timeout=120,
        )
        settings = [f"{name} = {value}" for name, value in minimums.items()]
        settings += ["hot_standby = on", "fsync = off", "wal_receiver_status_interval = 1s"]
        self._write("postgresql.conf", "\n".join(settings) + "\n")
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self.start()

    def _write(self, name: str, text: str) -> None:
        path = self.data / name
        path.write_text(text)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://root@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """The standby's ``database`` as FinBoard's settings take it."""
        return f"postgresql+psycopg://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        _as_postgres(
            [_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"]
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def _execute(self, sql: str):
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql).fetchone()

    def pause_replay(self) -> None:
        """Keep receiving WAL but apply none of it: every read is stale from now on."""
        self._execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self._execute("SELECT pg_wal_replay_resume()")

    def replay_lsn(self) -> str:
        return self._execute("SELECT pg_last_wal_replay_lsn()::text")[0]

    def wait_caught_up(self, timeout: float = 20) -> None:
        """Until the standby has replayed everything the primary had written when this was called."""
        with psycopg.connect(self.primary_admin_dsn, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        while True:
            try:
                done = self._execute(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]
            except psycopg.OperationalError:
                done = False
            if done:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"standby on port {self.port} did not replay {target} in {timeout}s: {self.log}")
            time.sleep(0.05)

    def destroy(self, drop_slot: bool = True) -> None:
        """Stop it and remove its files; ``drop_slot=False`` when the primary goes away too."""
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        if drop_slot:
            self._drop_slot()
        shutil.rmtree(self.root, ignore_errors=True)

    def _drop_slot(self, timeout: float = 10) -> None:
        """Drop the slot on the primary (its walsender may take a moment to notice the standby died)."""
        deadline = time.monotonic() + timeout
        try:
            with psycopg.connect(self.primary_admin_dsn, autocommit=True) as conn:
                while True:
                    try:
                        conn.execute(
                            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
                            (self.slot,),
                        )
                        return
                    except psycopg.errors.ObjectInUse:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)
        except psycopg.Error:
            pass  # left behind: the next Standby() drops inactive slots of ours (_drop_stale_slots)
