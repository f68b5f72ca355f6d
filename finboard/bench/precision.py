"""How precise a run's figures are: per-cell medians with 95 % CIs, paired ratios, the A/A control.

It exists because a single number per backend invites ranking on noise. A run
measures every cell once per round (``repeat``), every backend once per round
with the order balanced (finboard.bench.rotation), so figures of one round were taken close together in
time. From those per-round samples this module gives:

- per cell (data size × backend × scenario × cache × concurrency): the median
  req/s, CPU µs per request (the server's process tree, and PostgreSQL's)
  and memory, each with a seeded bootstrap 95 % confidence interval;
- ratios between backends computed round by round (paired), so a slow
  minute of the machine hits both sides of a ratio alike;
- the A/A control: one backend registered twice (``flask`` and
  ``flask~aa``); their ratio should be 1, and when its CI leaves
  [0.95, 1.05] the run is too noisy to rank backends at all.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from finboard.bench.ceilings import AA_SUFFIX, ceiling_of, is_ceiling_label, sql_variant_of
from finboard.bench.results import OK
from finboard.bench.stats import AA_BAND, Estimate, aa_noisy, bootstrap_median, paired_difference, paired_ratio


def aa_copy_name(name: str) -> str:
    return f"{name}{AA_SUFFIX}"


def is_aa_copy(name: str) -> bool:
    return name.endswith(AA_SUFFIX)


CellId = tuple  # (data_size, backend, scenario, cache, concurrency)


def cell_id(entry: dict) -> CellId:
    return (
        entry.get("data_size"),
        entry["backend"],
        entry["scenario"],
        entry.get("cache", "off"),
        entry["concurrency"],
    )


def _dig(entry: dict, *path: str):
    value = entry
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def per_round(entries: list[dict], *path: str) -> dict[CellId, dict[int, float]]:
    """For every cell, round (repeat) → the figure at ``path``, measured entries only."""
    out: dict[CellId, dict[int, float]] = defaultdict(dict)
    for e in entries:
        value = _dig(e, *path)
        if e.get("status") == OK and value is not None:
            out[cell_id(e)][e.get("repeat", 0)] = float(value)
    return out


def _ci(estimate: Estimate | None) -> list[float] | None:
    return None if estimate is None else [round(estimate.low, 3), round(estimate.high, 3)]


def _value(estimate: Estimate | None, digits: int = 1) -> float | None:
    return None if estimate is None else round(estimate.value, digits)


def cells(entries: list[dict]) -> list[dict]:
    """One summary per cell: medians with their 95 % CIs (``cells[]`` of the results file)."""
    rps = per_round(entries, "rps")
    cpu = per_round(entries, "cpu_us_per_request")
    pg = per_round(entries, "postgres_cpu_us_per_request")
    memory = {f"{kind}_{when}": per_round(entries, f"{kind}_mb", when) for kind in ("rss", "pss", "uss")
              for when in ("idle", "load", "peak")}  # fmt: skip
    out = []
    ceilings = {b: ceiling_of(b) for b in {e["backend"] for e in entries}}
    for cid in dict.fromkeys(cell_id(e) for e in entries):
        size, backend, scenario, cache, concurrency = cid
        rps_e = bootstrap_median(rps.get(cid, {}).values())
        cpu_e = bootstrap_median(cpu.get(cid, {}).values())
        pg_e = bootstrap_median(pg.get(cid, {}).values())
        raw_id = (size, ceilings[backend], scenario, cache, concurrency)
        x_raw = paired_ratio(rps.get(cid, {}), rps.get(raw_id, {})) if raw_id in rps else None

        def median_mb(kind: str, when: str, cid=cid) -> float | None:
            values = list(memory[f"{kind}_{when}"].get(cid, {}).values())
            return round(statistics.median(values), 1) if values else None

        out.append(
            {
                "data_size": size,
                "backend": backend,
                "scenario": scenario,
                "cache": cache,
                "concurrency": concurrency,
                "rounds": len(rps.get(cid, {})),
                "rps": _value(rps_e),
                "rps_ci95": _ci(rps_e),
                "x_raw": _value(x_raw, 3),
                "x_raw_ci95": _ci(x_raw),
                "cpu_us_per_request": _value(cpu_e),
                "cpu_us_per_request_ci95": _ci(cpu_e),
                "postgres_cpu_us_per_request": _value(pg_e),
                "postgres_cpu_us_per_request_ci95": _ci(pg_e),
                **{
                    f"{kind}_mb": {w: median_mb(kind, w) for w in ("idle", "load", "peak")}
                    for kind in ("rss", "pss", "uss")
                },
            }
        )
    return out


def aa_ratio(entries: list[dict], base: str | None = None) -> tuple[str | None, Estimate | None]:
    """The A/A control: ``base~aa`` ÷ ``base`` req/s, paired by round within each cell, pooled over cells.

    Each sample is one cell's ratio in one round (both copies ran in that
    round, one after the other); the estimate is their median with a bootstrap
    CI. ``base`` defaults to the backend whose ``~aa`` copy is in the entries.
    """
    names = {e["backend"] for e in entries}
    if base is None:
        base = next((n[: -len(AA_SUFFIX)] for n in sorted(names) if is_aa_copy(n)), None)
    if base is None or aa_copy_name(base) not in names:
        return base, None
    rps = per_round(entries, "rps")
    ratios: list[float] = []
    for cid, rounds in rps.items():
        if cid[1] != base:
            continue
        copy = rps.get((cid[0], aa_copy_name(base), *cid[2:]), {})
        ratios += [copy[r] / rounds[r] for r in sorted(set(copy) & set(rounds)) if rounds[r]]
    return base, bootstrap_median(ratios)


def aa_summary(entries: list[dict], base: str | None = None) -> dict:
    """The top-level A/A fields of the results file."""
    base, estimate = aa_ratio(entries, base)
    return {
        "aa_ratio": _value(estimate, 3),
        "aa_ratio_ci95": _ci(estimate),
        "aa": {
            "backend": base,
            "copy": aa_copy_name(base) if base else None,
            "samples": estimate.n if estimate else 0,
            "band": list(AA_BAND),
            "too_noisy_to_rank": None if estimate is None else aa_noisy(estimate),
        },
    }


def annotate(run: dict) -> dict:
    """Fill in ``cells[]``, the CIs on every ``results[]`` entry and the A/A fields (schema version 3)."""
    entries = run.get("results", [])
    summaries = cells(entries)
    by_id = {(c["data_size"], c["backend"], c["scenario"], c["cache"], c["concurrency"]): c for c in summaries}
    for e in entries:
        summary = by_id.get(cell_id(e))
        e["rps_ci95"] = summary["rps_ci95"] if summary and e.get("status") == OK else None
        e["cpu_us_per_request_ci95"] = summary["cpu_us_per_request_ci95"] if summary and e.get("status") == OK else None
    run["cells"] = summaries
    run.update(aa_summary(entries, (run.get("aa") or {}).get("backend")))
    return run


def time_breakdown(entries: list[dict], data_size, scenario: str, cache: str, concurrency: int) -> list[dict]:
    """Where the time goes in one scenario: each backend's CPU µs/request split against its ceiling and -sql variant.

    ``ceiling`` is the label's own framework-less ceiling (``finboard.bench.ceilings``); ``adds_us`` is what
    the backend adds over it (for an ``-sql`` backend: what the framework adds), and for an ``-orm`` backend
    ``orm_adds_us`` is its CPU µs minus its ``-sql`` variant's (what the ORM and serialisation add). Every
    difference is taken round by round (paired), with its CI. Ceilings come first, each followed by the backends
    measured against it.
    """
    cpu = per_round(entries, "cpu_us_per_request")
    pg = per_round(entries, "postgres_cpu_us_per_request")
    rps = per_round(entries, "rps")

    def rounds(label: str | None) -> dict[int, float]:
        return cpu.get((data_size, label, scenario, cache, concurrency), {}) if label else {}

    rows = []
    labels = [b for b in dict.fromkeys(e["backend"] for e in entries) if rounds(b)]
    order = {b: (ceiling_of(b) or b, not is_ceiling_label(b), b) for b in labels}
    for backend in sorted(labels, key=lambda b: order[b]):
        cid = (data_size, backend, scenario, cache, concurrency)
        ceiling, variant = ceiling_of(backend), sql_variant_of(backend)
        own = ceiling == backend
        rows.append(
            {
                "backend": backend,
                "ceiling": ceiling,
                "is_ceiling": own,
                "cpu_us": bootstrap_median(cpu[cid].values()),
                "adds_us": None if own or not rounds(ceiling) else paired_difference(cpu[cid], rounds(ceiling)),
                "sql_variant": variant,
                "orm_adds_us": paired_difference(cpu[cid], rounds(variant)) if rounds(variant) else None,
                "postgres_us": bootstrap_median(pg.get(cid, {}).values()),
                "rps": bootstrap_median(rps.get(cid, {}).values()),
                "x_ceiling": None if own else paired_ratio(rps.get(cid, {}), rps.get((cid[0], ceiling, *cid[2:]), {})),
            }
        )
    return rows


def ranking(entries: list[dict], data_size, scenario: str, cache: str, concurrency: int) -> list[tuple[str, Estimate]]:
    """Backends by median req/s (A/A copies left out), each with its paired ratio to the next one down."""
    rps = per_round(entries, "rps")
    present = [
        (cid[1], rounds)
        for cid, rounds in rps.items()
        if cid[0] == data_size and cid[2:] == (scenario, cache, concurrency) and not is_aa_copy(cid[1])
    ]
    present.sort(key=lambda item: -statistics.median(item[1].values()))
    out = []
    for (name, rounds), (_, following) in zip(present, present[1:], strict=False):
        estimate = paired_ratio(rounds, following)
        if estimate is not None:
            out.append((name, estimate))
    return [*out, *[(present[-1][0], None)]] if present else []
