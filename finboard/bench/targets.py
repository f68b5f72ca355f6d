"""The performance targets, computed from a run's own numbers.

It exists so "is FinBoard fast enough" is answered by ratios measured in one
run, on one machine, at the same moment — never by comparing figures from
different days. Each target is a ratio with a threshold:

1. × ceiling: each backend's throughput ÷ its own framework-less ceiling's
   (``wsgi-raw`` or ``asgi-raw``: ``finboard.bench.ceilings``; list, detail,
   search, stats) at c=64; the target is Flask ≥ 0.8 (the others are shown beside it).
2. Flat with size: throughput at the largest size ÷ at the smallest, per
   backend, for the listings, detail, the three searches and stats: ≥ 0.7.
3. Deep pages: page 5,000 by cursor ÷ the first page: ≥ 0.7.
4. Cache: cache on ÷ cache off, list and detail: ≥ 3 (the ceilings have no cache).
5. Pages: the server-rendered pages ÷ the API list (Flask): ≥ 0.5.
6. Lean: Flask's idle RSS ÷ its ceiling's ≤ 1.2, Flask's startup to the first 200 < 1 s.
7. Hot and top: the hot and all-time top listings ÷ the newest listing: ≥ 0.7.
8–11. The pages of issue 19 (finboard.bench.targets_pages): a cached visitor page ÷ the /hello
   yardstick ≥ 0.5, a 304 revalidation ÷ /hello ≥ 0.7, a logged-in page ÷ the API list ≥ 0.5,
   every page type and search at the largest size ÷ at the smallest ≥ 0.7.

``evaluate`` turns a results document into ``Check`` rows (pure: tests feed
it made-up runs); the report and the results file show them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from finboard.bench.ceilings import ceiling_of, is_ceiling_label
from finboard.bench.results import OK
from finboard.bench.tables import Aggregate, run_sizes

FLASK = "flask-orm"  # the app as shipped (DATA_LAYER's default): the backend the targets judge
JUDGED = (FLASK, "flask")  # "flask": its name in files recorded before the data-layer matrix
TARGET_CONCURRENCY = 64
RAW_SCENARIOS = ("list", "detail", "search", "aggregate")
SIZE_SCENARIOS = (
    "list",
    "list_category",
    "list_cashtag",
    "detail",
    "search_common",
    "search_mid",
    "search_rare",
    "aggregate",
)
CACHE_SCENARIOS = ("list", "detail")
RANKED_SCENARIOS = ("list_hot", "list_top")


@dataclass(frozen=True)
class Target:
    number: int
    title: str
    threshold: float
    op: str  # ">=", "<=" or "<"
    unit: str  # "×" for ratios, " s" for seconds
    what: str


TARGETS = {
    t.number: t
    for t in (
        Target(
            1,
            "Throughput × ceiling",
            0.8,
            ">=",
            "×",
            f"req/s ÷ its ceiling's req/s at c={TARGET_CONCURRENCY}; Flask ≥ 0.8",
        ),
        Target(2, "Flat with size", 0.7, ">=", "×", "req/s at the largest size ÷ req/s at the smallest, per backend"),
        Target(3, "Deep pages", 0.7, ">=", "×", "page 5,000 of 20 by cursor ÷ the first page"),
        Target(4, "Cache", 3.0, ">=", "×", "cache-on ÷ cache-off req/s for list and detail"),
        Target(5, "Pages", 0.5, ">=", "×", "server-rendered pages ÷ API list req/s (Flask)"),
        Target(
            6, "Lean", 1.2, "<=", "×", "idle RSS of Flask's gunicorn tree ÷ its ceiling's; startup to first 200 < 1 s"
        ),
        Target(7, "Hot and top", 0.7, ">=", "×", "the hot and the all-time top listings ÷ the newest listing"),
        Target(8, "Cached pages ÷ /hello", 0.5, ">=", "×", "a visitor's page, cache on, ÷ the /hello yardstick"),
        Target(9, "Revalidation ÷ /hello", 0.7, ">=", "×", "304 answers to If-None-Match ÷ the /hello yardstick"),
        Target(10, "Logged-in pages", 0.5, ">=", "×", "a member's page ÷ the API list, same cache mode"),
        Target(11, "Pages flat with size", 0.7, ">=", "×", "each page type and search: largest size ÷ smallest"),
    )
}
STARTUP_LIMIT_S = 1.0


@dataclass(frozen=True)
class Check:
    """One measured ratio (or duration) against its target's threshold."""

    target: int
    label: str
    value: float | None
    threshold: float
    op: str = ">="
    unit: str = "×"
    backend: str | None = None
    scenario: str | None = None
    data_size: int | None = None
    judged: bool = True  # False: shown for context, not part of the target
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.op == ">=":
            return self.value >= self.threshold
        if self.op == "<=":
            return self.value <= self.threshold
        return self.value < self.threshold

    @property
    def margin(self) -> float | None:
        """How far from the threshold, relative to it: positive when met (0.06 = 6% better than needed)."""
        if self.value is None or not self.threshold:
            return None
        if self.op == ">=":
            return self.value / self.threshold - 1
        return 1 - self.value / self.threshold

    def threshold_text(self) -> str:
        sign = {">=": "≥", "<=": "≤"}.get(self.op, self.op)
        return f"{sign} {self.threshold:g}{self.unit}"

    def value_text(self) -> str:
        if self.value is None:
            return "not measured"
        return f"{self.value:.2f} s" if self.unit == " s" else f"{self.value:.2f}×"

    def verdict(self) -> str:
        if self.met is None:
            return "not measured"
        if not self.judged:
            return "(context)"
        word = "met" if self.met else "missed"
        return f"{word} by {abs(self.margin):.0%}" if self.margin is not None else word

    def mark(self) -> str:
        if self.met is None or not self.judged:
            return ""
        return "✅" if self.met else "❌"

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "label": self.label,
            "backend": self.backend,
            "scenario": self.scenario,
            "data_size": self.data_size,
            "value": None if self.value is None else round(self.value, 4),
            "threshold": self.threshold,
            "op": self.op,
            "unit": self.unit.strip(),
            "judged": self.judged,
            "met": self.met,
            "margin": None if self.margin is None else round(self.margin, 4),
            "note": self.note,
        }


