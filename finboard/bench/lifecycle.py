"""The servers of ``flask bench run``: each backend's started, verified, kept, failed or stopped.

It exists apart from the rounds (finboard.bench.runner) because a server's
life has its own rules: started and verified on the backend's first turn of a
cache mode and kept for that mode's rounds; a backend that can't start, fails
its verification or dies is recorded with its reason and log tail, its
remaining cells and steps marked, and its server ended so it holds no workers
or connections while the others run; a cache-on turn without Redis is skipped.
"""

from __future__ import annotations

import os
import signal
from contextlib import suppress

from finboard.bench import baseline
from finboard.bench.plan import PENDING, CellKey
from finboard.bench.steps import Step
from finboard.bench.target import TARGET
from finboard.serving import BackendStartError, start_backend


class Lifecycle:
    """Start, verify, fail and stop the backends' servers (mixed into BenchRun)."""

    def _pending(self, name: str, cache: str, repeat: int) -> list[CellKey]:
        return [
            k
            for k in self.cells
            if (k.size, k.backend, k.repeat, k.cache) == (self.size, name, repeat, cache)
            and self.cells[k]["status"] == PENDING
        ]

    def _skipped(self, name: str, cache: str, keys) -> bool:
        """True (the keys marked skipped) when the backend failed earlier or the cache-on pass has no Redis."""
        if name in self.failed:
            problems = self.run["backends"][name]["problems"]
            self._mark(keys, "skipped", f"{name} failed earlier in this run: {problems[-1]}")
            return True
        if cache == "on" and not self._redis_ok():
            self._mark(keys, "skipped", f"Redis is not reachable at {self.o.redis_url}: no cache-on pass")
            self.progress.message(f"{name}: Redis is not reachable at {self.o.redis_url}; skipping the cache-on pass")
            self.progress.complete_matching(size=self.size, backend=name, cache=cache)
            return True
        return False

    def _serve(self, name: str, cache: str, keys) -> bool:
        """Make the backend's server the active one: started and verified on its first turn; False when it failed."""
        self.active = self.running.get(name)
        if self.active is None:
            try:
                if not self._start(name, cache, keys):
                    return False
            finally:
                self.progress.complete(Step("start", self.size, name, cache))
        self._flush_cache()
        return True

    def _start(self, name: str, cache: str, keys) -> bool:
        """Start, verify and weigh (idle memory) a backend's server for this cache mode; False when it failed."""
        info = self.run["backends"][name]
        if name != TARGET:
            missing = self.backends[name].missing_dependencies()
            if missing:
                self._fail(name, keys, "failed_to_start", f"missing dependencies: {', '.join(missing)}")
                return False
            try:
                self._flush_cache()
                self.active = start_backend(
                    self.backends[name],
                    env=self._env(cache),
                    workers=self.o.workers,
                    log_dir=self.dir / "logs",
                    cwd=self.trees.get(name),
                )
            except (BackendStartError, OSError) as exc:
                tail = getattr(exc, "log_tail", "")
                self._fail(name, keys, "failed_to_start", str(exc).split("\n--- log tail")[0], tail)
                return False
            self.running[name] = self.active
            info["startup_s"].append(round(self.active.startup_s, 3))
            info["served_from"] = baseline.process_cwd(self.active.process.pid)
        base_url = self.o.target or self.active.base_url
        scenarios = sorted({k.scenario for k in self.cells if (k.size, k.backend, k.cache) == (self.size, name, cache)})
        verdict = self._verify(name, base_url, scenarios)
        info["verification"] = verdict.as_dict()
        if not verdict.ok:
            self._fail(name, keys, "failed_verification", "; ".join(verdict.problems[:3]))
            return False
        memory_idle = self._idle_memory()
        self.memory_idle[name] = memory_idle
        info["rss_idle_mb"].append(memory_idle.get("rss"))
        info.setdefault("pss_idle_mb", []).append(memory_idle.get("pss"))
        info.setdefault("uss_idle_mb", []).append(memory_idle.get("uss"))
        info["status"] = "ok"
        return True

    def _mark(self, keys, status: str, reason: str) -> None:
        for key in keys:
            if self.cells[key]["status"] == PENDING:
                self.cells[key].update(status=status, reason=reason)
        self.progress.complete(*keys)

    def _fail(self, name: str, keys, status: str, reason: str, log_tail: str = "") -> None:
        info = self.run["backends"][name]
        info["status"] = status
        info["problems"].append(reason)
        if log_tail:
            info["log_tail"] = log_tail
        self.failed.add(name)
        self.progress.complete_matching(backend=name)  # none of its steps left will run
        self._stop(name)  # a failed server takes no more turns: it must not hold workers or connections
        self.progress.message(f"{name}: {status.replace('_', ' ')}: {reason}")
        self._mark(keys, status, reason)

    def _stop_all(self) -> None:
        """End every kept server: SIGTERM to all at once (their graceful shutdowns overlap), then wait for each."""
        for server in self.running.values():
            with suppress(OSError):
                os.killpg(server.process.pid, signal.SIGTERM)
        for name in list(self.running):
            self._stop(name)
        self.active = None

    def _stop(self, name: str) -> None:
        server = self.running.pop(name, None)
        if server is None:
            return
        with suppress(Exception):
            server.stop()
        # a master that died leaves no one to stop its workers: end its whole process group
        with suppress(OSError):
            os.killpg(server.process.pid, signal.SIGKILL)
