"""Orchestration of ``flask bench run``: the backends, the rounds, each backend's turn and its server.

It exists to make the comparison fair and the run robust: one round set per
data size (smallest first: seed a throwaway database, read its facts, then
every backend × scenario on it); per cache mode, every backend's server is
started once (same workers, pool and limits), verified before it is timed,
and kept for that mode's rounds, idle while the others take their turns; in
every round each backend takes one turn, the order a balanced Latin square
(finboard.bench.rotation), after a primer pass that warms every server
(finboard.bench.lifecycle starts them). A backend that can't start or dies is
recorded with its log tail and the run goes on;
Ctrl-C (or SIGTERM) ends every server and wrk it started and still writes the
partial results. The cells themselves are finboard.bench.measure's, the
round's data finboard.bench.rounddata's, the results file
finboard.bench.runrecord's.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from finboard.bench import (
    baseline,
    budget,
    database,
    environment,
    explain,
    precision,
    results,
    servers,
    targets,
    wrk,
)
from finboard.bench.lifecycle import Lifecycle
from finboard.bench.measure import Measurement
from finboard.bench.options import RunOptions
from finboard.bench.plan import CellKey, plan_cells
from finboard.bench.rotation import round_order, slot
from finboard.bench.rounddata import RoundData
from finboard.bench.runrecord import RunRecord
from finboard.bench.scenarios import SCENARIOS
from finboard.bench.steps import Step
from finboard.bench.target import TARGET, facts_from_api, serves_pages
from finboard.bench.verify import Verifier
from finboard.registry import YARDSTICKS, Backend, registered
from finboard.serving import RunningBackend


def _interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: clean up, keep partial results
    raise KeyboardInterrupt


class BenchRun(Measurement, Lifecycle, RoundData, RunRecord):
    """One ``flask bench run``: backends, rounds, turns (cells: Measurement, data: RoundData, file: RunRecord)."""

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
        self.sessions: list = []  # finboard.bench.client.Session: the logged-in page scenarios' members
        self.sessions_file: Path | None = None  # their cookies, one per connection (the Lua token file)
        self.session_file: Path | None = None  # the first member's alone (revalidation: its ETags are its own)
        self.request_files: dict[str, tuple[Path, list]] = {}
        self.cell_note = ""  # what a cell's results entry should say besides its figures (measure._load_file)
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
        self.primers: list = []  # the primer pass's PrimerKeys, planned with the cells (results file: primer[])

    def units(self) -> list[list[str]]:
        """What rotates (finboard.bench.rotation): each backend with its baseline copy, and the A/A copy on its own.

        The A/A copy is placed about a third of the way round from its original, so
        that in the Williams rows it runs before its original as often as after and
        at a distance that varies like two random backends' do (mean a third of a
        round): listed right next to it, it ran at the same short distance every round.
        """
        if self.o.target:
            return [[TARGET]]
        units = []
        yardsticks = {b.name for b in YARDSTICKS}  # /hello is the same at every revision: no baseline copy
        for name in self.o.backends:
            label = servers.label(name, self.o.server)
            copy = self.o.baseline and name not in yardsticks
            units.append([label, *([baseline.label(label, self.o.baseline)] if copy else [])])
        base = self.aa_base()
        if base:
            at = next(i for i, unit in enumerate(units) if unit[0] == base)
            step = max(1, round((len(units) + 1) / 3))
            at = at + step if at + step <= len(units) else at + step - len(units)
            units.insert(at, [precision.aa_copy_name(base)])
        return units

    def names(self) -> list[str]:
        """Every backend label, in the tables' order: a baseline copy after its backend, the A/A copy last."""
        copy = [precision.aa_copy_name(self.aa_base())] if self.aa_base() else []
        labels = [label for unit in self.units() for label in unit if label not in copy]
        return [*labels, *copy]

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
            yardsticks = {b.name for b in YARDSTICKS}  # /hello is a reference, not a framework to control
            frameworks = [
                n for n in self.o.backends if n != results.RAW and not precision.is_aa_copy(n) and n not in yardsticks
            ]
            base = frameworks[0] if frameworks else (self.o.backends[0] if self.o.backends else None)
        return servers.label(base, self.o.server) if base else None

    def applicable(self, name: str, scenario: str) -> bool:
        if name == TARGET:  # a deployment has no /hello yardstick; its pages only when it serves them
            scen = SCENARIOS[scenario]
            return not scen.yardstick and (not scen.pages or self.target_pages)
        backend = self.backends.get(name)
        return backend is None or SCENARIOS[scenario].applies_to(backend)

    def order(self, slot: int) -> list[str]:
        """The turns of one slot (a scenario of a round, ``rotation.slot``): a Williams row of the units."""
        return round_order(self.units(), slot)

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
                if not interrupted:
                    self.progress.complete_all()  # what did not run (a failed backend's, a skipped pass) is not to do
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
        all_backends = {**registered(), **{b.name: b for b in YARDSTICKS}}  # the API backends and /hello
        for name in self.o.backends:
            backend = servers.served_by(all_backends[name], self.o.server)
            self.backends[backend.name] = backend
            if tree is not None and not backend.yardstick:
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

    def _round(self, number: int, size: int) -> None:
        """Seed (a throwaway database per size), read the facts, then every backend × scenario on that data."""
        self.size = size
        self.request_files = {}
        self.verifier = Verifier()  # bodies are compared within one data set
        self.tokens, self.tokens_file = [], None
        self.sessions, self.sessions_file, self.session_file = [], None, None
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
            self._obtain_sessions()
            self.progress.complete(Step("data", size))
            for cache in self.o.cache_modes:  # servers kept across the rounds of one cache mode
                try:
                    self._primer_pass(cache)
                    scenarios = self.o.scenarios_for_cache(cache)
                    for repeat in range(self.o.repeat):
                        for index, scenario in enumerate(scenarios):
                            for name in self.order(slot(repeat, index, len(scenarios))):
                                self._turn(name, cache, repeat, scenario)
                    self._count_sql_after_rounds(cache)
                finally:
                    self._stop_all()
            self._save()
            if self.o.database is None and self.url:
                self.progress.phase(f"{label} · dropping its database…")
        self.url = None if self.o.database is None else self.url

    def _turn(self, name: str, cache: str, repeat: int, scenario: str) -> None:
        """One backend's turn at one scenario of a round: its server (started on its first turn, kept after), the
        scenario's cells. A round is scenario-major (finboard.bench.rotation: ``slot``).

        Starting a server per round cost more than a third of the default run; a kept
        server sits idle (no load, no CPU) while the others take their turn, so the
        rounds stay interleaved and balanced, and the A/A ratio checks that idling
        skews nobody. A cache-on turn starts from an empty Redis database, as a fresh
        server did, so no backend reads what another cached.
        """
        in_round = self._pending(name, cache, repeat)  # what a failed start marks, every scenario of the round
        if not any(k.scenario == scenario for k in in_round) or self._skipped(name, cache, in_round):
            return
        info = self.run["backends"][name]
        started = time.monotonic()
        try:
            if not self._serve(name, cache, in_round):
                return
            base_url = self.o.target or self.active.base_url
            memory_idle = self.memory_idle.get(name, {})
            self._scenario(name, cache, repeat, scenario, base_url, memory_idle)
        finally:
            self.active = None
            info.setdefault("wall_s", []).append(round(time.monotonic() - started, 1))
            self._save()

    def _primer_pass(self, cache: str) -> None:
        """Before round 1 of a cache mode: each backend's server started and every scenario of it primed.

        Round 1 otherwise paid for what is cold in a fresh server and database (a
        framework's lazy set-up, the pools' connections, PostgreSQL's buffers); the
        default run without it, on a busy machine, had an A/A ratio of 1.07
        [0.95-1.23]. The primers are recorded (results file: ``primer[]``) and never
        enter the statistics.
        """
        primers = [p for p in self.primers if (p.size, p.cache) == (self.size, cache)]
        for name in dict.fromkeys(p.backend for p in primers):
            mine = [p for p in primers if p.backend == name]
            keys = self._pending(name, cache, 0)  # what a failed start marks (later rounds: skipped)
            if not keys or self._skipped(name, cache, keys):
                self.progress.complete(*mine)
                continue
            info = self.run["backends"][name]
            started = time.monotonic()
            try:
                if self._serve(name, cache, keys):
                    base_url = self.o.target or self.active.base_url
                    for primer in mine:
                        if not self._prime(name, primer, base_url):
                            break
            finally:
                self.progress.complete(*mine)
                self.active = None
                info.setdefault("wall_s", []).append(round(time.monotonic() - started, 1))
                self._save()

    def _count_sql_after_rounds(self, cache: str) -> None:
        """Each kept server's SQL per request, once its rounds are over.

        After the rounds, not within them: --sql-flush end ends the database's
        sessions, every kept server's, whose pools would meet them broken in
        the next cells.
        """
        for name in self.names():
            server = self.running.get(name)
            if server is None:
                continue
            measured = [k for k in self.cells if (k.size, k.backend, k.cache) == (self.size, name, cache)]
            self.active = server
            try:
                self._count_sql(name, cache, server.base_url, dict.fromkeys(k.scenario for k in measured))
            finally:
                self.active = None
                self.progress.complete(Step("sql", self.size, name, cache))
            self._save()
