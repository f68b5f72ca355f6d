"""The terminal table and the Markdown report of a run.

It exists so people look at a run instead of reading JSON: the Markdown has
the seed comparison's tables (response time per endpoint, throughput per
concurrency, memory, CPU, startup and image size, query efficiency, caching
impact), each figure the median of the repeats with its [min–max], cells with
more than 1 % errors marked ⚠, the backends that got no figures and why, and
a short summary that says what the numbers don't show.
"""

from __future__ import annotations

from pathlib import Path

from finboard.bench.scenarios import SCENARIOS
from finboard.bench.stats import spread
from finboard.bench.summary import summary
from finboard.bench.tables import ERROR_MARK, Aggregate, fmt, status_text


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def title(scenario: str) -> str:
    return SCENARIOS[scenario].title if scenario in SCENARIOS else scenario


def cell_text(agg: Aggregate, backend: str, scenario: str, cache: str, c: int, what: str, digits: int = 0) -> str:
    cell = agg.cell(backend, scenario, cache, c)
    if cell is None or not cell.measured:
        return status_text(cell)
    value = cell.rps if what == "rps" else cell.latency(what)
    return fmt(value, digits, flagged=cell.flagged)


def terminal_table(run: dict) -> str:
    """Throughput and p50/p99 per cell, aligned for a terminal."""
    agg = Aggregate(run)
    rows = [["backend", "cache", "scenario", "conc", "req/s", "p50 ms", "p99 ms", "errors"]]
    for (backend, scenario, cache, c), cell in sorted(
        agg.cells.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3], kv[0][0])
    ):
        if cell.measured:
            errors = sum(cell.errors().values())
            rows.append(
                [
                    backend,
                    cache,
                    scenario,
                    str(c),
                    fmt(cell.rps),
                    fmt(cell.latency("p50"), 1),
                    fmt(cell.latency("p99"), 1),
                    f"{errors}{' ' + ERROR_MARK if cell.flagged else ''}",
                ]
            )
        else:
            rows.append([backend, cache, scenario, str(c), status_text(cell), "", "", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def environment_section(run: dict) -> str:
    env, s = run.get("environment", {}), run.get("settings", {})
    packages = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items() if v)
    git = env.get("git") or {}
    lines = [
        f"- **Hardware**: {env.get('cpu_model')}, {env.get('cores_logical')} logical cores,"
        f" {env.get('memory_gb')} GB RAM",
        f"- **OS**: {env.get('os')}; **Python**: {env.get('python')}",
        f"- **Database**: PostgreSQL {env.get('postgresql')} with {s.get('posts')} posts and {s.get('users')} users"
        f" (deterministic seed); **Redis**: {env.get('redis') or 'n/a'}",
        f"- **Load testing tool**: {env.get('wrk')}, {s.get('threads')} threads, --timeout {s.get('timeout_s')}s,"
        " Lua script `finboard/bench/lua/finboard.lua`",
        f"- **Concurrent connections**: {', '.join(str(c) for c in s.get('concurrency', []))}",
        f"- **Test duration**: {s.get('duration_s')}s per cell after a {s.get('warmup_s')}s warm-up at the highest"
        f" concurrency (not counted); {s.get('repeat')} repeat(s), backend order rotating",
        f"- **Servers**: gunicorn, {s.get('workers')} workers per backend, database pool {s.get('pool_size')}"
        f" per worker; cache modes: {', '.join(s.get('cache_modes') or [])}",
        f"- **Network**: localhost; **commit**: {git.get('commit')}"
        f"{' (with local changes)' if git.get('dirty') else ''}",
        f"- **Versions**: {packages}",
        f"- **Command**: `{run.get('command')}`",
    ]
    return "\n".join(lines)


def backends_section(run: dict) -> str:
    rows, tails = [], []
    for name, info in run.get("backends", {}).items():
        verification = info.get("verification") or {}
        checked = verification.get("checked")
        verified = "passed" if verification.get("ok") else ("failed" if verification else "—")
        problems = "; ".join(info.get("problems") or [])[:400] or "—"
        rows.append(
            [
                name,
                info.get("framework", ""),
                status_text_backend(info.get("status")),
                f"{verified} ({checked} requests)" if checked else verified,
                problems,
            ]
        )
        if info.get("log_tail"):
            tails.append(f"<details><summary>{name}: log tail</summary>\n\n```\n{info['log_tail']}\n```\n</details>")
    return table(["Backend", "Framework", "Status", "Verification", "Problems"], rows) + (
        "\n\n" + "\n\n".join(tails) if tails else ""
    )


def status_text_backend(status: str | None) -> str:
    return {"ok": "measured", "pending": "not run"}.get(status or "", (status or "").replace("_", " "))


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
        "idle": spread(info.get("rss_idle_mb") or pick("rss_mb", "idle")),
        "load": mean(pick("rss_mb", "load")),
        "peak": peak(pick("rss_mb", "peak")),
        "cpu_avg": mean(pick("cpu_pct", "avg")),
        "cpu_peak": peak(pick("cpu_pct", "peak")),
        "wrk_avg": mean(pick("wrk_cpu_pct", "avg")),
        "wrk_peak": peak(pick("wrk_cpu_pct", "peak")),
        "pg_avg": mean(pick("postgres_cpu_pct", "avg")),
        "pg_peak": peak(pick("postgres_cpu_pct", "peak")),
        "other_avg": mean(pick("other_cpu_pct", "avg")),
        "startup": spread(info.get("startup_s") or []),
        "image": info.get("docker_image_mb", "n/a"),
    }


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
        memory.append([backend, fmt(r["idle"], 0, " MB"), num(r["load"], " MB"), num(r["peak"], " MB")])
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
        " sample.\n\n"
        + table(["Framework", "Idle", "Under Load", "Peak"], memory)
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
    counts = agg.run.get("sql") or []
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
                ]
            )
    return f"Redis cache on (hit) vs off (miss), p50 at {c} connections.\n\n" + table(
        ["Framework", "Endpoint", "Cache Hit", "Cache Miss", "Improvement", "req/s off → on"], rows
    )


