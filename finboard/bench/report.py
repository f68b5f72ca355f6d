"""The terminal table and the Markdown report of a run.

It exists so people look at a run instead of reading JSON: the Markdown opens
with the performance targets computed from the run's own numbers (met or
missed, and by how much), then the seed comparison's tables (response time
per endpoint, throughput per concurrency with each figure's fraction of raw's,
memory, CPU, startup and image size, query efficiency, caching impact) once
per data size, the size table (largest ÷ smallest), the data each round ran on
(search terms and their frequencies, the deep page), and an appendix of
EXPLAIN (ANALYZE, BUFFERS) of the hot queries. Each figure is the median of
the repeats with its [min–max], cells with more than 1 % errors are marked ⚠,
the backends that got no figures say why, and a short summary says what the
numbers don't show.
"""

from __future__ import annotations

from pathlib import Path

from finboard.bench import baseline, openloop_report, precision, seed_report, targets
from finboard.bench.results import RAW
from finboard.bench.scenarios import SCENARIOS
from finboard.bench.stats import AA_BAND, Estimate, bootstrap_median, paired_ratio, spread, winner_text
from finboard.bench.summary import summary
from finboard.bench.tables import ERROR_MARK, Aggregate, fmt, run_sizes, status_text


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def title(scenario: str) -> str:
    return SCENARIOS[scenario].title if scenario in SCENARIOS else scenario


def cell_text(agg: Aggregate, backend: str, scenario: str, cache: str, c: int, what: str, digits: int = 0) -> str:
    """A figure of one cell; throughput also as a fraction of raw's in the same size, cache mode and concurrency."""
    cell = agg.cell(backend, scenario, cache, c)
    if cell is None or not cell.measured:
        return status_text(cell)
    if what != "rps":
        return fmt(cell.latency(what), digits, flagged=cell.flagged)
    text = ci_text(bootstrap_median(e["rps"] for e in cell.measured), digits)
    text = f"{text} {ERROR_MARK}" if cell.flagged else text
    if backend != RAW:
        x = x_raw_ci(agg, backend, scenario, cache, c)
        text += f" ({ci_text(x, 2)}× raw)" if x is not None else ""
    return text


def ci_text(estimate: Estimate | None, digits: int = 0, unit: str = "") -> str:
    """A median with its 95 % CI; with one round, just the figure (no interval to give)."""
    if estimate is None:
        return "—"
    return f"{estimate.value:,.{digits}f}{unit}" if estimate.n <= 1 else estimate.format(digits, unit)


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
    """req/s ÷ raw's, round by round (paired), with its CI."""
    cell, raw = agg.cell(backend, scenario, cache, c), agg.cell(RAW, scenario, cache, c)
    if cell is None or raw is None:
        return None
    return paired_ratio(by_round(cell, "rps"), by_round(raw, "rps"))


def size_text(size: int | None) -> str:
    return f"{size:,} posts" if size is not None else "the data"


