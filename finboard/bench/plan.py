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
from finboard.bench.rotation import slot

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
    """Every cell, in run order: per data size (smallest first) and cache mode, the rounds; in a round, each
    scenario in turn run by every backend in the order of its slot (finboard.bench.rotation).

    A backend's server is started on its first turn of a cache mode and kept for
    that mode's rounds (finboard.bench.runner), so the cache mode is the outer loop.
    ``order`` takes a slot: ``rotation.slot(repeat, scenario_index, scenarios)``.
    """
    cells = []
    for size in sizes or options.sizes:
        for cache in options.cache_modes:
            scenarios = options.scenarios_for_cache(cache)
            for repeat in range(options.repeat):
                for index, scenario in enumerate(scenarios):
                    for name in order(slot(repeat, index, len(scenarios))):
                        if cache == "on" and precision.is_aa_copy(name):
                            continue  # the A/A control measures the run's noise once: cache off, every scenario
                        if applicable(name, scenario):
                            cells += [
                                CellKey(size, name, scenario, c, repeat, cache) for c in sorted(options.concurrency)
                            ]
    return cells


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
