"""The record of ``flask bench run``: its plan and settings up front, the results file kept current, the end.

It exists so a run always leaves its results behind: the planned cells are
written as pending before the first round, the file is rewritten after every
backend's turn (a crash or a kill leaves what was measured, with its CIs),
and the end fills in SQL counts, ratios, targets and the seed tables.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime

from finboard.bench import baseline, budget, precision, results, servers, targets
from finboard.bench.options import RAISED_LIMIT
from finboard.bench.plan import PENDING, backend_info, plan_cells
from finboard.bench.progress import Progress
from finboard.bench.steps import plan_primer, planned_steps


class RunRecord:
    """The run's results file from plan to finish (mixed into BenchRun)."""

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
        self.primers = plan_primer(plan, self.o)  # run before round 1 of each cache mode, kept out of results[]
        self.run["primer"] = []
        self.progress = Progress(planned_steps(plan, self.o), self.stream)
        line, warning = budget.describe(plan, self.o)  # said before the first round starts
        self.run["settings"]["planned_s"] = round(budget.estimate_s(plan, self.o))
        self.progress.message(line)
        if warning:
            self.progress.message(warning)

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

    def _seed_tables(self) -> dict:
        """Install size, code size, pools, image size of the registry entries measured (not with --target)."""
        from finboard.bench.seedtables import SeedTablesError, collect

        names = [n for n in self.o.backends if not precision.is_aa_copy(n)]
        try:
            return collect(names, self.o.pool_size) if names else {}
        except (SeedTablesError, OSError, ValueError) as exc:
            return {"error": str(exc)}

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
