"""The services of a multi-host FinBoard, each started for real on a namespace host (tests.reliability.netns).

PostgreSQL runs as a dedicated primary cluster and a streaming standby made from it with
``pg_basebackup -R`` (two data directories, two hosts), listening on their host's address
and on a private Unix socket the test reads through; Redis, the app hosts (``gunicorn
wsgi:app``), the worker host (``flask worker``) and nginx are the commands an operator runs.
Nothing here uses the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.reliability.netns import SUBNET, Host

ROOT = Path(__file__).resolve().parents[2]
PG_PORT = 5432
REDIS_PORT = 6379
APP_PORT = 8000
LB_PORT = 8080


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise RuntimeError(f"{tool} not found under /usr/lib/postgresql/*/bin: apt-get install -y postgresql")
    return found[-1]


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: its tools run as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class PgNode:
    """One PostgreSQL cluster on a host: ``url`` for the other hosts, ``local_dsn`` (Unix socket) for the test."""

    host: Host
    data: Path
    socket_dir: Path
    log: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://root@{self.host.address}:{PG_PORT}/{database}"

    def local_dsn(self, database: str) -> str:
        return f"postgresql://root@/{database}?host={self.socket_dir}&port={PG_PORT}"

    def local_url(self, database: str) -> str:
        return f"postgresql+psycopg://root@/{database}?host={self.socket_dir}&port={PG_PORT}"

    def start(self) -> None:
        options = (
            f"-p {PG_PORT} -k {self.socket_dir} -c listen_addresses={self.host.address} "
            "-c fsync=off -c synchronous_commit=on -c max_connections=100"
        )
        pg_ctl = [_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"]
        self.host.run(_as_postgres(pg_ctl))

    def stop(self) -> None:
        pg_ctl = [_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_postgres(pg_ctl), capture_output=True, timeout=30)

    def query(self, database: str, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.local_dsn(database), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


def _postgres_dirs(root: Path, name: str) -> tuple[Path, Path]:
    base = root / name
    socket_dir = base / "socket"
    socket_dir.mkdir(parents=True)
    for path in (base, socket_dir):
        shutil.chown(path, "postgres")
    return base, socket_dir


def start_primary(host: Host, root: Path) -> PgNode:
    """A fresh cluster whose pg_hba trusts the 10.231.0.0/24 hosts, replication included."""
    base, socket_dir = _postgres_dirs(root, "primary")
    data = base / "data"
    host.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "root", "--no-sync", "-E", "UTF8"]))
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {SUBNET}.0/24 trust\nhost replication all {SUBNET}.0/24 trust\n")
    node = PgNode(host, data, socket_dir, base / "postgres.log")
    node.start()
    return node


def start_standby(host: Host, primary: PgNode, root: Path) -> PgNode:
    """A hot standby of ``primary`` on another host: ``pg_basebackup -R`` over the network, then streaming."""
    base, socket_dir = _postgres_dirs(root, "standby")
    data = base / "data"
    backup = [_pg_bin("pg_basebackup"), "-h", primary.host.address, "-p", str(PG_PORT), "-U", "root"]
    host.run(_as_postgres([*backup, "-D", str(data), "-R", "-X", "stream", "--no-sync", "-c", "fast"]))
    node = PgNode(host, data, socket_dir, base / "postgres.log")
    node.start()
    return node


def replica_caught_up(primary: PgNode, standby: PgNode, database: str, timeout: float = 30) -> float:
    """Seconds until the standby has replayed everything the primary had written when asked."""
    target = primary.query(database, "SELECT pg_current_wal_lsn()")[0][0]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        lag = standby.query(database, "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", target)[0][0]
        if lag is not None and lag <= 0:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"the standby did not replay up to {target} within {timeout}s")


def start_redis(host: Host, log: Path) -> subprocess.Popen:
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server not found: apt-get install -y redis-server")
    argv = [server, "--bind", host.address, "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
            "--protected-mode", "no"]  # fmt: skip
    process = host.popen(argv, env=dict(os.environ), log=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ping = subprocess.run(host.argv(["redis-cli", "-h", host.address, "-p", str(REDIS_PORT), "ping"]),
                              capture_output=True, text=True)  # fmt: skip
        if ping.stdout.strip() == "PONG":
            return process
        time.sleep(0.1)
    raise RuntimeError(f"redis-server did not answer on {host.address}:{REDIS_PORT}")


def start_app(host: Host, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``gunicorn wsgi:app`` with the project's gunicorn.conf.py, bound to the host's address
    (not waited for: :func:`wait_app` does, so several hosts boot at once)."""
    env = {**env, "BIND": f"{host.address}:{APP_PORT}"}
    return host.popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                      env=env, log=log, cwd=ROOT)  # fmt: skip


def wait_app(host: Host, process: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds until the app host's /healthz answers 200."""
    return host.wait_http(f"http://{host.address}:{APP_PORT}/healthz", timeout, process)


def start_worker(host: Host, env: dict[str, str], log: Path, concurrency: int = 4) -> subprocess.Popen:
    """``flask worker``: the same settings as the app hosts, FLASK_APP=wsgi."""
    env = {**env, "FLASK_APP": "wsgi"}
    argv = [sys.executable, "-m", "flask", "worker", "--concurrency", str(concurrency)]
    return host.popen(argv, env=env, log=log, cwd=ROOT)


NGINX_CONF = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format timed '$msec $status $request_method $upstream_addr $upstream_status $request_time';
    access_log {root}/access.log timed;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream finboard {{
{servers}
    }}
    server {{
        listen {address}:{port};
        location / {{
            proxy_pass http://finboard;
            proxy_connect_timeout 1s;
            # A refused or reset connection goes to the next host; a POST already sent is
            # not replayed (nginx's default for non-idempotent requests): it answers 502.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            add_header X-Upstream $upstream_addr always;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }}
    }}
}}
"""


def start_nginx(host: Host, apps: list[Host], root: Path) -> subprocess.Popen:
    """nginx with its own config and prefix (not the system service), round-robin over ``apps``."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is required for the multi-host test: apt-get install -y nginx")
    root.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {app.address}:{APP_PORT} max_fails=1 fail_timeout=2s;" for app in apps)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, servers=servers, address=host.address, port=LB_PORT))
    process = host.popen([nginx, "-p", str(root), "-c", str(conf), "-g", "daemon off;"],
                         env=dict(os.environ), log=root / "nginx.out")  # fmt: skip
    host.wait_http(f"http://{host.address}:{LB_PORT}/healthz", 15, process)
    return process
