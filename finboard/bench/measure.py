"""The measured part of ``flask bench run``: verifying a server, its primers, cells, open-loop cells and drains.

It exists apart from the orchestration (finboard.bench.runner) because a cell
has its own rules: the server is verified (every scenario's requests, bodies
compared across backends) before it is timed; each cell samples the server's
and PostgreSQL's CPU and memory while wrk runs; after each cell the server
drains what wrk left queued (it must not spill into the next cell) and write
scenarios are undone; a server that died under load fails its remaining cells.
The revalidation scenario's requests get the pages' ETags as the server sends
them right before each cell; a server that sends none has those cells skipped,
saying so.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from finboard.bench import openloop, page_check, results, wrk
from finboard.bench.plan import PENDING
from finboard.bench.resources import Sampler, tree_memory_mb
from finboard.bench.scenarios import SCENARIOS, write_lua
from finboard.bench.sqlcount import settle
from finboard.bench.steps import PrimerKey, Step
from finboard.bench.target import TARGET, blank_server_figures, post_total

MIXED_PARTS = [name for name, s in SCENARIOS.items() if s.mix_weight]


class Measurement:
    """Verification, cells and drains of the server taking its turn (mixed into BenchRun)."""

    def _verify(self, name: str, base_url: str, scenarios: list[str]):
        if "mixed" in scenarios:  # verified through the scenarios it mixes
            scenarios = list(dict.fromkeys([s for s in scenarios if s != "mixed"] + MIXED_PARTS))
        plan = {s: (self._requests(s)[1], SCENARIOS[s].writes) for s in scenarios}
        token = self.tokens[0] if self.tokens else None
        verdict = self.verifier.verify(name, base_url, plan, token, self.sessions[0] if self.sessions else None)
        self._reset()
        return verdict

    def _requests(self, scenario: str) -> tuple[Path, list]:
        if scenario not in self.request_files:
            requests = SCENARIOS[scenario].generate(self.facts)
            expected = SCENARIOS[scenario].expected_statuses(requests)
            self.request_files[scenario] = (write_lua(self.tmp / f"{scenario}.lua", requests, expected), requests)
        return self.request_files[scenario]

    def _load_file(self, scenario: str, base_url: str) -> Path:
        """The request file wrk runs: the scenario's, or for revalidation one with the ETags the server sends
        now (page_check.NoEtag when it sends none)."""
        requests_file, requests = self._requests(scenario)
        if not SCENARIOS[scenario].revalidate:
            return requests_file
        session = self.sessions[0] if self.sessions and SCENARIOS[scenario].needs_session else None
        resolved, self.cell_note = page_check.with_etags(base_url, requests, session)
        if self.cell_note:
            self.progress.message(f"{scenario}: {self.cell_note}")
        return write_lua(self.tmp / f"{scenario}-etags.lua", resolved, [304])

    def _auth_file(self, scenario: str) -> Path | None:
        """What wrk's connections authenticate with: bearer tokens, members' session cookies, or nothing."""
        found = SCENARIOS[scenario]
        if found.needs_session:  # a member's revalidation: the ETags fetched are that member's
            return self.session_file if found.revalidate else self.sessions_file
        return self.tokens_file if found.needs_tokens else None

    def _idle_memory(self) -> dict:
        """RSS, PSS and USS (MiB) of the server's tree once it has settled after start-up and the primer."""
        if self.active is None:
            return {}
        settle(self.active.process.pid)
        return tree_memory_mb(self.active.process.pid) or {}

    def _scenario(self, name, cache, repeat, scenario, base_url, memory_idle) -> bool:
        """Warm-up then one cell per concurrency; False when the server died."""
        keys = sorted(
            (
                k
                for k in self.cells
                if (k.size, k.backend, k.scenario, k.repeat, k.cache) == (self.size, name, scenario, repeat, cache)
            ),
            key=lambda k: k.concurrency,
        )
        self.cell_note = ""
        try:
            requests_file = self._load_file(scenario, base_url)
        except (page_check.NoEtag, OSError) as exc:
            self._mark(keys, "skipped", str(exc))
            self.progress.message(f"{name} (cache {cache}) · {scenario}: {exc}")
            return True
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
            self.progress.complete(key)
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
                if self.cell_note:  # e.g. the pages left out of a revalidation (they sent no ETag)
                    self.cells[key]["note"] = self.cell_note
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
            tokens = self._auth_file(scenario)
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
                self.progress.complete(Step("open", self.size, name, cache, scenario, rate))
            self.run["open_loop"] = self.open_loop

    def _prime(self, name: str, primer: PrimerKey, base_url: str) -> bool:
        """One primer: the scenario's load for --primer seconds, recorded in ``primer[]`` only; False when it died."""
        try:
            requests_file = self._load_file(primer.scenario, base_url)
        except (page_check.NoEtag, OSError) as exc:  # its cells will say so; nothing to prime
            self.progress.message(f"{name} · {primer.scenario} primer: {exc}")
            return True
        self.progress.phase(f"{name} (cache {primer.cache}) · {primer.scenario} · c={primer.concurrency} · primer")
        pid = self.active.process.pid if self.active else None
        where = dict(backend=name, scenario=primer.scenario, concurrency=primer.concurrency, repeat=None,
                     cache=primer.cache, data_size=primer.size)  # fmt: skip
        with Sampler(pid, postgres=self._local_db(), database=self._dbname()) as sampler:
            try:
                run = self._wrk(base_url, requests_file, primer.concurrency, self.o.primer_s, primer.scenario, sampler)
                entry = None
            except wrk.WrkError as exc:
                entry = results.result_entry(**where, status="error", reason=str(exc))
            finally:
                sampler.stop()
                self._after_load(primer.scenario)
        if entry is None:
            entry = results.result_entry(**where, figures=run.result, resources=sampler.window.summary())
        self.run.setdefault("primer", []).append({**entry, "primer": True})
        if self.active is not None and not self.active.alive():
            died = [k for k in self.cells if k.backend == name and self.cells[k]["status"] == PENDING]
            code = self.active.process.returncode
            self._fail(name, died, "died", f"{name} exited with code {code} under the primer", self.active.log_tail())
            return False
        return True

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
            tokens_file=self._auth_file(scenario),
            on_start=started,
            poll=self.progress.draw,
        )

    def _after_load(self, scenario: str) -> None:
        """Let the server drain what wrk left queued (it must not spill into the next cell); undo writes."""
        if self.active is not None:
            settle(self.active.process.pid, timeout=180)  # 1000 queued logins take a while
        if SCENARIOS[scenario].writes:
            self._reset()