def markdown(run: dict, charts: list[Path] | None = None) -> str:
    agg = Aggregate(run)
    started = run.get("started_at") or ""
    parts = [
        f"# FinBoard benchmark: {' vs '.join(agg.backends)}",
        f"Run of {started}{' (interrupted: partial results)' if run.get('interrupted') else ''}. Every figure is the"
        f" median of the repeats with its [min–max]; {ERROR_MARK} marks a cell with more than 1% errors (other"
        " statuses, socket errors, timeouts), which are excluded from throughput.",
        "## Summary",
        summary(agg),
        "## Test Environment",
        environment_section(run),
        "## Backends",
        backends_section(run),
        "## Performance Results",
        "### 1. Response Time (milliseconds)",
        response_time_section(agg),
        "### 2. Throughput (Requests/second)",
        throughput_section(agg),
        resources_section(agg),
        "### 6. Query Efficiency",
        sql_section(agg),
        "### 7. Caching Impact",
        cache_section(agg),
    ]
    if charts:
        parts += ["## Charts", "\n\n".join(f"![{p.stem}]({p.name})" for p in charts)]
    parts += ["## All cells", all_cells(agg)]
    return "\n\n".join(parts) + "\n"


def all_cells(agg: Aggregate) -> str:
    rows = []
    for (backend, scenario, cache, c), cell in agg.cells.items():
        if not cell.measured:
            rows.append(
                [backend, scenario, cache, str(c), status_text(cell), "", "", "", "", (cell.reason or "")[:120]]
            )
            continue
        errors = cell.errors()
        rows.append(
            [
                backend,
                scenario,
                cache,
                str(c),
                fmt(cell.rps, flagged=cell.flagged),
                fmt(cell.latency("p50"), 1),
                fmt(cell.latency("p90"), 1),
                fmt(cell.latency("p99"), 1),
                fmt(cell.latency("p99.9"), 1),
                ", ".join(f"{k} {v}" for k, v in errors.items() if v) or "none",
            ]
        )
    return table(
        ["Backend", "Scenario", "Cache", "Conn.", "req/s", "p50", "p90", "p99", "p99.9", "Errors / reason"], rows
    )


def write_markdown(run: dict, path: Path, charts: list[Path] | None = None) -> Path:
    path.write_text(markdown(run, charts))
    return path
