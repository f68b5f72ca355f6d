"""The building blocks every section of the Markdown report shares.

Tables, scenario titles, a median with its CI, per-round figures and one
throughput cell with its ratio to the backend's own ceiling
(``finboard.bench.ceilings``): kept in one place so every section formats
a figure the same way.
"""

from __future__ import annotations

from finboard.bench.ceilings import ceiling_of
from finboard.bench.scenarios import SCENARIOS
from finboard.bench.stats import Estimate, bootstrap_median, paired_ratio
from finboard.bench.tables import ERROR_MARK, Aggregate, fmt, status_text


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def title(scenario: str) -> str:
    return SCENARIOS[scenario].title if scenario in SCENARIOS else scenario


def ci_text(estimate: Estimate | None, digits: int = 0, unit: str = "") -> str:
    """A median with its 95 % CI; with one round, just the figure (no interval to give)."""
    if estimate is None:
        return "—"
    return f"{estimate.value:,.{digits}f}{unit}" if estimate.n <= 1 else estimate.format(digits, unit)


def size_text(size: int | None) -> str:
    return f"{size:,} posts" if size is not None else "the data"


def by_round(cell, *path: str) -> dict[int, float]:
    out = {}
    for e in cell.measured if cell else []:
        value = e
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            out[e.get("repeat", 0)] = value
    return out


def x_raw_ci(agg: Aggregate, backend: str, scenario: str, cache: str, c: int) -> Estimate | None:
    """req/s ÷ its own ceiling's (``ceiling_of``), round by round (paired), with its CI; None for a ceiling."""
    ceiling = ceiling_of(backend)
    if ceiling is None or ceiling == backend:
        return None
    cell, raw = agg.cell(backend, scenario, cache, c), agg.cell(ceiling, scenario, cache, c)
    if cell is None or raw is None:
        return None
    return paired_ratio(by_round(cell, "rps"), by_round(raw, "rps"))


def cell_text(agg: Aggregate, backend: str, scenario: str, cache: str, c: int, what: str, digits: int = 0) -> str:
    """A figure of one cell; throughput also as a fraction of its ceiling's (same size, cache mode, concurrency)."""
    cell = agg.cell(backend, scenario, cache, c)
    if cell is None or not cell.measured:
        return status_text(cell)
    if what != "rps":
        return fmt(cell.latency(what), digits, flagged=cell.flagged)
    text = ci_text(bootstrap_median(e["rps"] for e in cell.measured), digits)
    text = f"{text} {ERROR_MARK}" if cell.flagged else text
    x = x_raw_ci(agg, backend, scenario, cache, c)
    if x is not None:
        text += f" ({ci_text(x, 2)}× {ceiling_of(backend)})"
    return text
