"""The figures of a results file, aggregated over repeats, ready for tables and charts.

It exists so the terminal table, the Markdown report, the charts and
``compare`` all read the same aggregates: per data size, per backend ×
scenario × cache × concurrency, the median of the repeats with its min–max,
and whether any repeat had more than 1 % errors.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from finboard.bench.ceilings import ceiling_of
from finboard.bench.results import ERROR_MARK_THRESHOLD, OK
from finboard.bench.stats import Spread, bootstrap_median, spread

ERROR_MARK = "⚠"


@dataclass
class Cell:
    backend: str
    scenario: str
    cache: str
    concurrency: int
    entries: list[dict] = field(default_factory=list)

    @property
    def measured(self) -> list[dict]:
        return [e for e in self.entries if e.get("status") == OK and e.get("rps") is not None]

    @property
    def status(self) -> str:
        statuses = {e.get("status") for e in self.entries}
        return OK if self.measured else next(iter(sorted(s for s in statuses if s)), "not_run")

    @property
    def reason(self) -> str | None:
        return next((e.get("reason") for e in self.entries if e.get("reason")), None)

    def figure(self, *path: str) -> Spread | None:
        def dig(entry: dict):
            value = entry
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            return value

        return spread(dig(e) for e in self.measured)

    @property
    def rps(self) -> Spread | None:
        return self.figure("rps")

    @property
    def rps_ci(self) -> Spread | None:
        """Median req/s with its 95 % bootstrap CI as low–high (a point with one repeat)."""
        estimate = bootstrap_median(e.get("rps") for e in self.measured)
        return None if estimate is None else Spread(estimate.value, estimate.low, estimate.high, estimate.n)

    @property
    def x_raw(self) -> Spread | None:
        return self.figure("x_raw")

    def latency(self, key: str) -> Spread | None:
        return self.figure("latency_ms", key)

    @property
    def error_rate(self) -> float:
        rates = [e.get("error_rate") or 0.0 for e in self.measured]
        return max(rates) if rates else 0.0

    @property
    def flagged(self) -> bool:
        return self.error_rate > ERROR_MARK_THRESHOLD

    def errors(self) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for entry in self.measured:
            for kind, n in (entry.get("errors") or {}).items():
                total[kind] += n or 0
        return dict(total)


def run_sizes(run: dict) -> list[int]:
    """The data sizes of a run's rounds, smallest first."""
    sizes = {e.get("data_size") for e in run.get("results", [])} - {None}
    if not sizes:
        configured = (run.get("settings") or {}).get("data_size")
        sizes = set(configured if isinstance(configured, list) else [configured] if configured else [])
    return sorted(sizes)


class Aggregate:
    """The cells of one data size of a run (the largest when none is given), with lookups by key."""

    def __init__(self, run: dict, data_size: int | None = None):
        self.run = run
        sizes = run_sizes(run)
        self.data_size = data_size if data_size is not None else (sizes[-1] if sizes else None)
        self.cells: dict[tuple, Cell] = {}
        for entry in run.get("results", []):
            if self.data_size is not None and entry.get("data_size", self.data_size) != self.data_size:
                continue
            key = (entry["backend"], entry["scenario"], entry.get("cache", "off"), entry["concurrency"])
            self.cells.setdefault(key, Cell(*key)).entries.append(entry)

    @property
    def backends(self) -> list[str]:
        return list(dict.fromkeys([*self.run.get("backends", {}), *(k[0] for k in self.cells)]))

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(k[1] for k in self.cells))

    @property
    def concurrencies(self) -> list[int]:
        return sorted({k[3] for k in self.cells})

    @property
    def caches(self) -> list[str]:
        return sorted({k[2] for k in self.cells}, key=lambda c: c != "off")

    def cell(self, backend: str, scenario: str, cache: str, concurrency: int) -> Cell | None:
        return self.cells.get((backend, scenario, cache, concurrency))

    def x_raw(self, backend: str, scenario: str, cache: str, concurrency: int) -> float | None:
        """Median req/s ÷ its own ceiling's (``ceiling_of``) in the same scenario, cache mode and concurrency."""
        ceiling = ceiling_of(backend)
        cell = self.cell(backend, scenario, cache, concurrency)
        raw = self.cell(ceiling, scenario, cache, concurrency) if ceiling else None
        if cell is None or raw is None or cell.rps is None or raw.rps is None or not raw.rps.median:
            return None
        return cell.rps.median / raw.rps.median

    def base_cache(self) -> str:
        return "off" if "off" in self.caches else self.caches[0] if self.caches else "off"

    def headline_scenario(self) -> str | None:
        """mixed, list or detail: the first of them measured on the most backends (raw runs no mixed)."""
        candidates = [name for name in ("mixed", "list", "detail") if name in self.scenarios]
        if not candidates:
            return self.scenarios[0] if self.scenarios else None

        def backends_measured(name: str) -> int:
            return len({k[0] for k, cell in self.cells.items() if k[1] == name and cell.measured})

        return max(candidates, key=lambda name: (backends_measured(name), -candidates.index(name)))

    def backend_entries(self, backend: str) -> list[dict]:
        return [e for c in self.cells.values() if c.backend == backend for e in c.measured]


def fmt(value: Spread | None, digits: int = 0, unit: str = "", flagged: bool = False) -> str:
    if value is None:
        return "—"
    text = value.format(digits, unit)
    return f"{text} {ERROR_MARK}" if flagged else text


def status_text(cell: Cell | None) -> str:
    if cell is None:
        return "n/a"
    return {
        "failed_to_start": "did not start",
        "failed_verification": "failed verification",
        "died": "died",
        "interrupted": "interrupted",
        "skipped": "skipped",
        "not_run": "not run",
        "error": "error",
    }.get(cell.status, cell.status)
