"""Orchestration of ``flask bench run``: data, servers, verification, load, resources, SQL.

It exists to make the comparison fair and the run robust: the run is one
round per data size (smallest first: seed a throwaway database, read its
facts, then every backend × scenario on it); backends run one at a time on
the same seeded data, with the same workers, pool and limits; each is
verified before it is timed; a primer and a warm-up at the highest
concurrency are not counted; write scenarios are undone after each cell; with
``--repeat`` the order of backends rotates. A backend that can't start or
dies is recorded with its log tail and the run goes on; Ctrl-C (or SIGTERM)
ends every server and wrk it started and still writes the partial results.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from finboard.bench import (
    baseline,
    budget,
    database,
    environment,
    explain,
    openloop,
    precision,
    results,
    servers,
    targets,
    wrk,
)
from finboard.bench.client import login_tokens
from finboard.bench.options import RAISED_LIMIT, RunOptions
from finboard.bench.plan import PENDING, CellKey, backend_info, plan_cells, planned_seconds, rotate, server_env
from finboard.bench.progress import Progress
from finboard.bench.resources import Sampler, tree_memory_mb
from finboard.bench.scenarios import SCENARIOS, write_lua, write_tokens
from finboard.bench.sqlcount import SqlCounter, count_scenarios, settle
from finboard.bench.target import blank_server_figures, facts_from_api, post_total, serves_pages
from finboard.bench.verify import Verifier
from finboard.registry import Backend, registered
from finboard.serving import BackendStartError, RunningBackend, start_backend

TARGET = "target"
MIXED_PARTS = [name for name, s in SCENARIOS.items() if s.mix_weight]


def _interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: clean up, keep partial results
    raise KeyboardInterrupt


class BenchRun:
    def __init__(self, options: RunOptions, stream=None):
        self.o = options
        self.stream = stream
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        self.dir = Path(options.out) / stamp
        self.json_path = self.dir / "run.json"
        self.tmp = Path(tempfile.gettempdir())  # a directory of its own once the run starts
        self.backends: dict[str, Backend] = {}
        self.cells: dict[CellKey, dict] = {}
        self.sql: dict[tuple, dict] = {}  # (size, backend, cache, scenario) -> record
        self.rounds: dict[int, dict] = {}  # size -> what the results file says about its data
        self.size: int = 0  # the round running now
        self.url: str | None = None
        self.tokens_file: Path | None = None
        self.tokens: list[str] = []
        self.request_files: dict[str, tuple[Path, list]] = {}
        self.verifier = Verifier()
        self.active: RunningBackend | None = None  # the server taking its turn now
        self.running: dict[str, RunningBackend] = {}  # label -> server kept for the cache mode's rounds
        self.memory_idle: dict[str, dict] = {}  # label -> its server's idle RSS/PSS/USS
        self.failed: set[str] = set()
        self.trees: dict[str, Path] = {}  # backend label -> the checkout it is served from (--baseline)
        self.baseline_pairs: dict[str, str] = {}  # backend label -> its baseline copy (NAME@REV)
        self.write_problem: str | None = None
        self.run: dict = {}
        self.open_loop: list[dict] = []  # the --rate cells (results file: open_loop[])

    # --- plan -----------------------------------------------------------------

    def names(self) -> list[str]:
        """Every backend label of the run; a baseline copy right after its backend (they rotate together)."""
        if self.o.target:
            return [TARGET]
        base = self.aa_base()
        names = []
        for name in self.o.backends:
            label = servers.label(name, self.o.server)
            names += [label, *([baseline.label(label, self.o.baseline)] if self.o.baseline else [])]
        return [*names, *([precision.aa_copy_name(base)] if base else [])]

    def aa_base(self) -> str | None:
        """The backend label run twice (as NAME and NAME~aa) for the A/A control, or None (``--aa none``)."""
        choice = self.o.aa
        if self.o.target or not choice or choice == "none":
            return None
        if choice != "auto":
            base = choice if choice in self.o.backends else None
        elif targets.FLASK in self.o.backends:  # FinBoard's own app: the backend every comparison is about
            base = targets.FLASK
        else:
            frameworks = [n for n in self.o.backends if n != results.RAW and not precision.is_aa_copy(n)]
            base = frameworks[0] if frameworks else (self.o.backends[0] if self.o.backends else None)
        return servers.label(base, self.o.server) if base else None

    def applicable(self, name: str, scenario: str) -> bool:
        if name == TARGET:
            return not SCENARIOS[scenario].pages or self.target_pages
        backend = self.backends.get(name)
        return backend is None or SCENARIOS[scenario].applies_to(backend)

    def order(self, repeat: int) -> list[str]:
        return rotate(self.names(), repeat)

    # --- the run ----------------------------------------------------------------

    def execute(self) -> dict:
        wrk_path = wrk.find_wrk()  # WrkError before anything is started
        # Ctrl-C and SIGTERM both end in the cleanup below (even where a shell started us with SIGINT ignored).
        previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
        interrupted = False
        with ExitStack() as cleanup:
            for sig, handler in previous.items():
                cleanup.callback(signal.signal, sig, handler)
            self.tmp = Path(tempfile.mkdtemp(prefix="finboard-bench-"))
            cleanup.callback(shutil.rmtree, self.tmp, ignore_errors=True)
            cleanup.callback(self._stop_all)
            commit = baseline.resolve(self.o.baseline) if self.o.baseline else None
            tree = cleanup.enter_context(baseline.worktree(commit)) if commit else None
            self.sizes = self._check_sources(tree)
            if self.o.duration_s is None:  # --duration auto: the longest cells that fit the budget
                plan = plan_cells(self.o, self.order, self.applicable, self.sizes)
                self.o = replace(self.o, duration_s=budget.fit_duration(plan, self.o))
            self.run = results.new_run(environment.command_line() if not self.o.command else self.o.command, {}, {})
            self.run["environment"] = environment.collect(
                postgres_version=None if self.o.target else database.server_version(self.o.database or self.admin),
                redis_url=self.o.redis_url,
                wrk=wrk.wrk_version(wrk_path),
            )
            self.run["settings"] = self._settings()
            self.run["aa"] = {"backend": self.aa_base()}
            if tree is not None:
                self.run["baseline"] = {
                    "rev": self.o.baseline,
                    "commit": commit,
                    "tree": str(tree),
                    "pairs": dict(self.baseline_pairs),
                    "ratios": [],
                }
            self.run["started_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            self._plan_cells()
            try:
                for number, size in enumerate(self.sizes, 1):
                    self._round(number, size)
            except KeyboardInterrupt:
                interrupted = True
                self.progress.message("Interrupted: stopping servers and wrk, writing the partial results…")
            finally:
                self._stop_all()
                self.progress.close()
                self._finish(interrupted)
        return self.run

    @property
    def admin(self) -> str:
        return database.default_admin_dsn()

    def _check_sources(self, tree: Path | None = None) -> list[int]:
        """The round sizes; a clear error now (before any round) when the backends or the data can't be used.

        Each registry entry is run under the chosen server (``NAME@granian``), and with ``--baseline``
        once more from ``tree``, the worktree of REV (``NAME@REV``).
        """
        if self.o.target:
            self.facts = facts_from_api(self.o.target)
            self.target_pages = serves_pages(self.o.target)
            return [self.facts.post_count]
        self.target_pages = False
        all_backends = registered()
        for name in self.o.backends:
            backend = servers.served_by(all_backends[name], self.o.server)
            self.backends[backend.name] = backend
            if tree is not None:
                before = baseline.label(backend.name, self.o.baseline)
                self.backends[before] = replace(backend, name=before)
                self.trees[before] = tree
                self.baseline_pairs[backend.name] = before
        base = self.aa_base()
        if base:  # the A/A control: the same registry entry under a second name, measured like any backend
            copy = precision.aa_copy_name(base)
            self.backends[copy] = replace(self.backends[base], name=copy)
        if self.o.database:
            url = database.check_postgres_url(self.o.database)
            database.connect(database.libpq_dsn(url)).close()  # unreachable: a clear DatabaseError now
        else:
            database.connect(self.admin).close()
        return self.o.sizes

    # --- one round: one data size -------------------------------------------------

    def _round(self, number: int, size: int) -> None:
        """Seed (a throwaway database per size), read the facts, then every backend × scenario on that data."""
        self.size = size
        self.request_files = {}
        self.verifier = Verifier()  # bodies are compared within one data set
        self.tokens, self.tokens_file = [], None
        label = f"Round {number}/{len(self.sizes)}: {size:,} posts"
        with ExitStack() as round_data:
            self.progress.phase(f"{label} · seeding and reading the data…")
            started = time.monotonic()
            self.url = self._prepare_data(round_data, size)
            record = {
                "data_size": size,
                "seeded": getattr(self, "seeded", False),
                "seed_s": getattr(self, "seed_s", None),
            }
            record["prepare_s"] = round(time.monotonic() - started, 1)
            record.update(self.facts.as_dict())
            if self.url and size == self.sizes[-1]:
                self.progress.phase(f"{label} · EXPLAIN (ANALYZE, BUFFERS) of the hot queries…")
                record["explain"] = explain.explain_all(database.libpq_dsn(self.url), self.facts)
            self.rounds[size] = record
            self.run["rounds"] = [self.rounds[s] for s in sorted(self.rounds)]
            self._obtain_tokens()
            for cache in self.o.cache_modes:  # servers kept across the rounds of one cache mode
                try:
                    for repeat in range(self.o.repeat):
                        for name in self.order(repeat):
                            self._turn(name, cache, repeat)
                finally:
                    self._stop_all()
            self._save()
            if self.o.database is None and self.url:
                self.progress.phase(f"{label} · dropping its database…")
        self.url = None if self.o.database is None else self.url

    def _prepare_data(self, cleanup: ExitStack, size: int) -> str | None:
        if self.o.target:
            return None
        if self.o.database:
            url = database.check_postgres_url(self.o.database)
        else:
            url = cleanup.enter_context(database.throwaway_database(self.admin))
        database.migrate(url)
        seed_started = time.monotonic()
        self.seeded = database.seed_if_empty(url, size)
        self.seed_s = round(time.monotonic() - seed_started, 1)
        self.facts = database.read_facts(url)
        dbname = make_url(url).database or ""
        self.counter = SqlCounter(database.libpq_dsn(url), database.admin_dsn_for(url), dbname, self.o.sql_flush)
        self.sql_method = self.counter.method
        return url

    def _settings(self) -> dict:
        settings = self.o.as_dict()
        if self.o.target:  # a deployment has the data it has: its size is its post count
            settings["data_size"] = list(self.sizes)
        settings.update(
            sizes=self.sizes,
            sql_method=None,  # known once the first round's database exists
            rate_limits=None if self.o.target else RAISED_LIMIT,
            token_ttl_s=86400,
            cache_modes=self.o.cache_modes,
        )
        return settings

    def _plan_cells(self) -> None:
        plan = plan_cells(self.o, self.order, self.applicable, self.sizes)
        for key in plan:
            self.cells[key] = results.result_entry(
                backend=key.backend,
                scenario=key.scenario,
                concurrency=key.concurrency,
                repeat=key.repeat,
                cache=key.cache,
                data_size=key.size,
                status=PENDING,
            )
        docker = bool(self.run["environment"].get("docker_engine"))
        for name in self.names():
            backend = self.backends.get(name)
            self.run["backends"][name] = backend_info(name, backend, self.o.target, docker)
            if backend is not None:
                self.run["backends"][name]["server"] = servers.describe(backend, self.o.server)
        self.progress = Progress(planned_seconds(plan, self.o), self.stream)
        line, warning = budget.describe(plan, self.o)  # said before the first round starts
        self.run["settings"]["planned_s"] = round(budget.estimate_s(plan, self.o))
        self.progress.message(line)
        if warning:
            self.progress.message(warning)

    # --- one backend, one cache mode ------------------------------------------------

    def _turn(self, name: str, cache: str, repeat: int) -> None:
        """One backend's turn in a round: its server (started on its first turn, kept after), its scenarios.

        Starting a server per round cost more than a third of the default run; a kept
        server sits idle (no load, no CPU) while the others take their turn, so the
        rounds stay interleaved and rotated, and the A/A ratio checks that idling
        skews nobody. A cache-on turn starts from an empty Redis database, as a fresh
        server did, so no backend reads what another cached.
        """
        keys = [
            k
            for k in self.cells
            if (k.size, k.backend, k.repeat, k.cache) == (self.size, name, repeat, cache)
            and self.cells[k]["status"] == PENDING
        ]
        if not keys:
            return
        info = self.run["backends"][name]
        started = time.monotonic()
        if name in self.failed:
            self._mark(keys, "skipped", f"{name} failed earlier in this run: {info['problems'][-1]}")
            return
        if cache == "on" and not self._redis_ok():
            self._mark(keys, "skipped", f"Redis is not reachable at {self.o.redis_url}: no cache-on pass")
            self.progress.message(f"{name}: Redis is not reachable at {self.o.redis_url}; skipping the cache-on pass")
            return
        try:
            self.active = self.running.get(name)
            if self.active is None and not self._start(name, cache, keys):
                return
            self._flush_cache()
            base_url = self.o.target or self.active.base_url
            memory_idle = self.memory_idle.get(name, {})
            for scenario in dict.fromkeys(k.scenario for k in keys):
                if not self._scenario(name, cache, repeat, scenario, base_url, memory_idle):
                    return
            if repeat == 0 and name != TARGET:
                self._count_sql(name, cache, base_url, dict.fromkeys(k.scenario for k in keys))
        finally:
            self.active = None
            info.setdefault("wall_s", []).append(round(time.monotonic() - started, 1))
            self._save()

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

    def _save(self) -> None:
        """Keep the results so far on disk (a crash or a kill leaves them behind)."""
        self.run["results"] = list(self.cells.values())
        precision.annotate(self.run)  # the CIs and the A/A ratio so far: a crash leaves them too
        baseline.annotate(self.run)
        try:
            results.write_run(self.run, self.json_path)
        except results.ResultsError as exc:
            if self.write_problem is None:
                self.progress.message(f"warning: {exc}")
            self.write_problem = str(exc)

    def _env(self, cache: str) -> dict[str, str]:
        return server_env(self.url, self.secret, self.o.pool_size, cache, self.o.redis_url)

    @property
    def secret(self) -> str:
        if not hasattr(self, "_secret"):
            self._secret = secrets.token_urlsafe(32)
        return self._secret

    def _obtain_tokens(self) -> None:
        """One bearer token per connection, before any backend is measured (logins are argon2: heavy).

        They come from a server of their own (the first backend that starts), so
        no measured server has done a thousand logins more than the others;
        tokens are JWTs signed with the run's SECRET_KEY, valid on every backend.
        """
        needs = [k for k in self.cells if k.size == self.size and SCENARIOS[k.scenario].needs_tokens]
        if not needs:
            return
        count = max(self.o.concurrency)
        self.progress.phase(f"Logging in {count} seeded users (one bearer token per connection)…")
        problems = []
        for name in [TARGET] if self.o.target else self.names():
            try:
                if name == TARGET:
                    self.tokens = login_tokens(self.o.target, self.facts.usernames, count)
                elif not self.backends[name].missing_dependencies():
                    env = self._env("off")
                    backend, cwd = self.backends[name], self.trees.get(name)
                    with start_backend(backend, env=env, workers=self.o.workers, cwd=cwd) as server:
                        self.tokens = login_tokens(server.base_url, self.facts.usernames, count)
                break
            except (BackendStartError, RuntimeError, OSError, ValueError, KeyError) as exc:
                problems.append(f"{name}: {str(exc).splitlines()[0]}")
        if self.tokens:
            self.tokens_file = write_tokens(self.tmp / "tokens.lua", self.tokens)
            return
        reason = "no bearer tokens for the write scenarios: " + ("; ".join(problems) or "no backend could start")
        self.progress.message(reason)
        for key in needs:
            if self.cells[key]["status"] == PENDING:
                self.cells[key].update(status="skipped", reason=reason)

    def _verify(self, name: str, base_url: str, scenarios: list[str]):
        if "mixed" in scenarios:  # verified through the scenarios it mixes
            scenarios = list(dict.fromkeys([s for s in scenarios if s != "mixed"] + MIXED_PARTS))
        plan = {s: (self._requests(s)[1], SCENARIOS[s].writes) for s in scenarios}
        verdict = self.verifier.verify(name, base_url, plan, self.tokens[0] if self.tokens else None)
        self._reset()
        return verdict

    def _requests(self, scenario: str) -> tuple[Path, list]:
        if scenario not in self.request_files:
            requests = SCENARIOS[scenario].generate(self.facts)
            expected = SCENARIOS[scenario].expected_statuses(requests)
            self.request_files[scenario] = (write_lua(self.tmp / f"{scenario}.lua", requests, expected), requests)
        return self.request_files[scenario]

    def _idle_memory(self) -> dict:
        """RSS, PSS and USS (MiB) of the server's tree once it has settled after start-up and the primer."""
        if self.active is None:
            return {}
        settle(self.active.process.pid)
        return tree_memory_mb(self.active.process.pid) or {}

    # --- cells -------------------------------------------------------------------------

    def _scenario(self, name, cache, repeat, scenario, base_url, memory_idle) -> bool:
        """Warm-up then one cell per concurrency; False when the server died."""
        requests_file, _ = self._requests(scenario)
        keys = sorted(
            (
                k
                for k in self.cells
                if (k.size, k.backend, k.scenario, k.repeat, k.cache) == (self.size, name, scenario, repeat, cache)
            ),
            key=lambda k: k.concurrency,
        )
        if self.o.warmup_s and keys:
            self.progress.cell(name, cache, f"{scenario} warm-up", keys[-1].concurrency, repeat, self.o.repeat)
            try:
                with suppress(wrk.WrkError):
                    self._wrk(base_url, requests_file, keys[-1].concurrency, self.o.warmup_s, scenario)
            finally:
                self._after_load(scenario)
        for key in keys:
            self.progress.cell(name, cache, scenario, key.concurrency, repeat, self.o.repeat)
            before = post_total(base_url) if name == TARGET and SCENARIOS[scenario].writes else None
            pid = self.active.process.pid if self.active else None
            with Sampler(pid, postgres=self._local_db(), database=self._dbname()) as sampler:
                try:
                    run = self._wrk(base_url, requests_file, key.concurrency, self.o.duration_s, scenario, sampler)
                except wrk.WrkError as exc:
                    run = None
                    self.cells[key].update(status="error", reason=str(exc))
                finally:
                    sampler.stop()
                    self._after_load(scenario)
            self.progress.finish_cell()
            if run is not None:
                self.cells[key] = results.result_entry(
                    backend=name,
                    scenario=scenario,
                    concurrency=key.concurrency,
                    repeat=repeat,
                    cache=cache,
                    data_size=key.size,
                    figures=run.result,
                    resources=sampler.window.summary(),
                    rss_idle=memory_idle.get("rss"),
                    memory_idle=memory_idle,
                    startup_s=self.active.startup_s if self.active else None,
                )
                if name == TARGET:
                    blank_server_figures(self.cells[key], before, base_url)
            if self.active is not None and not self.active.alive():
                died = [k for k in self.cells if k.backend == name and self.cells[k]["status"] == PENDING]
                self._fail(
                    name,
                    died,
                    "died",
                    f"{name} exited with code {self.active.process.returncode} under load",
                    self.active.log_tail(),
                )
                return False
        if repeat == 0 and self.o.rate:
            self._open_loop(name, cache, scenario, base_url, requests_file)
        return True

    def _open_loop(self, name, cache, scenario, base_url, requests_file) -> None:
        """One open-loop cell per --rate (first round only), each followed by the same drain as a cell."""
        for rate in self.o.rate:
            self.progress.phase(f"{name} · {scenario} open loop at {rate:g} req/s")
            tokens = self.tokens_file if SCENARIOS[scenario].needs_tokens else None
            where = dict(backend=name, scenario=scenario, cache=cache, data_size=self.size, rate=rate)
            try:
                run = openloop.run_open_loop(
                    base_url, rate=rate, requests_file=requests_file, out_file=self.tmp / "wrk-open.json",
                    duration_s=self.o.duration_s, timeout_s=self.o.timeout_s, connections=self.o.rate_connections,
                    tokens_file=tokens, poll=self.progress.draw,
                )  # fmt: skip
                self.open_loop.append(openloop.result_entry(**where, figures=run.result))
            except wrk.WrkError as exc:
                self.open_loop.append(openloop.result_entry(**where, status="error", reason=str(exc)))
            finally:
                self._after_load(scenario)
            self.run["open_loop"] = self.open_loop

    def _wrk(self, base_url, requests_file, connections, duration, scenario, sampler=None):
        def started(process):
            if sampler is not None:
                sampler.wrk_pid = process.pid

        return wrk.run_wrk(
            base_url,
            requests_file=requests_file,
            out_file=self.tmp / "wrk-out.json",
            connections=connections,
            threads=self.o.threads,
            duration_s=duration,
            timeout_s=self.o.timeout_s,
            tokens_file=self.tokens_file if SCENARIOS[scenario].needs_tokens else None,
            on_start=started,
            poll=self.progress.draw,
        )

    def _after_load(self, scenario: str) -> None:
        """Let the server drain what wrk left queued (it must not spill into the next cell); undo writes."""
        if self.active is not None:
            settle(self.active.process.pid, timeout=180)  # 1000 queued logins take a while
        if SCENARIOS[scenario].writes:
            self._reset()

    def _dbname(self) -> str | None:
        return (make_url(self.url).database or None) if self.url else None

    def _local_db(self) -> bool:
        return bool(self.url) and database.is_local(self.url)

    def _reset(self) -> None:
        if self.o.target:
            return
        database.reset_writes(self.url, self.facts.max_ids)
        self._flush_cache()

    def _redis_ok(self) -> bool:
        try:
            import redis

            return bool(redis.Redis.from_url(self.o.redis_url, socket_connect_timeout=2).ping())
        except Exception:  # noqa: BLE001 - any failure means "no cache-on pass"
            return False

    def _flush_cache(self) -> None:
        """Empty the benchmark's own Redis database (cached reads, rate-limit counters)."""
        if "on" not in self.o.cache_modes:
            return
        with suppress(Exception):
            import redis

            redis.Redis.from_url(self.o.redis_url, socket_connect_timeout=2).flushdb()

    # --- SQL per request -------------------------------------------------------------------

    def _count_sql(self, name: str, cache: str, base_url: str, scenarios) -> None:
        ordered = sorted(scenarios, key=lambda s: SCENARIOS[s].writes)  # writes last: one reset at the end
        self.progress.phase(f"{name} (cache {cache}) · counting SQL per request for {len(ordered)} scenarios")
        try:
            counts = count_scenarios(
                self.counter,
                base_url,
                {s: self._requests(s)[1] for s in ordered},
                size=self.o.sql_requests,
                token=self.tokens[0] if self.tokens else None,
                server_pid=self.active.process.pid,
                tick=self.progress.draw,
            )
        except (OSError, RuntimeError, psycopg.Error) as exc:
            self.progress.message(f"SQL count for {name} failed: {exc}")
            return
        finally:
            if any(SCENARIOS[s].writes for s in ordered):
                self._reset()
        for scenario, record in counts.items():
            self.sql[(self.size, name, cache, scenario)] = record

    # --- bookkeeping ------------------------------------------------------------------------

    def _mark(self, keys, status: str, reason: str) -> None:
        for key in keys:
            if self.cells[key]["status"] == PENDING:
                self.cells[key].update(status=status, reason=reason)
        self.progress.skip(len(keys))

    def _fail(self, name: str, keys, status: str, reason: str, log_tail: str = "") -> None:
        info = self.run["backends"][name]
        info["status"] = status
        info["problems"].append(reason)
        if log_tail:
            info["log_tail"] = log_tail
        self.failed.add(name)
        self._stop(name)  # a failed server takes no more turns: it must not hold workers or connections
        self.progress.message(f"{name}: {status.replace('_', ' ')}: {reason}")
        self._mark(keys, status, reason)

    def _seed_tables(self) -> dict:
        """Install size, code size, pools, image size of the registry entries measured (not with --target)."""
        from finboard.bench.seedtables import SeedTablesError, collect

        names = [n for n in self.o.backends if not precision.is_aa_copy(n)]
        try:
            return collect(names, self.o.pool_size) if names else {}
        except (SeedTablesError, OSError, ValueError) as exc:
            return {"error": str(exc)}

    def _stop_all(self) -> None:
        """End every kept server (and, should a master have died, its whole process group)."""
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

    def _finish(self, interrupted: bool) -> None:
        if interrupted and self.o.database and self.url:  # a kept database gets its seeded state back
            with suppress(Exception):
                self._reset()
        for key, entry in self.cells.items():
            if entry["status"] == PENDING:
                entry.update(status="interrupted" if interrupted else "not_run")
            sql = self.sql.get((key.size, key.backend, key.cache, key.scenario))
            if sql and entry["status"] == "ok":
                entry.update(
                    sql_per_request=sql["per_request"],
                    sql_method=sql["method"],
                    sql_unit=sql["unit"],
                    rows_per_request=sql["rows_per_request"],
                )
        self.run["results"] = results.with_x_raw(list(self.cells.values()))
        precision.annotate(self.run)
        baseline.annotate(self.run)
        self.run["sql"] = [
            {"backend": b, "cache": c, "scenario": s, "data_size": size, **v} for (size, b, c, s), v in self.sql.items()
        ]
        self.run["rounds"] = [self.rounds[s] for s in sorted(self.rounds)]
        self.run["complete"] = not interrupted
        self.run["interrupted"] = interrupted
        self.run["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.run["settings"]["sql_method"] = getattr(self, "sql_method", None)
        self.run["targets"] = targets.as_json(targets.evaluate(self.run))
        self.run["seed_tables"] = self._seed_tables()
        try:
            results.write_run(self.run, self.json_path)
        except results.ResultsError as exc:
            self.write_problem = str(exc)
