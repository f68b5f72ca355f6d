"""Throwaway PostgreSQL clusters and Redis servers for fault tests.

The fault tests stop and restart these while requests are flowing, so they
must never touch the machine's shared services: each gets its own data
directory and free loopback port, and is destroyed at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin(tool: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not candidates:
        raise RuntimeError(f"{tool} not found under /usr/lib/postgresql/*/bin: apt-get install -y postgresql")
    return candidates[-1]


def _as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: run its tools as the postgres user."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


class ThrowawayPostgres:
    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="finboard-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "postgres.log"
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        _as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "root", "--no-sync", "-E", "UTF8"])
        self.start()

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://root@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server not found: apt-get install -y redis-server")
        self.process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def destroy(self) -> None:
        self.stop()


PGBOUNCER_INI = """\
[databases]
* = host={pg_host} port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {root}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
query_wait_timeout = 10
logfile = {root}/pgbouncer.log
pidfile = {root}/pgbouncer.pid
"""


class ThrowawayPgBouncer:
    """Debian's ``pgbouncer`` in transaction pooling on a free port, in front of ``pg_host:pg_port``.

    Its ini is the README's (section *PgBouncer*) with a small ``default_pool_size``, so server
    connections are shared by many clients. PgBouncer refuses to run as root: as root it is
    started with ``-u postgres`` (its files then belong to postgres).
    """

    def __init__(self, pg_host: str = "127.0.0.1", pg_port: int = 5432, pool_size: int = 4):
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            raise RuntimeError("pgbouncer not found: apt-get install -y pgbouncer")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="finboard-pgbouncer-"))
        self.ini = self.root / "pgbouncer.ini"
        self.log = self.root / "pgbouncer.log"
        self.ini.write_text(
            PGBOUNCER_INI.format(pg_host=pg_host, pg_port=pg_port, port=self.port, root=self.root, pool_size=pool_size)
        )
        (self.root / "userlist.txt").write_text('"root" ""\n')
        argv = [binary, str(self.ini)]
        if os.geteuid() == 0:
            for path in (self.root, *self.root.iterdir()):
                shutil.chown(path, "postgres")
            argv[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.process.returncode}: {self.log_text()}")
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=1, prepare_threshold=None) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        self.destroy()
        raise RuntimeError(f"pgbouncer did not answer on port {self.port}: {self.log_text()}")

    def dsn(self, database: str) -> str:
        return f"postgresql://root@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://root@127.0.0.1:{self.port}/{database}"

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)
