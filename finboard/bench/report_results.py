"""The seed comparison's per-size tables: response time, throughput, resources, queries, caching, size.

One function per table of the seed's layout, each over one ``Aggregate`` (one
data size), except ``size_section`` which sets the smallest size against the
largest.
"""

from __future__ import annotations

from finboard.bench import targets
from finboard.bench.report_text import cell_text, table, title
from finboard.bench.stats import spread
from finboard.bench.tables import Aggregate, fmt, status_text


def response_time_section(agg: Aggregate) -> str:
    if not agg.concurrencies:
        return "No measurements."
    c, cache = agg.concurrencies[0], agg.base_cache()
    rows = []
    for scenario in agg.scenarios:
        row = [title(scenario)]
        for backend in agg.backends:
            cell = agg.cell(backend, scenario, cache, c)
            if cell is None or not cell.measured:
                row.append(status_text(cell))
                continue
            if cell.latency("p50") is None:
                row.append("no answer within the cell")
                continue
            timeouts = cell.errors().get("timeout") or 0
            extra = f"; {timeouts:,} timeouts" if timeouts else ""
            row.append(
                f"{fmt(cell.latency('p50'), 1, flagged=cell.flagged)} (p99 {fmt(cell.latency('p99'), 1)}{extra})"
            )
        rows.append(row)
    return (
        f"Median latency (p50, ms) at {c} connections, cache {cache}; p99 in brackets, with the requests that timed"
        " out (slower than wrk's --timeout, so outside its percentiles).\n\n"
    ) + table(["Endpoint", *agg.backends], rows)


def throughput_section(agg: Aggregate) -> str:
    scenario, cache = agg.headline_scenario(), agg.base_cache()
    if scenario is None:
        return "No measurements."
    rows = [[f"{c}", *(cell_text(agg, b, scenario, cache, c, "rps") for b in agg.backends)] for c in agg.concurrencies]
    head = f"Successful requests per second, **{title(scenario)}** ({scenario}), cache {cache}.\n\n"
    full = []
    for scen in agg.scenarios:
        for cache_mode in agg.caches:
            for c in agg.concurrencies:
                if any(agg.cell(b, scen, cache_mode, c) for b in agg.backends):
                    full.append(
                        [
                            scen,
                            cache_mode,
                            str(c),
                            *(cell_text(agg, b, scen, cache_mode, c, "rps") for b in agg.backends),
                        ]
                    )
    return (
        head
        + table(["Concurrent users", *agg.backends], rows)
        + "\n\nEvery scenario:\n\n"
        + table(["Scenario", "Cache", "Connections", *agg.backends], full)
    )


def resource_rows(agg: Aggregate, backend: str) -> dict:
    info = agg.run.get("backends", {}).get(backend, {})
    entries = agg.backend_entries(backend)

    def pick(*path):
        values = []
        for e in entries:
            value = e
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            values.append(value)
        return values

    return {
        "idle": spread(pick("rss_mb", "idle")) or spread(info.get("rss_idle_mb") or []),
        "load": mean(pick("rss_mb", "load")),
        "peak": peak(pick("rss_mb", "peak")),
        **{
            f"{kind}_{when}": agg_value(pick(f"{kind}_mb", when))
            for kind in ("pss", "uss")
            for when in ("idle", "load", "peak")
        },
        "cpu_avg": mean(pick("cpu_pct", "avg")),
        "cpu_peak": peak(pick("cpu_pct", "peak")),
        "wrk_avg": mean(pick("wrk_cpu_pct", "avg")),
        "wrk_peak": peak(pick("wrk_cpu_pct", "peak")),
        "pg_avg": mean(pick("postgres_cpu_pct", "avg")),
        "pg_peak": peak(pick("postgres_cpu_pct", "peak")),
        "other_avg": mean(pick("other_cpu_pct", "avg")),
        "startup": spread(pick("startup_s")) or spread(info.get("startup_s") or []),
        "image": info.get("docker_image_mb", "n/a"),
    }


def agg_value(values: list) -> float | None:
    """Peak of the peaks, else the mean (idle, load) over the cells."""
    return mean(values)


def mean(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def peak(values: list) -> float | None:
    return max((v for v in values if v is not None), default=None)


def num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.0f}{unit}"


