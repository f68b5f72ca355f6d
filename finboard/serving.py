"""Start a registered backend under its production server and stop it cleanly.

Used by ``flask bench serve``, ``flask bench run`` and the conformance suite,
so all three start backends exactly the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from finboard.registry import Backend
from finboard.settings import PROJECT_ROOT


class BackendStartError(RuntimeError):
    """The backend did not answer its health URL; carries its log tail."""

    def __init__(self, message: str, log_tail: str = ""):
        super().__init__(message if not log_tail else f"{message}\n--- log tail ---\n{log_tail}")
        self.log_tail = log_tail


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class RunningBackend:
    backend: Backend
    host: str
    port: int
    process: subprocess.Popen
    log_path: Path
    startup_s: float | None = None
    _tail: deque = field(default_factory=lambda: deque(maxlen=40))

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (gunicorn's graceful shutdown), then SIGKILL the group."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)

    def __enter__(self) -> RunningBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> float:
    """Seconds until ``url`` answered 200; raises TimeoutError or RuntimeError."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url!r}")
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # nosec B310 - http(s) checked above
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"no 200 from {url} within {timeout:.0f}s")


def start_backend(
    backend: Backend,
    *,
    env: dict[str, str],
    port: int | None = None,
    workers: int = 2,
    host: str = "127.0.0.1",
    log_dir: Path | None = None,
    timeout: float = 30,
    cwd: Path | None = None,
) -> RunningBackend:
    """Spawn the backend's server in its own process group and wait for health.

    ``cwd`` serves the code of another checkout (``flask bench run --baseline``):
    the server runs there, with that tree first on PYTHONPATH.
    """
    port = port or free_port(host)
    if port_in_use(port, host):
        raise BackendStartError(f"port {port} is already in use")
    log_dir = log_dir or Path(tempfile.gettempdir())
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{backend.name.replace('/', '-')}-{port}.log"
    full_env = {**os.environ, **backend.env, **env, "PYTHONUNBUFFERED": "1"}
    if cwd is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), full_env.get("PYTHONPATH")]))
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        backend.argv(host, port, workers),
        cwd=cwd or PROJECT_ROOT,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    running = RunningBackend(backend=backend, host=host, port=port, process=process, log_path=log_path)
    try:
        running.startup_s = wait_healthy(running.base_url + backend.health_path, process, timeout)
    except (TimeoutError, RuntimeError) as exc:
        running.stop()
        raise BackendStartError(f"{backend.name} failed to start: {exc}", running.log_tail()) from exc
    return running
