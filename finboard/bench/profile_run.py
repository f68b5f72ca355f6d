"""``flask bench profile``: each backend loaded by wrk while py-spy samples its workers, then the files.

It exists because "flask-sql reaches 0.5× of wsgi-raw" says how far, not
why. Each backend is served as ``flask bench run`` serves it — the same
registry entry under the same server (finboard.bench.servers), the same
environment (finboard.bench.plan.server_env), started and stopped by
finboard.serving, verified by finboard.bench.verify — on the same seeded data
(finboard.bench.database), and loaded by the same wrk script (finboard.bench.wrk)
with the scenario's requests (finboard.bench.scenarios). Per backend and
scenario: an unsampled warm-up, then py-spy attached to the server's tree
(finboard.bench.pyspy) while wrk runs for the cell and the server's CPU
seconds are read from /proc over the same window (finboard.bench.resources).
The collapsed stacks are kept gzipped; profile.json and profile.md say per
layer where each backend's CPU per request goes (finboard.bench.profile_math,
finboard.bench.profile_report).
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from finboard.bench import database, environment, pyspy, servers, wrk
from finboard.bench import options as opts
from finboard.bench.ceilings import ceiling_of
from finboard.bench.plan import server_env
from finboard.bench.profile_layers import LAYER_NOTES, LAYERS, parse
from finboard.bench.profile_math import CellProfile, comparisons
from finboard.bench.resources import CpuAccount, Sampler, system_seconds, tree
from finboard.bench.scenarios import SCENARIOS, write_lua
from finboard.bench.sqlcount import settle
from finboard.bench.verify import Verifier
from finboard.registry import get
from finboard.serving import BackendStartError, RunningBackend, start_backend
from finboard.settings import PROJECT_ROOT

KIND = "finboard-bench-profile"
VERSION = 1
DEFAULT_BACKENDS, DEFAULT_SCENARIOS = opts.PROFILE_BACKENDS, opts.PROFILE_SCENARIOS
FAILED = ("failed_to_start", "failed_verification", "died", "error")


@dataclass
class ProfileOptions:
    backends: list[str] = field(default_factory=lambda: list(DEFAULT_BACKENDS))
    scenarios: list[str] = field(default_factory=lambda: list(DEFAULT_SCENARIOS))
    data_size: int = opts.DEFAULT_DATA_SIZE
    duration_s: int = 8
    warmup_s: int = 2
    concurrency: int = 8
    workers: int = 1
    threads: int = 1
    sample_rate: int = pyspy.DEFAULT_RATE
    server: str = servers.DEFAULT
    database: str | None = None
    pool_size: int = opts.DEFAULT_POOL_SIZE
    timeout_s: int = opts.DEFAULT_TIMEOUT_S
    out: Path = Path("bench-results/profile")
    command: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["out"] = str(self.out)
        data.pop("command", None)
        if data.get("database"):
            from sqlalchemy.engine import make_url

            data["database"] = make_url(data["database"]).render_as_string(hide_password=True)
        return data


class ProfileRun:
    """One ``flask bench profile``: the data, then per backend its server, its verification, a cell per scenario."""

    def __init__(self, options: ProfileOptions, echo=print):
        self.o = options
        self.echo = echo
        self.out = Path(options.out)
        self.cells: list[CellProfile] = []
        self.cell_files: dict[tuple[str, str], dict] = {}
        self.backends: dict[str, dict] = {}
        self.document: dict = {}
        self.interrupted = False
        self.postgres: tuple[bool, str | None] = (False, None)  # (local: its CPU is counted, the database's name)

    def execute(self) -> dict:
        """Run every backend × scenario; the document (also written as profile.json and profile.md)."""
        binary = pyspy.find_pyspy()  # ProfilerError before anything starts
        wrk.find_wrk()  # WrkError likewise
        self._check_database()
        labels = [servers.label(name, self.o.server) for name in self.o.backends]
        self.backends = {label: {"status": "pending", "problems": [], "ceiling": ceiling_of(label)} for label in labels}
        self.document = {
            "kind": KIND,
            "version": VERSION,
            "command": self.o.command,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "settings": self.o.as_dict(),
            "layers": list(LAYERS),
            "layer_notes": LAYER_NOTES,
        }
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "raw").mkdir(exist_ok=True)
        with ExitStack() as cleanup:
            tmp = Path(tempfile.mkdtemp(prefix="finboard-profile-"))
            cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
            url = self._database(cleanup)
            self.postgres = (database.is_local(url), make_url(url).database or None)
            self.document["environment"] = {
                **environment.collect(
                    postgres_version=database.server_version(url), redis_url=None, wrk=wrk.wrk_version()
                ),
                "py_spy": pyspy.pyspy_version(binary),
            }
            self.echo(f"Reading the data of {self.o.data_size:,} posts…")
            search = any(s.startswith("search") for s in self.o.scenarios)
            facts = database.read_facts(url, terms=search)
            self.document["data"]["posts"] = facts.post_count  # a kept --database has the posts it has
            env = server_env(url, secrets.token_urlsafe(32), self.o.pool_size, "off", opts.DEFAULT_REDIS_URL)
            requests = {s: SCENARIOS[s].generate(facts) for s in self.o.scenarios}
            files = {s: write_lua(tmp / f"{s}.lua", r, SCENARIOS[s].expected_statuses(r)) for s, r in requests.items()}
            verifier = Verifier()
            try:
                for name, label in zip(self.o.backends, labels, strict=True):
                    self._backend(name, label, env, requests, files, verifier, binary, tmp)
            except KeyboardInterrupt:
                self.interrupted = True
                self.echo("Interrupted: writing what was profiled so far…")
            finally:
                self._write()
        return self.document

    def _check_database(self) -> None:
        if self.o.database:
            url = database.check_postgres_url(self.o.database)
            database.connect(database.libpq_dsn(url)).close()
        else:
            database.connect(database.default_admin_dsn()).close()

    def _database(self, cleanup: ExitStack) -> str:
        """The given database, or a throwaway one: migrated and seeded like ``flask bench run``'s."""
        if self.o.database:
            url = database.check_postgres_url(self.o.database)
        else:
            url = cleanup.enter_context(database.throwaway_database(database.default_admin_dsn()))
        database.migrate(url)
        self.echo(f"Seeding {self.o.data_size:,} posts (unless the database has posts)…")
        started = time.monotonic()
        seeded = database.seed_if_empty(url, self.o.data_size)
        self.document["data"] = {
            "posts": self.o.data_size,
            "seeded": seeded,
            "seed_s": round(time.monotonic() - started, 1),
        }
        return url

    def _backend(self, name, label, env, requests, files, verifier, binary, tmp) -> None:
        """Start the backend as ``flask bench run`` does, verify it, then one sampled cell per scenario."""
        info = self.backends[label]
        backend = servers.served_by(get(name), self.o.server)
        info["server"] = servers.describe(backend, self.o.server)
        missing = [*backend.missing_dependencies()]
        if missing:
            return self._fail(label, "failed_to_start", f"missing dependencies: {', '.join(missing)}")
        scenarios = [s for s in self.o.scenarios if SCENARIOS[s].applies_to(backend)]
        info["skipped_scenarios"] = [s for s in self.o.scenarios if s not in scenarios]
        self.echo(f"{label}: starting under {info['server']} with {self.o.workers} worker(s)…")
        try:
            server = start_backend(backend, env=env, workers=self.o.workers, log_dir=self.out / "logs", timeout=60)
        except (BackendStartError, OSError) as exc:
            return self._fail(
                label, "failed_to_start", str(exc).split("\n--- log tail")[0], getattr(exc, "log_tail", "")
            )
        try:
            info["startup_s"] = round(server.startup_s or 0, 3)
            verdict = verifier.verify(label, server.base_url, {s: (requests[s], False) for s in scenarios}, None)
            info["verification"] = verdict.as_dict()
            if not verdict.ok:
                return self._fail(label, "failed_verification", "; ".join(verdict.problems[:3]), server.log_tail())
            settle(server.process.pid)
            for scenario in scenarios:
                if not self._cell(label, server, scenario, files[scenario], binary, tmp):
                    return None
            info["status"] = "ok"
        finally:
            server.stop()
        return None

    def _cell(self, label: str, server: RunningBackend, scenario: str, requests_file: Path, binary, tmp) -> bool:
        """Warm-up, then wrk for the cell while py-spy samples and /proc counts; False when the server died."""
        if self.o.warmup_s:
            self.echo(f"{label} · {scenario} · warm-up {self.o.warmup_s}s (not sampled)")
            with suppress(wrk.WrkError):
                self._wrk(server, requests_file, self.o.warmup_s, tmp)
            settle(server.process.pid)
        stem = f"{label.replace('@', '_at_')}-{scenario}"
        recorder = pyspy.Recorder(
            server.process.pid,
            tmp / f"{stem}.txt",
            self.out / "logs" / f"{stem}-py-spy.log",
            self.o.sample_rate,
            binary,
        )
        self.echo(f"{label} · {scenario} · {self.o.duration_s}s at c={self.o.concurrency}, sampled by py-spy")
        recorder.start()
        system = CpuAccount(lambda: tree(server.process.pid), measure=system_seconds)  # the kernel layer
        try:
            local, dbname = self.postgres
            with Sampler(server.process.pid, postgres=local, database=dbname) as sampler:
                system.start()
                try:
                    run = self._wrk(server, requests_file, self.o.duration_s, tmp, sampler)
                finally:
                    sampler.stop()
                    system.update()
            recording = recorder.stop()
        except BaseException:
            recorder.kill()
            raise
        settle(server.process.pid)
        if not server.alive():
            self._fail(label, "died", f"exited with code {server.process.returncode} under load", server.log_tail())
            return False
        lines = recording.path.read_text(errors="replace").splitlines()
        raw_name = f"raw/{stem}.txt.gz"
        with gzip.open(self.out / raw_name, "wt") as gz:
            gz.write("\n".join(lines) + "\n")
        figures = run.result
        cell = CellProfile(
            backend=label,
            scenario=scenario,
            successes=figures["successes"],
            cpu_s=sampler.window.server_cpu_s or 0.0,
            duration_s=figures["duration_s"],
            samples=list(parse(lines, roots=[str(PROJECT_ROOT)])),
            postgres_cpu_s=sampler.window.postgres_cpu_s,
            rate=self.o.sample_rate,
            system_s=min(system.seconds or 0.0, sampler.window.server_cpu_s or 0.0),
        )
        self.cells.append(cell)
        self.cell_files[(label, scenario)] = {
            "raw": raw_name,
            "py_spy_samples": recording.samples,
            "py_spy_errors": recording.errors,
            "error_rate": figures["error_rate"],
            "errors": figures["errors"],
            "latency_ms": figures["latency_ms"],
            # what else ran meanwhile (CPU % of one core): wrk, and the rest of the machine (a neighbour)
            "wrk_cpu_avg": sampler.window.summary()["wrk_cpu"]["avg"],
            "other_cpu_avg": sampler.window.summary()["other_cpu"]["avg"],
        }
        if not cell.successes:
            self._fail(label, "error", f"{scenario}: no successful request in {self.o.duration_s}s")
            return False
        return True

    def _wrk(self, server: RunningBackend, requests_file: Path, duration: int, tmp: Path, sampler=None):
        def started(process):
            if sampler is not None:
                sampler.wrk_pid = process.pid

        return wrk.run_wrk(
            server.base_url,
            requests_file=requests_file,
            out_file=tmp / "wrk-out.json",
            connections=self.o.concurrency,
            threads=self.o.threads,
            duration_s=duration,
            timeout_s=self.o.timeout_s,
            on_start=started,
        )

    def _fail(self, label: str, status: str, reason: str, log_tail: str = "") -> None:
        info = self.backends[label]
        info["status"] = status
        info["problems"].append(reason)
        if log_tail:
            info["log_tail"] = log_tail
        self.echo(f"{label}: {status.replace('_', ' ')}: {reason}")

    def failed(self) -> list[str]:
        """One line per backend that did not start, failed verification, died or served nothing."""
        return [
            f"{label}: {info['status'].replace('_', ' ')}: {(info['problems'] or ['no reason recorded'])[0]}"
            for label, info in self.backends.items()
            if info["status"] in FAILED
        ]

    def _write(self) -> None:
        from finboard.bench.profile_report import markdown

        self.document["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.document["interrupted"] = self.interrupted
        self.document["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        self.document["backends"] = self.backends
        self.document["cells"] = [
            {**c.as_dict(), **self.cell_files.get((c.backend, c.scenario), {})} for c in self.cells
        ]
        self.document["comparisons"] = [c.as_dict() for c in comparisons(self.cells, ceiling_of)]
        (self.out / "profile.json").write_text(json.dumps(self.document, indent=1, ensure_ascii=False) + "\n")
        (self.out / "profile.md").write_text(markdown(self.document))


class ProfileFileError(ValueError):
    """A --profile directory without a readable profile.json of ``flask bench profile``."""


def load(directory: Path) -> dict:
    """The profile.json in ``directory`` (or the file itself); ProfileFileError saying why it can't be used."""
    path = directory / "profile.json" if directory.is_dir() else directory
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ProfileFileError(f"{path}: not a readable profile ({exc}); make one with `flask bench profile`") from exc
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ProfileFileError(f"{path}: not a profile of `flask bench profile` (no kind {KIND!r})")
    return document


RECORDED = ("raw", "py_spy_samples", "py_spy_errors", "error_rate", "errors", "latency_ms", "wrk_cpu_avg",
            "other_cpu_avg")  # fmt: skip


def rebuild(directory: Path) -> dict:
    """profile.json and profile.md of ``directory`` derived again from its raw stacks and recorded CPU figures.

    For a change of the classifier or the report: nothing is run, the measured
    figures (requests, CPU seconds) are the recorded ones.
    """
    from finboard.bench.profile_report import markdown

    document = load(directory)
    cells = []
    for recorded in document.get("cells", []):
        try:
            with gzip.open(directory / recorded["raw"], "rt") as raw:
                lines = raw.read().splitlines()
        except (OSError, KeyError) as exc:
            raise ProfileFileError(f"{directory}: the raw stacks of a cell can't be read ({exc})") from exc
        cell = CellProfile(
            backend=recorded["backend"],
            scenario=recorded["scenario"],
            successes=recorded["successes"],
            cpu_s=recorded["cpu_s"],
            duration_s=recorded["duration_s"],
            samples=list(parse(lines, roots=[str(PROJECT_ROOT)])),
            postgres_cpu_s=_postgres_cpu_s(recorded),
            rate=(document.get("settings") or {}).get("sample_rate"),
            system_s=recorded.get("system_s") or 0.0,
        )
        cells.append((cell, {k: recorded[k] for k in RECORDED if k in recorded}))
    document["layers"], document["layer_notes"] = list(LAYERS), LAYER_NOTES
    document["cells"] = [{**c.as_dict(), **kept} for c, kept in cells]
    document["comparisons"] = [c.as_dict() for c in comparisons([c for c, _ in cells], ceiling_of)]
    document["rebuilt_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (directory / "profile.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    (directory / "profile.md").write_text(markdown(document))
    return document


def _postgres_cpu_s(recorded: dict) -> float | None:
    if recorded.get("postgres_cpu_s") is not None:
        return recorded["postgres_cpu_s"]
    per_request = recorded.get("postgres_cpu_us_per_request")  # files written before postgres_cpu_s was
    return None if per_request is None else per_request * recorded["successes"] / 1e6
