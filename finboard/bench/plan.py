"""The run's plan: which cells run, in which order, with what environment, for how long.

It exists so the fairness rules are written down in one place, apart from the
orchestration: every backend gets the same cells and the same server
environment (workers, pool, raised rate limits, cache switch), and with
``--repeat`` the order of backends follows a balanced Latin square (finboard.bench.rotation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from finboard.bench import environment, precision
from finboard.bench.options import RAISED_LIMIT, RunOptions
from finboard.bench.scenarios import SCENARIOS

PENDING = "pending"
TOKEN_TTL_S = 86400  # bearer tokens must outlive a long run


class CellKey(NamedTuple):
    """One cell of the run: a backend × scenario × concurrency × repeat × cache mode, at one data size."""

    size: int
    backend: str
    scenario: str
    concurrency: int
    repeat: int
    cache: str


def plan_cells(
    options: RunOptions,
    order: Callable[[int], list[str]],
    applicable: Callable[[str, str], bool],
    sizes: list[int] | None = None,
) -> list[CellKey]:
    """Every cell, in run order: per data size (smallest first) and cache mode, the rounds of every backend.

    A backend's server is started on its first turn of a cache mode and kept for
    that mode's rounds (finboard.bench.runner), so the cache mode is the outer loop.
    """
    cells = []
    for size in sizes or options.sizes:
        for cache in options.cache_modes:
            for repeat in range(options.repeat):
                for name in order(repeat):
                    if cache == "on" and precision.is_aa_copy(name):
                        continue  # the A/A control measures the run's noise once: cache off, every scenario
                    for scenario in options.scenarios_for_cache(cache):
                        if applicable(name, scenario):
                            cells += [
                                CellKey(size, name, scenario, c, repeat, cache) for c in sorted(options.concurrency)
                            ]
    return cells


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
SQL_COUNT_S = {"idle": 11.5, "end": 0.7}  # plus SQL_REQUEST_S per request (one at a time)
SQL_REQUEST_S = 0.03
TOKENS_S = 4.0  # a server of its own for the logins, plus the argon2 logins themselves: TOKEN_S per connection
TOKEN_S = 0.5
EXPLAIN_S = 3.0


def planned_seconds(plan: list[CellKey], options: RunOptions) -> list[float]:
    """A rough duration for each planned cell, for the plan's estimate and the ETA (rescaled by the pace so far)."""
    needs_tokens = any(SCENARIOS[k.scenario].needs_tokens for k in plan)
    planned, seen = [], set()
    for key in plan:
        seconds = (options.duration_s or 0) + CELL_OVERHEAD_S
        if key.size not in seen:  # the round's data: seed, facts, tokens (EXPLAIN at the largest size)
            seen.add(key.size)
            seconds += seeding_seconds(key.size) + (EXPLAIN_S if key.size == max(options.sizes) else 0)
            seconds += TOKENS_S + TOKEN_S * max(options.concurrency) if needs_tokens else 0
        instance = (key.size, key.backend, key.cache)  # kept across the rounds
        if instance not in seen:  # start, verify, idle memory
            seen.add(instance)
            seconds += INSTANCE_S + INSTANCE_EXTRA_S.get(options.server, 0.0)
        if (instance, key.repeat, key.scenario) not in seen:
            seen.add((instance, key.repeat, key.scenario))
            seconds += options.warmup_s + SCENARIO_OVERHEAD_S
            if key.repeat == 0:  # the --rate cells: first round only
                seconds += len(options.rate) * ((options.duration_s or 0) + SCENARIO_OVERHEAD_S)
            if key.repeat == options.repeat - 1:  # SQL counts: after the last round (finboard.bench.runner)
                seconds += SQL_COUNT_S.get(options.sql_flush, 1.0) + SQL_REQUEST_S * options.sql_requests
        planned.append(seconds)
    return planned


WRITE_LIMITS = ("POSTS_PER_HOUR", "COMMENTS_PER_HOUR", "NEW_ACCOUNT_POSTS_PER_HOUR", "NEW_ACCOUNT_COMMENTS_PER_HOUR")
RAISED_WRITES = 10_000_000


def server_env(url: str, secret: str, pool_size: int, cache: str, redis_url: str) -> dict[str, str]:
    """The environment every backend's server gets: same pool, same limits, same cache switch."""
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "FINBOARD_ENV": "production",
        "DB_POOL_SIZE": str(pool_size),
        "LOGIN_LIMIT_PER_IP": RAISED_LIMIT,
        "LOGIN_LIMIT_PER_ACCOUNT": RAISED_LIMIT,
        "REGISTER_LIMIT_PER_IP": RAISED_LIMIT,
        # The write scenarios create posts and comments as fast as they can with a few accounts.
        **{name: str(RAISED_WRITES) for name in WRITE_LIMITS},
        "TOKEN_TTL_SECONDS": str(TOKEN_TTL_S),
        "CACHE_ENABLED": "1" if cache == "on" else "0",
        "REDIS_URL": redis_url if cache == "on" else "",  # empty: no Redis, whatever the shell says
        "GUNICORN_LOGLEVEL": "warning",
    }


def backend_info(name: str, backend, target: str | None, docker: bool) -> dict:
    """A backend's entry in the results file, before it runs."""
    image = name.split("~")[0].split("@")[0]  # the A/A copy (NAME~aa) and NAME@granian run the same image
    size = environment.docker_image_size_mb(f"finboard-{image}") if docker else None
    return {
        "framework": backend.framework if backend else "an already-running deployment",
        "data_layer": backend.data_layer if backend else "",
        "tuning": list(backend.tuning) if backend else [],  # the documented performance advice it applies
        "description": backend.description if backend else target,
        "status": PENDING,
        "problems": [],
        "log_tail": None,
        "startup_s": [],
        "rss_idle_mb": [],
        "verification": None,
        "docker_image_mb": size if size is not None else "n/a",
    }
