"""The steps of a run the plan's estimate and the progress bar count: cells, primers, starts, open loop, SQL counts.

It exists so the estimate printed before a run, the budget ``--duration auto``
fits and the progress bar all count the same work, each piece under a key
of its own: the runner marks a step done when that work is over, so the bar
moves while open-loop cells, primers and SQL counts run instead of having
counted their time in advance with some cell (the bar then sat still for
them, and the ETA's pace was wrong), and a backend that fails takes its
remaining steps with it. The seconds are rough, calibrated on real runs.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from finboard.bench.options import RunOptions
from finboard.bench.plan import CellKey
from finboard.bench.scenarios import SCENARIOS


class PrimerKey(NamedTuple):
    """One primer: a backend × scenario run once, unmeasured, before round 1 of its cache mode (``--primer``)."""

    size: int
    backend: str
    scenario: str
    concurrency: int
    cache: str


class Step(NamedTuple):
    """Work besides the cells: ``data`` (a round's seeding, tokens, EXPLAIN), ``start`` (a server's start and
    verification), ``open`` (one ``--rate`` cell) and ``sql`` (a server's SQL counts after its rounds)."""

    kind: str
    size: int
    backend: str | None = None
    cache: str | None = None
    scenario: str | None = None
    rate: float | None = None


def plan_primer(plan: list[CellKey], options: RunOptions) -> list[PrimerKey]:
    """Every backend × scenario × cache mode of round 1, at its highest concurrency, in round 1's order.

    None with ``--target``: a deployment is as warm as its traffic made it, and a
    primer of a write scenario would add posts to it that can't be undone from outside.
    """
    if not options.primer_s or options.target:
        return []
    highest: dict[tuple, int] = {}
    for key in plan:
        if key.repeat == 0:
            where = (key.size, key.backend, key.scenario, key.cache)
            highest[where] = max(highest.get(where, 0), key.concurrency)
    return [PrimerKey(size, backend, scenario, c, cache) for (size, backend, scenario, cache), c in highest.items()]


def seeding_seconds(size: int) -> float:
    """A rough guess of migrating, seeding (COPY) + VACUUM and reading the facts (terms, deep page) of a round."""
    return 5 + size / 4000


# What a run spends besides the measured seconds, from the wall times of real runs on a 2-core machine
# (docs/bench-results.md, "How long a run takes"): starting a server, verifying it and reading its idle memory
# (once per backend and cache mode: servers are kept across rounds); per cell, wrk's start and the server's drain
# after the load; counting its SQL (once, after the rounds: with --sql-flush idle, PostgreSQL's counters need 10 s to
# publish). Calibrated on the 2026-12-07 default run of the 8-backend matrix (16:47 wall): 2.59 s per 2 s cell
# in rounds 2-5, ~13 s of start, verification and five SQL counts in a backend's first turn.
INSTANCE_S = 2.0
# granian took 4-8 s to its first 200 here, gunicorn 1-3 s (--quick runs on this 2-core machine)
INSTANCE_EXTRA_S = {"granian": 4.0}
CELL_OVERHEAD_S = 0.3
SCENARIO_OVERHEAD_S = 0.3
# An open-loop cell starts one wrk thread per connection (64 by default), each loading the requests: a 1 s cell took
# 2.2-2.5 s from phase to phase (`--quick --backends wsgi-raw,flask-orm --rate 50,100`, 2026-12-07, loaded machine).
OPEN_LOOP_OVERHEAD_S = 1.2
SQL_COUNT_S = {"idle": 11.5, "end": 0.7}  # plus SQL_REQUEST_S per request (one at a time)
SQL_REQUEST_S = 0.03
TOKENS_S = 4.0  # a server of its own for the logins, plus the argon2 logins themselves: TOKEN_S per connection
TOKEN_S = 0.5
EXPLAIN_S = 3.0


def planned_steps(plan: list[CellKey], options: RunOptions) -> dict[Hashable, float]:
    """Every step of the plan with its rough seconds, in about the order they run (CellKey, PrimerKey, Step)."""
    duration = options.duration_s or 0
    needs_tokens = any(SCENARIOS[k.scenario].needs_tokens for k in plan)
    needs_sessions = any(SCENARIOS[k.scenario].needs_session for k in plan)  # form logins: argon2 as well
    primers = {(p.size, p.backend, p.cache, p.scenario): p for p in plan_primer(plan, options)}
    steps: dict[Hashable, float] = {}
    turns = set()
    for key in plan:
        data = Step("data", key.size)
        if data not in steps:  # the round's data: seed, facts, tokens (EXPLAIN at the largest size)
            steps[data] = seeding_seconds(key.size) + (EXPLAIN_S if key.size == max(options.sizes) else 0)
            steps[data] += TOKENS_S + TOKEN_S * max(options.concurrency) if needs_tokens else 0
            steps[data] += TOKENS_S + TOKEN_S * max(options.concurrency) if needs_sessions else 0
        start = Step("start", key.size, key.backend, key.cache)
        if start not in steps:  # start, verify, idle memory: once per cache mode (kept across the rounds)
            steps[start] = INSTANCE_S + INSTANCE_EXTRA_S.get(options.server, 0.0)
        primer = primers.get((key.size, key.backend, key.cache, key.scenario))
        if primer is not None and primer not in steps:  # before round 1, followed by a drain
            steps[primer] = options.primer_s + CELL_OVERHEAD_S + SCENARIO_OVERHEAD_S
        seconds = duration + CELL_OVERHEAD_S
        turn = (key.size, key.backend, key.cache, key.repeat, key.scenario)
        if turn not in turns:  # the scenario's warm-up and its drain, once per turn
            turns.add(turn)
            seconds += options.warmup_s + SCENARIO_OVERHEAD_S
            if key.repeat == options.repeat - 1:  # SQL counts: after the last round (finboard.bench.runner)
                sql = Step("sql", key.size, key.backend, key.cache)
                steps[sql] = steps.get(sql, 0.0) + SQL_COUNT_S.get(options.sql_flush, 1.0)
                steps[sql] += SQL_REQUEST_S * options.sql_requests
        steps[key] = seconds
        if key.repeat == 0:  # the --rate cells: first round only, after the scenario's cells
            for rate in options.rate:
                steps.setdefault(
                    Step("open", key.size, key.backend, key.cache, key.scenario, rate), duration + OPEN_LOOP_OVERHEAD_S
                )
    return steps