def concurrency(agg: Aggregate) -> int | None:
    """c=64 when the run measured it, else its highest concurrency."""
    if TARGET_CONCURRENCY in agg.concurrencies:
        return TARGET_CONCURRENCY
    return agg.concurrencies[-1] if agg.concurrencies else None


def base_cache(agg: Aggregate) -> str:
    return "off" if "off" in agg.caches else agg.base_cache()


def rps(agg: Aggregate, backend: str, scenario: str, cache: str | None = None) -> float | None:
    c = concurrency(agg)
    cell = agg.cell(backend, scenario, cache or base_cache(agg), c) if c is not None else None
    return cell.rps.median if cell is not None and cell.rps is not None else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def size_label(size: int | None) -> str:
    return f"{size:,} posts" if size is not None else "?"


def _round(run: dict, size: int) -> dict:
    return next((r for r in run.get("rounds") or [] if r.get("data_size") == size), {})


def deep_note(run: dict, size: int) -> str:
    deep = _round(run, size).get("deep") or {}
    page, requested = deep.get("page"), deep.get("requested_page")
    if not page:
        return ""
    if requested and page < requested:
        return f"page {page:,}, the deepest at this size ({requested:,} asked)"
    return f"page {page:,}"


def server_figure(run: dict, backend: str, size: int, cache: str, path: tuple[str, ...]) -> float | None:
    """The median of one per-server figure (e.g. idle RSS, startup) over a backend's measured rows."""
    values = []
    for entry in run.get("results", []):
        if (entry["backend"], entry.get("data_size"), entry.get("cache")) != (backend, size, cache):
            continue
        if entry.get("status") != OK:
            continue
        value = entry
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(value)
    return statistics.median(values) if values else None


def check(number: int, label: str, value: float | None, **details) -> Check:
    """A Check of target ``number`` (its threshold, comparison and unit)."""
    target = TARGETS[number]
    return Check(number, label, value, target.threshold, target.op, target.unit, **details)