def resources_section(agg: Aggregate) -> str:
    memory, cpu, startup = [], [], []
    for backend in agg.backends:
        r = resource_rows(agg, backend)
        memory.append(
            [
                backend,
                fmt(r["idle"], 0, " MB"),
                num(r["load"], " MB"),
                num(r["peak"], " MB"),
                " / ".join(num(r[f"pss_{w}"]) for w in ("idle", "load", "peak")) + " MB",
                " / ".join(num(r[f"uss_{w}"]) for w in ("idle", "load", "peak")) + " MB",
            ]
        )
        cpu.append(
            [
                backend,
                num(r["cpu_avg"], "%"),
                num(r["cpu_peak"], "%"),
                f"{num(r['wrk_avg'], '%')} / {num(r['wrk_peak'], '%')}",
                f"{num(r['pg_avg'], '%')} / {num(r['pg_peak'], '%')}",
                num(r["other_avg"], "%"),
            ]
        )
        image = f"{r['image']} MB" if isinstance(r["image"], int | float) else "n/a"
        startup.append([backend, image, fmt(r["startup"], 2, " s")])
    return (
        "### 3. Memory Usage\n\nRSS of the server's whole process tree (master + workers). Idle: after start-up and the"
        " primer (median of the runs); under load: mean over the measured cells of each cell's average; peak: highest"
        " sample. RSS counts the pages a pre-forked server's workers share once per worker; PSS splits them between"
        " the processes sharing them (what the tree costs the machine) and USS leaves them out (what would be freed"
        " if it exited): idle / under load (mean) / peak (mean of the cells' peaks), — where not measured (files"
        " older than schema version 3).\n\n"
        + table(
            ["Framework", "Idle RSS", "Under Load RSS", "Peak RSS", "PSS idle / load / peak", "USS idle / load / peak"],
            memory,
        )
        + "\n\n### 4. CPU Utilization\n\nPercent of one core (200% = two cores): mean over the measured cells of each"
        " cell's average, and the highest sample; PostgreSQL counts all its processes on this machine; "
        "wrk and PostgreSQL beside it show whether the load generator or the database was the limit, and 'other"
        " processes' what the rest of the machine took meanwhile.\n\n"
        + table(
            ["Framework", "Average CPU", "Peak CPU", "wrk (avg / peak)", "PostgreSQL (avg / peak)", "Other processes"],
            cpu,
        )
        + "\n\n### 5. Docker Image Size and Startup\n\nStartup: spawn → first 200 on the health URL. Image size only"
        " when a Docker engine is present (n/a otherwise).\n\n"
        + table(["Framework", "Image Size", "Startup Time"], startup)
    )


def sql_section(agg: Aggregate) -> str:
    counts = [c for c in agg.run.get("sql") or [] if c.get("data_size", agg.data_size) == agg.data_size]
    if not counts:
        return "Not measured (with --target, or the run stopped before counting)."
    unit = counts[0].get("unit", "statements")
    method = counts[0].get("method")
    caches = sorted({c["cache"] for c in counts}, key=lambda c: c != "off")
    rows = []
    for scenario in agg.scenarios:
        for cache in caches:
            row = [title(scenario), cache]
            for backend in agg.backends:
                found = next(
                    (c for c in counts if (c["backend"], c["scenario"], c["cache"]) == (backend, scenario, cache)), None
                )
                if found and found.get("per_request") is not None:
                    rows_read = found.get("rows_per_request")
                    row.append(
                        f"{found['per_request']:.2f}" + (f" ({rows_read:,.0f} rows)" if rows_read is not None else "")
                    )
                else:
                    row.append("—")
            if any(v != "—" for v in row[2:]):
                rows.append(row)
    return (
        f"SQL {unit} per request, counted by PostgreSQL ({method}) over {counts[0].get('requests')} requests sent"
        " one at a time; rows read per request in brackets.\n\n" + table(["Operation", "Cache", *agg.backends], rows)
    )


def cache_section(agg: Aggregate) -> str:
    if not {"off", "on"} <= set(agg.caches):
        return "Not measured in this run (run with `--cache both`)."
    c = agg.concurrencies[0]
    rows = []
    for scenario in ("list", "detail"):
        for backend in agg.backends:
            off, on = agg.cell(backend, scenario, "off", c), agg.cell(backend, scenario, "on", c)
            if not (off and on and off.latency("p50") and on.latency("p50")):
                continue
            miss, hit = off.latency("p50").median, on.latency("p50").median
            gain = f"{(miss - hit) / miss:.0%} faster" if miss and hit < miss else f"{(hit - miss) / miss:.0%} slower"
            rows.append(
                [
                    backend,
                    title(scenario),
                    fmt(on.latency("p50"), 1, " ms", on.flagged),
                    fmt(off.latency("p50"), 1, " ms", off.flagged),
                    gain,
                    f"{fmt(off.rps)} → {fmt(on.rps)}",
                    f"{on.rps.median / off.rps.median:.2f}×" if on.rps and off.rps and off.rps.median else "—",
                ]
            )
    return f"Redis cache on (hit) vs off (miss), p50 at {c} connections.\n\n" + table(
        ["Framework", "Endpoint", "Cache Hit", "Cache Miss", "Improvement", "req/s off → on", "on ÷ off"], rows
    )


def size_section(aggs: list[Aggregate]) -> str:
    small, large = aggs[0], aggs[-1]
    c = targets.concurrency(large)
    cache = targets.base_cache(large)
    rows = []
    for scenario in dict.fromkeys([*small.scenarios, *large.scenarios]):
        row = [title(scenario) + (" ◆" if scenario in targets.SIZE_SCENARIOS else "")]
        for backend in large.backends:
            a, b = small.cell(backend, scenario, cache, c), large.cell(backend, scenario, cache, c)
            if not (a and b and a.rps and b.rps):
                row.append("—")
                continue
            ratio = b.rps.median / a.rps.median if a.rps.median else None
            row.append(f"{a.rps.median:,.0f} → {b.rps.median:,.0f}" + (f" ({ratio:.2f}×)" if ratio else ""))
        rows.append(row)
    return (
        f"Successful req/s at {small.data_size:,} → {large.data_size:,} posts (largest ÷ smallest in brackets), "
        f"{c} connections, cache {cache}; ◆ marks the scenarios of target 2.\n\n"
        + table(["Scenario", *large.backends], rows)
    )
