"""Separate hosts on one machine: Linux network namespaces on a private bridge.

A deployment that spans hosts fails in ways one process tree on 127.0.0.1 cannot show: a
host vanishes with its connections, the others must notice over the network. Each host is
a network namespace (``ip netns``) with one veth link into a bridge that lives in a
namespace of its own, so the machine's own interfaces, routes and addresses are never
touched; every address is in 10.231.0.0/24 and exists only inside those namespaces.

The test process stays in the root namespace: it reaches the hosts' PostgreSQL through
Unix sockets (files, which namespaces do not separate) and runs everything else in a
host with ``ip netns exec``. Tearing down kills every process still inside a namespace
(``ip netns pids``: only what these hosts ran) and deletes the namespaces, which takes
the veth links and the bridge with them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "10.231.0"


class NamespaceError(RuntimeError):
    """The machine can't make network namespaces (not root, no iproute2, no CAP_SYS_ADMIN)."""


def _ip(*args: str) -> str:
    try:
        done = subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)
    except FileNotFoundError as exc:
        raise NamespaceError("iproute2 (`ip`) is required: apt-get install -y iproute2") from exc
    except subprocess.CalledProcessError as exc:
        raise NamespaceError(f"`ip {' '.join(args)}` failed: {exc.stderr.strip()} (needs root)") from exc
    return done.stdout


@dataclass
class Host:
    """One machine of the deployment: a namespace with one address on the bridge."""

    name: str
    namespace: str
    address: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)  # what the last wait_http's failed attempts got

    def argv(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    def run(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``argv`` on this host to completion; a failure says what the command printed."""
        done = subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(argv)} exited {done.returncode}: {done.stderr or done.stdout}")
        return done

    def popen(self, argv: list[str], *, env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen:
        """Start ``argv`` on this host in a process group of its own (so it can be killed whole)."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                self.argv(argv), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a process and everything in its group: a host lost without a goodbye."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)

    def http_status(self, url: str, timeout: float = 1.0) -> str:
        """``url``'s HTTP status from this host (curl inside the namespace), or curl's error code."""
        probe = subprocess.run(
            self.argv(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", str(timeout), url]),
            capture_output=True,
            text=True,
        )
        return probe.stdout if probe.returncode == 0 else f"curl exit {probe.returncode}"

    def wait_http(self, url: str, timeout: float, process: subprocess.Popen | None = None) -> float:
        """Seconds until ``url`` answers 2xx from this host; fails if ``process`` dies first.
        ``probes`` keeps what the failed attempts got (refused, timed out, 503 …)."""
        started = time.monotonic()
        self.probes = []
        while time.monotonic() - started < timeout:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{self.name}: the server exited ({process.returncode}) before {url} answered")
            status = self.http_status(url)
            if status.startswith("2"):
                return time.monotonic() - started
            self.probes.append(status)
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: no 2xx from {url} within {timeout:.0f}s: {self.probes[-5:]}")


class Network:
    """Hosts on one bridge; use as a context manager so everything goes even on failure."""

    def __init__(self, prefix: str = "fbnet"):
        if os.geteuid() != 0:
            raise NamespaceError("network namespaces need root (ip netns add): run the test as root")
        for tool in ("ip", "curl"):
            if shutil.which(tool) is None:
                raise NamespaceError(f"`{tool}` is required for the multi-host test: apt-get install -y iproute2 curl")
        self.tag = f"{prefix}{os.getpid() % 100000}"
        self.switch = f"{self.tag}-sw"
        self.hosts: dict[str, Host] = {}
        self._namespaces: list[str] = []

    def __enter__(self) -> Network:
        try:
            self._add_namespace(self.switch)
            _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "br0", "up")
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    def _add_namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self._namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def add_host(self, name: str, last_octet: int) -> Host:
        """A namespace with ``eth0`` at 10.231.0.<last_octet>/24, its other end on the bridge."""
        namespace = f"{self.tag}-{name}"
        index = len(self.hosts)
        inside, outside = f"{self.tag}h{index}"[-15:], f"{self.tag}s{index}"[-15:]
        self._add_namespace(namespace)
        _ip("link", "add", inside, "netns", namespace, "type", "veth", "peer", "name", outside, "netns", self.switch)
        _ip("-n", namespace, "link", "set", inside, "name", "eth0")
        address = f"{SUBNET}.{last_octet}"
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        _ip("-n", self.switch, "link", "set", outside, "master", "br0", "up")
        host = Host(name, namespace, address)
        self.hosts[name] = host
        return host

    def destroy(self) -> None:
        """Kill whatever still runs in the namespaces (only the hosts' own processes), then delete them."""
        for host in self.hosts.values():
            for process in host.processes:
                if process.poll() is None:
                    host.kill(process)
        for namespace in reversed(self._namespaces):
            try:
                pids = _ip("netns", "pids", namespace).split()
            except NamespaceError:
                pids = []
            for pid in pids:  # daemons that left our process groups (postgres via pg_ctl)
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                _ip("netns", "del", namespace)
            except NamespaceError:
                pass
        self._namespaces.clear()