def evaluate(run: dict) -> list[Check]:
    """Every target's checks, from the run's own numbers."""
    sizes = run_sizes(run)
    aggs = {size: Aggregate(run, size) for size in sizes}
    backends = list(dict.fromkeys(b for agg in aggs.values() for b in agg.backends))
    checks: list[Check] = []

    def measured(agg: Aggregate, backend: str, scenario: str, cache: str | None = None) -> bool:
        return agg.cell(backend, scenario, cache or base_cache(agg), concurrency(agg)) is not None

    ceilings = {b: ceiling_of(b) for b in backends}
    framed = [b for b in backends if ceilings[b] and ceilings[b] != b]  # the backends with a ceiling to set against
    for size, agg in aggs.items():  # 1. × its ceiling
        for scenario in RAW_SCENARIOS:
            for backend in (b for b in framed if measured(agg, b, scenario)):
                reference = rps(agg, ceilings[backend], scenario)
                value = ratio(rps(agg, backend, scenario), reference)
                label = f"{backend} ÷ {ceilings[backend]}, {scenario}, {size_label(size)}"
                note = "" if reference else f"{ceilings[backend]} not measured"
                checks.append(check(1, label, value, backend=backend, scenario=scenario, data_size=size,
                                    judged=backend in JUDGED, note=note))  # fmt: skip

    if len(sizes) > 1:  # 2. flat with size
        small, large = aggs[sizes[0]], aggs[sizes[-1]]
        for scenario in SIZE_SCENARIOS:
            for backend in (b for b in backends if measured(small, b, scenario)):
                value = ratio(rps(large, backend, scenario), rps(small, backend, scenario))
                label = f"{backend}, {scenario}: {sizes[-1]:,} ÷ {sizes[0]:,} posts"
                checks.append(check(2, label, value, backend=backend, scenario=scenario, data_size=sizes[-1]))

    for size, agg in aggs.items():  # 3. deep pages
        for backend in (b for b in backends if measured(agg, b, "deep")):
            value = ratio(rps(agg, backend, "deep"), rps(agg, backend, "list"))
            label = f"{backend}, deep ÷ list, {size_label(size)}"
            checks.append(check(3, label, value, backend=backend, scenario="deep", data_size=size,
                                note=deep_note(run, size)))  # fmt: skip

    for size, agg in aggs.items():  # 7. hot and top (issue 18), ÷ the newest listing, as deep pages are
        for scenario in RANKED_SCENARIOS:
            for backend in (b for b in backends if measured(agg, b, scenario)):
                value = ratio(rps(agg, backend, scenario), rps(agg, backend, "list"))
                checks.append(check(7, f"{backend}, {scenario} ÷ list, {size_label(size)}", value, backend=backend,
                                    scenario=scenario, data_size=size))  # fmt: skip

    for size, agg in aggs.items():  # 4. cache
        for scenario in CACHE_SCENARIOS if {"off", "on"} <= set(agg.caches) else ():
            for backend in (b for b in backends if measured(agg, b, scenario, "on")):
                value = ratio(rps(agg, backend, scenario, "on"), rps(agg, backend, scenario, "off"))
                label = f"{backend}, {scenario}, cache on ÷ off, {size_label(size)}"
                ceiling = is_ceiling_label(backend)
                note = "a ceiling has no cache" if ceiling else ""
                checks.append(check(4, label, value, backend=backend, scenario=scenario, data_size=size,
                                    judged=not ceiling, note=note))  # fmt: skip

    for size, agg in aggs.items():  # 5. pages ÷ list
        for flask in (name for name in JUDGED if measured(agg, name, "pages")):
            value = ratio(rps(agg, flask, "pages"), rps(agg, flask, "list"))
            checks.append(check(5, f"{flask}, pages ÷ list, {size_label(size)}", value, backend=flask,
                                scenario="pages", data_size=size))  # fmt: skip

    for size, agg in aggs.items():  # 6. lean: idle RSS ÷ its ceiling's, startup
        cache = base_cache(agg)

        def figure(backend: str, *path: str, size=size, cache=cache) -> float | None:
            return server_figure(run, backend, size, cache, path)

        for backend in (b for b in framed if figure(b, "rss_mb", "idle") is not None):
            ceiling = ceilings[backend]
            raw_rss = figure(ceiling, "rss_mb", "idle")
            rss = figure(backend, "rss_mb", "idle")
            load = ratio(figure(backend, "rss_mb", "load"), figure(ceiling, "rss_mb", "load"))
            note = f"{rss:,.0f} MB vs {raw_rss:,.0f} MB" if raw_rss else f"{ceiling} not measured"
            note += f"; under load {load:.2f}×" if load else ""
            checks.append(check(6, f"{backend} ÷ {ceiling}, idle RSS, {size_label(size)}", ratio(rss, raw_rss),
                                backend=backend, data_size=size, judged=backend in JUDGED, note=note))  # fmt: skip
        for backend in (b for b in backends if figure(b, "startup_s") is not None):
            label = f"{backend} startup to first 200, {size_label(size)}"
            checks.append(Check(6, label, figure(backend, "startup_s"), STARTUP_LIMIT_S, "<", " s",
                                backend=backend, data_size=size, judged=backend in JUDGED))  # fmt: skip
    from finboard.bench.targets_pages import page_checks  # it builds on this module's helpers

    return checks + page_checks(sizes, aggs, backends)


@dataclass(frozen=True)
class Outcome:
    target: Target
    judged: int
    met: int
    unmeasured: int
    worst: Check | None

    def text(self) -> str:
        if not self.judged and not self.unmeasured:
            return "not measured in this run"
        parts = [f"{self.met} of {self.judged + self.unmeasured} met"]
        if self.unmeasured:
            parts.append(f"{self.unmeasured} not measured")
        return ", ".join(parts)


def outcomes(checks: list[Check]) -> list[Outcome]:
    """Per target: how many judged checks were met, and the worst of them."""
    result = []
    for number, target in TARGETS.items():
        judged = [c for c in checks if c.target == number and c.judged]
        measured = [c for c in judged if c.met is not None]
        worst = min(measured, key=lambda c: c.margin, default=None)
        result.append(
            Outcome(target, len(measured), sum(1 for c in measured if c.met), len(judged) - len(measured), worst)
        )
    return result


def as_json(checks: list[Check]) -> list[dict]:
    return [c.as_dict() for c in checks]