def terminal_table(run: dict) -> str:
    """Throughput with its 95% CI (and × raw) and p50/p99 [min–max] per cell, per data size, for a terminal."""
    rows = [["posts", "backend", "cache", "scenario", "conn", "req/s", "× raw", "p50 ms", "p99 ms", "errors"]]
    for size in run_sizes(run) or [None]:
        agg = Aggregate(run, size)
        for (backend, scenario, cache, c), cell in sorted(
            agg.cells.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3], kv[0][0])
        ):
            head = [f"{size:,}" if size else "", backend, cache, scenario, str(c)]
            if cell.measured:
                errors = sum(cell.errors().values())
                x = agg.x_raw(backend, scenario, cache, c)
                rows.append(
                    [
                        *head,
                        fmt(cell.rps_ci),
                        f"{x:.2f}" if x is not None else "",
                        fmt(cell.latency("p50"), 1),
                        fmt(cell.latency("p99"), 1),
                        f"{errors}{' ' + ERROR_MARK if cell.flagged else ''}",
                    ]
                )
            else:
                rows.append([*head, status_text(cell), "", "", "", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table_text = "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    checks = targets.evaluate(run)
    lines = [f"  {o.target.number}. {o.target.title}: {o.text()}" + (
        f"; worst {o.worst.label}: {o.worst.value_text()}, {o.worst.verdict()}" if o.worst else "")
        for o in targets.outcomes(checks) if o.judged or o.unmeasured]  # fmt: skip
    return table_text + ("\n\nTargets:\n" + "\n".join(lines) if lines else "")


def environment_section(run: dict) -> str:
    env, s = run.get("environment", {}), run.get("settings", {})
    packages = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items() if v)
    git = env.get("git") or {}
    lines = [
        f"- **Hardware**: {env.get('cpu_model')}, {env.get('cores_logical')} logical cores,"
        f" {env.get('memory_gb')} GB RAM",
        f"- **OS**: {env.get('os')}; **Python**: {env.get('python')}",
        f"- **Database**: PostgreSQL {env.get('postgresql')}, "
        + "; ".join(f"{r.get('posts') or 0:,} posts, {r.get('users') or 0:,} users" for r in run.get("rounds") or [])
        + f" (deterministic seed, one round per size; see Data); **Redis**: {env.get('redis') or 'n/a'}",
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
                info.get("data_layer") or "—",
                info.get("server") or "—",
                status_text_backend(info.get("status")),
                f"{verified} ({checked} requests)" if checked else verified,
                problems,
            ]
        )
        if info.get("log_tail"):
            tails.append(f"<details><summary>{name}: log tail</summary>\n\n```\n{info['log_tail']}\n```\n</details>")
    return table(["Backend", "Framework", "Data layer", "Server", "Status", "Verification", "Problems"], rows) + (
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


def results_sections(agg: Aggregate, several: bool) -> list[str]:
    where = f" at {agg.data_size:,} posts" if several and agg.data_size else ""
    return [
        f"## Performance Results{where}",
        "### 1. Response Time (milliseconds)",
        response_time_section(agg),
        "### 2. Throughput (Requests/second)",
        throughput_section(agg),
        resources_section(agg),
        "### 6. Query Efficiency",
        sql_section(agg),
        "### 7. Caching Impact",
        cache_section(agg),
        "### 8. Where the time goes (CPU µs per request)",
        time_section(agg),
        "### 9. Who is faster (paired by round)",
        ranking_section(agg),
    ]


def precision_section(run: dict) -> str:
    """The A/A control's verdict and how many rounds the figures rest on."""
    settings = run.get("settings") or {}
    rounds = settings.get("repeat", 1)
    lines = [f"{rounds} interleaved round{'s' if rounds != 1 else ''} (every backend once per round, order rotated)."]
    aa = run.get("aa") or {}
    base, copy = aa.get("backend"), aa.get("copy")
    if not base or run.get("aa_ratio") is None:
        lines.append(
            "No A/A control in this run (a file older than schema version 3, `--aa none`, or the copy got no figures):"
            " nothing tells how much of a difference between backends is the machine's noise."
        )
        return " ".join(lines)
    low, high = run.get("aa_ratio_ci95") or [run["aa_ratio"], run["aa_ratio"]]
    band = aa.get("band") or list(AA_BAND)
    figure = (
        f"{copy} ÷ {base} req/s = **{run['aa_ratio']:.3f} [{low:.3f}–{high:.3f}]**"
        f" over {aa.get('samples')} paired samples"
    )
    if aa.get("too_noisy_to_rank"):
        lines.append(
            f"A/A control: {figure}. It leaves [{band[0]:g}, {band[1]:g}] (or has no interval): **too noisy to rank** —"
            " the same code measured twice differed this much, so differences between backends of that size are noise."
        )
    else:
        lines.append(
            f"A/A control: {figure}, inside [{band[0]:g}, {band[1]:g}]: the machine was steady enough to rank backends"
            " whose paired ratio CI excludes 1."
        )
    return " ".join(lines)


def _base_cells(agg: Aggregate) -> tuple[int | None, str, list[dict]]:
    """The concurrency and cache mode the per-scenario tables compare at, and every entry of the run."""
    return targets.concurrency(agg), agg.base_cache(), [e for cell in agg.cells.values() for e in cell.entries]


def time_section(agg: Aggregate) -> str:
    """Per scenario: raw's CPU µs per request (the ceiling), each framework's, and what it adds over raw."""
    c, cache, entries = _base_cells(agg)
    if c is None:
        return "No measurements."
    rows = []
    for scenario in agg.scenarios:
        for row in precision.time_breakdown(entries, agg.data_size, scenario, cache, c):
            adds = row["adds_us"]
            rows.append(
                [
                    title(scenario),
                    row["backend"],
                    ci_text(row["cpu_us"], 0, " µs"),
                    "ceiling" if row["backend"] == RAW else ("—" if adds is None else ci_text(adds, 0, " µs")),
                    ci_text(row["postgres_us"], 0, " µs"),
                    ci_text(row["rps"], 0),
                ]
            )
    if not rows:
        return "Not measured (with --target, or a file older than schema version 3: no CPU time per request)."
    return (
        f"CPU time of the server's whole process tree over each cell (user + system, from /proc) ÷ its successful"
        f" requests, at {c} connections, cache {cache}; **over raw** is the backend's minus raw's in the same round"
        " (paired), i.e. what the framework adds to the framework-less ceiling. PostgreSQL: its backends serving the"
        " benchmark database, per request. Medians with 95% CIs.\n\n"
        + table(["Scenario", "Backend", "Server CPU / request", "Over raw", "PostgreSQL CPU / request", "req/s"], rows)
    )


def ranking_section(agg: Aggregate) -> str:
    """Per scenario, backends by req/s, each against the next one down: a winner only when the paired CI excludes 1."""
    c, cache, entries = _base_cells(agg)
    if c is None:
        return "No measurements."
    rows = []
    for scenario in agg.scenarios:
        ranked = precision.ranking(entries, agg.data_size, scenario, cache, c)
        if len(ranked) < 2:
            continue
        steps = [winner_text(ratio, name, ranked[i + 1][0]) for i, (name, ratio) in enumerate(ranked[:-1])]
        rows.append([title(scenario), " > ".join(name for name, _ in ranked), "; ".join(steps)])
    if not rows:
        return "Fewer than two backends measured."
    noisy = (agg.run.get("aa") or {}).get("too_noisy_to_rank")
    warning = " **The A/A control says this run is too noisy to rank: read these as ties.**" if noisy else ""
    return (
        f"req/s at {c} connections, cache {cache}, by median; each backend ÷ the next one down, round by round, with"
        f" the 95% CI of that ratio (“no clear winner” when it contains 1).{warning}\n\n"
        + table(["Scenario", "Order by median", "Paired ratios"], rows)
    )


def markdown(run: dict, charts: list[Path] | None = None) -> str:
    sizes = run_sizes(run)
    aggs = [Aggregate(run, size) for size in sizes] or [Aggregate(run)]
    agg = aggs[-1]
    started = run.get("started_at") or ""
    at = " and ".join(f"{size:,}" for size in sizes)
    parts = [
        f"# FinBoard benchmark: {' vs '.join(agg.backends)}",
        f"Run of {started}{f' at {at} posts' if at else ''}"
        f"{' (interrupted: partial results)' if run.get('interrupted') else ''}. Every figure is the"
        f" median of the rounds; throughput and CPU per request carry a 95% bootstrap confidence interval"
        " [low–high], ratios between backends are taken round by round (paired), latency and memory give the"
        f" [min–max] of the rounds; {ERROR_MARK} marks a cell with more than 1% errors (other"
        " statuses, socket errors, timeouts), which are excluded from throughput. “× raw” is a backend's"
        " throughput ÷ raw's in the same size, cache mode, scenario and concurrency.",
        "## Summary",
        summary(aggs),
        "## Precision",
        precision_section(run),
        "## Targets",
        targets_section(run, aggs),
        "## Test Environment",
        environment_section(run),
        "## Data",
        data_section(run),
        "## Backends",
        backends_section(run),
        *(["## Before / after", baseline.markdown(run)] if run.get("baseline") else []),
    ]
    for one in aggs:
        parts += results_sections(one, len(aggs) > 1)
    if len(aggs) > 1:
        parts += [f"## Size: {sizes[-1]:,} ÷ {sizes[0]:,} posts", size_section(aggs)]
    parts += ["## Latency at a fixed offered load (open loop)", openloop_report.section(run)]
    parts += ["## Production deployment", seed_report.production_section(run)]
    if run.get("seed_tables"):
        tables = run["seed_tables"]
        parts += ["## Size, code and pools", tables.get("error") or seed_report.markdown(tables)]
    if charts:
        parts += ["## Charts", "\n\n".join(f"![{p.stem}]({p.name})" for p in charts)]
    parts += ["## Appendix: EXPLAIN (ANALYZE, BUFFERS) of the hot queries", explain_section(run)]
    parts += ["## All cells", "\n\n".join(all_cells(one, len(aggs) > 1) for one in aggs)]
    return "\n\n".join(parts) + "\n"


# --- targets ---------------------------------------------------------------------


def targets_section(run: dict, aggs: list[Aggregate]) -> str:
    checks = targets.evaluate(run)
    settings = run.get("settings") or {}
    c = targets.concurrency(aggs[-1]) if aggs else None
    conditions = f"at {c} connections" if c else "(no cell measured)"
    if c is not None and c != targets.TARGET_CONCURRENCY:
        conditions += f" — **not the targets' c={targets.TARGET_CONCURRENCY}** (the run has no such cells)"
    workers = settings.get("workers")
    conditions += f", {workers} workers per backend" + (" — **not the targets' 2**" if workers != 2 else "")
    lines = [
        "Every target is a ratio of two figures measured in this run, on this machine, at the same time "
        f"({conditions}; cache off except target 4). Verdicts count only the judged checks; the others are"
        " shown for context. The margin is relative to the threshold.",
        "",
        table(
            ["#", "Target", "Threshold", "Result", "Worst judged check"],
            [
                [
                    str(o.target.number),
                    f"**{o.target.title}**: {o.target.what}",
                    targets.check(o.target.number, "", None).threshold_text()
                    + (f", < {targets.STARTUP_LIMIT_S:g} s" if o.target.number == 6 else ""),
                    o.text(),
                    f"{o.worst.label}: {o.worst.value_text()} — {o.worst.verdict()}" if o.worst else "—",
                ]
                for o in targets.outcomes(checks)
            ],
        ),
    ]
    for number, target in targets.TARGETS.items():
        mine = [ch for ch in checks if ch.target == number]
        lines += ["", f"### Target {number}: {target.title}", "", target_detail(number, mine)]
    return "\n".join(lines)


def target_detail(number: int, checks: list[targets.Check]) -> str:
    """Targets 1–4 as a matrix (scenario × size down, backends across); 5 and 6 as a list of checks."""
    if not checks:
        why = {
            2: "Needs two or more data sizes (e.g. --data-size 10000,1000000).",
            3: "Needs the deep and list scenarios.",
            4: "Needs --cache both.",
            5: "Needs the pages and list scenarios on flask.",
        }.get(number, "Not measured in this run.")
        return why
    threshold = checks[0].threshold_text()
    if number in (1, 2, 3, 4):
        backends = list(dict.fromkeys(ch.backend for ch in checks))
        several = len({ch.data_size for ch in checks}) > 1
        rows: dict[tuple, dict[str, targets.Check]] = {}
        for ch in checks:
            rows.setdefault((ch.scenario, ch.data_size), {})[ch.backend] = ch
        body = []
        for (scenario, size), by_backend in rows.items():
            label = title(scenario) if number != 3 else "deep ÷ list"
            if several or number == 3:
                label += f", {size_text(size)}"
            note = next((ch.note for ch in by_backend.values() if ch.note and number == 3), "")
            label += f" ({note})" if note else ""
            cells = []
            for backend in backends:
                ch = by_backend.get(backend)
                if ch is None:
                    cells.append("—")
                    continue
                text = f"{ch.value_text()} {ch.mark()}".strip()
                if ch.note and number != 3:
                    text += f" ({ch.note})"
                cells.append(text)
            body.append([label, *cells])
        judged = [b for b in backends if any(ch.judged for ch in checks if ch.backend == b)]
        scope = ", ".join(judged) or "no backend"
        head = f"Threshold {threshold}, judged for {scope} (✅ met, ❌ missed; no mark: context)."
        return head + "\n\n" + table(["", *backends], body)
    rows_list = [[ch.label, ch.value_text(), ch.threshold_text(), f"{ch.mark()} {ch.verdict()}".strip(), ch.note]
                 for ch in checks]  # fmt: skip
    return table(["Check", "Measured", "Threshold", "Verdict", "Note"], rows_list)


# --- data, size, explain -----------------------------------------------------------


def data_section(run: dict) -> str:
    rounds = run.get("rounds") or []
    if not rounds:
        return "No round recorded."
    parts = []
    for r in rounds:
        seeded = r.get("seed_s")
        how = f"seeded in {seeded:.0f} s" if r.get("seeded") and seeded is not None else "already seeded"
        lines = [
            f"### {size_text(r.get('data_size'))}",
            "",
            f"{r.get('posts') or 0:,} posts, {r.get('users') or 0:,} users, {r.get('comments') or 0:,} comments"
            f" ({how}; data ready after {r.get('prepare_s', 0):.0f} s).",
        ]
        tickers = r.get("tickers") or []
        if tickers:
            lines.append(
                "Cashtags of `list_cashtag` (the most used): "
                + ", ".join(f"{t['ticker']} ({t['posts']:,} posts)" for t in tickers)
                + "."
            )
        categories = r.get("categories") or []
        if categories:
            lines.append(f"Categories of `list_category`: {', '.join(categories)}.")
        deep = r.get("deep") or {}
        if deep:
            if deep.get("cursor"):
                shallower = (
                    f" — the deepest page at this size ({deep['requested_page']:,} asked)"
                    if deep.get("page", 0) < deep.get("requested_page", 0)
                    else ""
                )
                lines.append(
                    f"Deep page: page {deep['page']:,} of {deep['per_page']}{shallower}, by the cursor after row"
                    f" {deep['after_row']:,} of ORDER BY created_at DESC, id DESC (`{deep['cursor']}`);"
                    f" it starts with post {deep.get('first_id')}."
                )
            else:
                lines.append("Deep page: the data has one page only, so `deep` reads the first page.")
        terms = r.get("search_terms") or {}
        rows = []
        for band, picked in terms.items():
            for t in picked:
                rows.append(
                    [
                        band,
                        f"`{t['query']}`",
                        f"{t['posts']:,}",
                        f"{t['fraction']:.2%}" if t["fraction"] >= 0.001 else f"{t['fraction']:.4%}",
                        "yes" if t.get("in_band") else "no (nothing in the band: the closest)",
                    ]
                )
        if rows:
            lines += [
                "",
                "Search terms, picked by document frequency (ts_stat over `posts.search_vector`; lexemes, so"
                " stems; a rare query of several lexemes matches posts that have all of them):",
                "",
                table(["Band", "?search=", "Posts", "Of all posts", "In band"], rows),
            ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


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


def explain_section(run: dict) -> str:
    found = [r for r in run.get("rounds") or [] if r.get("explain")]
    if not found:
        return "Not recorded (with --target, or the run stopped before its largest size)."
    r = found[-1]
    parts = [
        f"At {size_text(r.get('data_size'))}: the hand-written statements that raw and Flask's PostgreSQL reads run"
        " (`finboard/rawsql/statements.py`) with"
        " the scenarios' parameters, each run once to warm the caches, then under EXPLAIN (ANALYZE, BUFFERS) twice:"
        " with the values bound (the **custom** plan, what a statement gets the first times it runs) and prepared"
        " under `plan_cache_mode = force_generic_plan` (the **generic** plan: psycopg prepares a statement after"
        " five executions on a connection, and PostgreSQL may then keep the generic plan). Where the two differ"
        " much, the generic plan is what a busy server may really be running.",
        table(
            ["Query", "Statement", "Custom plan", "Generic plan"],
            [
                [
                    e["query"],
                    e.get("part") or "—",
                    ms_text(e, "execution_ms", "error"),
                    ms_text(e, "generic_execution_ms", "generic_error"),
                ]
                for e in r["explain"]
            ],
        ),  # fmt: skip
    ]
    for e in r["explain"]:
        head = f"### {e['query']}" + (f" · {e['part']}" if e.get("part") else "")
        block = [head]
        if e.get("sql"):
            block.append(f"```sql\n{e['sql']}\n```")
            if e.get("params"):
                block.append("Parameters: " + ", ".join(f"`{p}`" for p in e["params"]))
        if e.get("error"):
            block.append(f"Could not explain: {e['error']}")
        elif e.get("plan"):
            block.append(f"Custom plan:\n\n```\n{e['plan']}\n```")
        if e.get("generic_error"):
            block.append(f"Could not explain the generic plan: {e['generic_error']}")
        elif e.get("generic_plan"):
            block.append(f"Generic plan:\n\n```\n{e['generic_plan']}\n```")
        parts.append("\n\n".join(block))
    return "\n\n".join(parts)


def ms_text(entry: dict, key: str, error_key: str) -> str:
    if entry.get(error_key):
        return "error"
    value = entry.get(key)
    return f"{value:,.2f} ms" if value is not None else "—"


def all_cells(agg: Aggregate, with_size: bool = False) -> str:
    rows = []
    size = [f"{agg.data_size:,}"] if with_size and agg.data_size else []
    for (backend, scenario, cache, c), cell in agg.cells.items():
        if not cell.measured:
            rows.append(
                [*size, backend, scenario, cache, str(c), status_text(cell), "", "", "", "", "",
                 (cell.reason or "")[:120]]
            )  # fmt: skip
            continue
        errors = cell.errors()
        x = agg.x_raw(backend, scenario, cache, c)
        rows.append(
            [
                *size,
                backend,
                scenario,
                cache,
                str(c),
                fmt(cell.rps, flagged=cell.flagged),
                f"{x:.2f}" if x is not None else "—",
                fmt(cell.latency("p50"), 1),
                fmt(cell.latency("p90"), 1),
                fmt(cell.latency("p99"), 1),
                fmt(cell.latency("p99.9"), 1),
                ", ".join(f"{k} {v}" for k, v in errors.items() if v) or "none",
            ]
        )
    headers = [
        "Backend",
        "Scenario",
        "Cache",
        "Conn.",
        "req/s",
        "× raw",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "Errors / reason",
    ]
    return table((["Posts"] if size else []) + headers, rows)


def write_markdown(run: dict, path: Path, charts: list[Path] | None = None) -> Path:
    path.write_text(markdown(run, charts))
    return path
