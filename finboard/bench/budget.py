"""How long a ``flask bench run`` will take, said before it starts, and the cell length that fits its budget.

It exists because a benchmark nobody has time to run measures nothing: the
default run must give every table within 20 minutes on a 2-core machine and
``--quick`` within a minute. The plan's duration is computed up front from its
cells (``steps.planned_steps``: cells, primers, warm-ups, server starts, open-loop
cells, SQL counts, seeding), printed before anything starts, and with ``--duration auto`` (the
default) the cells get the longest whole-second length that keeps the plan
within its budget, so adding backends or rounds shortens cells instead of
silently doubling the run. A plan over its budget is run, with a warning.
"""

from __future__ import annotations

from dataclasses import replace

from finboard.bench.options import RunOptions
from finboard.bench.plan import CellKey
from finboard.bench.progress import clock
from finboard.bench.steps import planned_steps

DEFAULT_BUDGET_S = 20 * 60
QUICK_BUDGET_S = 60
# --duration auto picks from this range: below 2 s a cell is mostly ramp-up, above 10 s adds little precision
# that another round would not add better.
AUTO_LONGEST_S = 10
AUTO_SHORTEST_S = 2
QUICK_SHORTEST_S = 1  # wrk's shortest


def budget_s(options: RunOptions) -> int:
    return QUICK_BUDGET_S if options.quick else DEFAULT_BUDGET_S


def estimate_s(plan: list[CellKey], options: RunOptions) -> float:
    """Seconds the plan should take on an idle 2-core machine (the ETA rescales it by the real pace)."""
    return sum(planned_steps(plan, options).values())


def fit_duration(plan: list[CellKey], options: RunOptions) -> int:
    """The longest cell (whole seconds) that keeps the plan within its budget; the shortest when none does."""
    shortest = QUICK_SHORTEST_S if options.quick else AUTO_SHORTEST_S
    longest = shortest if options.quick else AUTO_LONGEST_S
    for seconds in range(longest, shortest - 1, -1):
        if estimate_s(plan, replace(options, duration_s=seconds)) <= budget_s(options):
            return seconds
    return shortest


def describe(plan: list[CellKey], options: RunOptions) -> tuple[str, str | None]:
    """The plan in one line, and a warning when it is over its budget (None when within)."""
    estimate = estimate_s(plan, options)
    budget = budget_s(options)
    backends = len({k.backend for k in plan})
    scenarios = len({k.scenario for k in plan})
    line = (
        f"Plan: {len(plan)} cells ({backends} backends × {scenarios} scenarios × "
        f"{len(options.concurrency)} concurrency × {options.repeat} rounds, cache {'+'.join(options.cache_modes)}), "
        f"{options.duration_s}s cells after {options.warmup_s}s warm-ups, {options.primer_s}s primers: "
        f"about {clock(estimate)} "
        f"(budget {clock(budget)}{' for --quick' if options.quick else ''})."
    )
    if estimate <= budget:
        return line, None
    return line, (
        f"warning: this plan (about {clock(estimate)}) is over the {clock(budget)} budget"
        f"{' of --quick' if options.quick else ' of a default run'}; fewer --backends, --scenarios, --repeat or "
        "--concurrency levels, or shorter --duration/--warmup/--primer, would bring it back."
    )
