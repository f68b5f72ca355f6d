"""The targets of the server-rendered pages (issue 19), from a run's own numbers: targets 8–11.

It exists apart from finboard.bench.targets (the API's targets 1–7) so each
stays readable; the rules are issue 19's, each a ratio measured in one run:

8. A visitor's page with the cache on ÷ the ``hello`` yardstick: ≥ 0.5.
9. A revalidation (If-None-Match → 304) ÷ the yardstick: ≥ 0.7.
10. A member's page ÷ the API's list in the same cache mode: ≥ 0.5.
11. Every page type and search at the largest size ÷ at the smallest: ≥ 0.7.

The yardstick of a backend is ``hello`` under the same server (``hello@granian``
beside ``flask-orm@granian``), in the same cache mode when measured there.
Judged for FinBoard's own app (``flask-orm``); other backends serving pages are
shown for context.
"""

from __future__ import annotations

from finboard.bench.ceilings import split_label
from finboard.bench.page_scenarios import HELLO, is_member
from finboard.bench.scenarios import SCENARIOS
from finboard.bench.tables import Aggregate
from finboard.bench.targets import JUDGED, Check, base_cache, check, concurrency, ratio, rps, size_label

REVALIDATE = "page_revalidate"


def page_scenario_names() -> list[str]:
    """Every scenario divided by /hello (visitor and member), in catalogue order."""
    return [name for name, s in SCENARIOS.items() if s.per_hello]


def hello_labels(backend: str) -> list[str]:
    """The yardsticks that may stand beside ``backend``, nearest first: ``flask-orm@granian@HEAD~1`` →
    ``hello@granian@HEAD~1``, ``hello@granian``, ``hello`` (a --baseline copy has no /hello of its own)."""
    _, suffix = split_label(backend)
    parts = suffix.split("@")[1:]
    return [HELLO + "".join(f"@{p}" for p in parts[:n]) for n in range(len(parts), -1, -1)]


def hello_label(backend: str) -> str:
    """The yardstick served like ``backend``: ``hello``, ``hello@granian``."""
    return hello_labels(backend)[0]


def hello_rps(agg: Aggregate, backend: str, cache: str) -> float | None:
    """The yardstick's req/s beside ``backend``: in ``cache`` mode, else in any mode it was measured in."""
    for label in hello_labels(backend):
        for mode in [cache, *(c for c in agg.caches if c != cache)]:
            value = rps(agg, label, HELLO, mode)
            if value is not None:
                return value
    return None


def per_hello(agg: Aggregate, backend: str, scenario: str, cache: str) -> float | None:
    """A page scenario's req/s ÷ the /hello yardstick's (None when either is missing)."""
    return ratio(rps(agg, backend, scenario, cache), hello_rps(agg, backend, cache))


def _measured(agg: Aggregate, backend: str, scenario: str, cache: str) -> bool:
    c = concurrency(agg)
    cell = agg.cell(backend, scenario, cache, c) if c is not None else None
    return cell is not None and cell.rps is not None


def page_checks(sizes: list[int], aggs: dict[int, Aggregate], backends: list[str]) -> list[Check]:
    names = page_scenario_names()
    visitor = [n for n in names if not is_member(n) and n != REVALIDATE]
    member = [n for n in names if is_member(n) and not SCENARIOS[n].revalidate]
    checks: list[Check] = []
    for size, agg in aggs.items():  # 8. a cached visitor page ÷ /hello
        cached = "on" in agg.caches
        cache = "on" if cached else base_cache(agg)
        for scenario in visitor:
            for backend in (b for b in backends if _measured(agg, b, scenario, cache)):
                value = per_hello(agg, backend, scenario, cache)
                note = "" if cached else f"cache {cache}: no cached page measured (--cache on or both)"
                note = note or ("" if value is not None else f"{hello_label(backend)} not measured")
                checks.append(check(8, f"{backend}, {scenario} ÷ /hello, cache {cache}, {size_label(size)}", value,
                                    backend=backend, scenario=scenario, data_size=size,
                                    judged=backend in JUDGED and cached, note=note))  # fmt: skip
    for size, agg in aggs.items():  # 9. revalidation ÷ /hello (the member's, for context)
        for scenario in (REVALIDATE, REVALIDATE + "_member"):
            for cache in agg.caches:
                for backend in (b for b in backends if _measured(agg, b, scenario, cache)):
                    value = per_hello(agg, backend, scenario, cache)
                    checks.append(check(9, f"{backend}, {scenario} ÷ /hello, cache {cache}, {size_label(size)}",
                                        value, backend=backend, scenario=scenario, data_size=size,
                                        judged=backend in JUDGED and not is_member(scenario)))  # fmt: skip
    for size, agg in aggs.items():  # 10. a member's page ÷ the API list, same cache mode
        cache = base_cache(agg)
        for scenario in member:
            for backend in (b for b in backends if _measured(agg, b, scenario, cache)):
                api = rps(agg, backend, "list", cache)
                checks.append(check(10, f"{backend}, {scenario} ÷ list, cache {cache}, {size_label(size)}",
                                    ratio(rps(agg, backend, scenario, cache), api), backend=backend,
                                    scenario=scenario, data_size=size, judged=backend in JUDGED,
                                    note="" if api else "the list scenario was not measured"))  # fmt: skip
    if len(sizes) > 1:  # 11. flat with size
        small, large = aggs[sizes[0]], aggs[sizes[-1]]
        for scenario in (n for n in names if not SCENARIOS[n].revalidate):
            cache = base_cache(small)
            for backend in (b for b in backends if _measured(small, b, scenario, cache)):
                value = ratio(rps(large, backend, scenario, cache), rps(small, backend, scenario, cache))
                checks.append(check(11, f"{backend}, {scenario}: {sizes[-1]:,} ÷ {sizes[0]:,} posts", value,
                                    backend=backend, scenario=scenario, data_size=sizes[-1],
                                    judged=backend in JUDGED))  # fmt: skip
    return checks
