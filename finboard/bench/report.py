"""The terminal table and the Markdown report of a run.

It exists so people look at a run instead of reading JSON: the Markdown opens
with the performance targets computed from the run's own numbers (met or
missed, and by how much), then the seed comparison's tables (response time
per endpoint, throughput per concurrency with each figure's fraction of its own ceiling's,
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

from finboard.bench import baseline, openloop_report, seed_report, targets
from finboard.bench.profile_report import ProfileLink
from finboard.bench.report_pages import pages_section, terminal_lines
from finboard.bench.report_precision import precision_section, ranking_section
from finboard.bench.report_results import (
    cache_section,
    resources_section,
    response_time_section,
    size_section,
    sql_section,
    throughput_section,
)
from finboard.bench.report_setup import backends_section, data_section, environment_section, explain_section
from finboard.bench.report_targets import targets_section
from finboard.bench.report_text import table
from finboard.bench.report_time import ceiling_check_lines, ceiling_section, time_section
from finboard.bench.summary import summary
from finboard.bench.tables import ERROR_MARK, Aggregate, fmt, run_sizes, status_text

__all__ = ["ProfileLink", "markdown", "precision_section", "terminal_table", "write_markdown"]


def terminal_table(run: dict) -> str:
    """Throughput with its 95% CI (and × its ceiling) and p50/p99 [min–max] per cell, per data size, for a terminal."""
    rows = [["posts", "backend", "cache", "scenario", "conn", "req/s", "× ceiling", "p50 ms", "p99 ms", "errors"]]
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
    sizes = run_sizes(run)
    ceiling = ceiling_check_lines(Aggregate(run, sizes[-1] if sizes else None))
    per_hello = [line for size in sizes for line in terminal_lines(Aggregate(run, size))]
    return (
        table_text
        + ("\n\nPages ÷ the /hello yardstick:\n" + "\n".join(per_hello) if per_hello else "")
        + ("\n\nTargets:\n" + "\n".join(lines) if lines else "")
        + ("\n\n-sql backends ÷ their ceiling:\n" + "\n".join(ceiling) if ceiling else "")
    )


def results_sections(agg: Aggregate, several: bool, profile_note: str = "") -> list[str]:
    where = f" at {agg.data_size:,} posts" if several and agg.data_size else ""
    pages = pages_section(agg)
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
        "#### Each -sql backend against its ceiling (≥ 0.8× on list and detail)",
        ceiling_section(agg, profile_note),
        "### 9. Who is faster (paired by round)",
        ranking_section(agg),
        *(["### 10. Pages against the /hello yardstick", pages] if pages else []),
    ]


def markdown(run: dict, charts: list[Path] | None = None, profile: ProfileLink | None = None) -> str:
    """The whole report; with ``profile`` (``flask bench report --profile DIR``) the 0.8× lines link to it."""
    note = profile.note() if profile else ""
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
        " statuses, socket errors, timeouts), which are excluded from throughput. “× ceiling” is a backend's"
        " throughput ÷ its own framework-less ceiling's (`wsgi-raw` for WSGI backends, `asgi-raw` for ASGI ones,"
        " under the same server and revision) in the same size, cache mode, scenario and concurrency.",
        "## Summary",
        summary(aggs),
        "## Precision",
        precision_section(run),
        "## Targets",
        targets_section(run, aggs, note),
        "## Test Environment",
        environment_section(run),
        "## Data",
        data_section(run),
        "## Backends",
        backends_section(run),
        *(["## Before / after", baseline.markdown(run)] if run.get("baseline") else []),
    ]
    for one in aggs:
        parts += results_sections(one, len(aggs) > 1, note if one is aggs[-1] else "")
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
        "× ceiling",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "Errors / reason",
    ]
    return table((["Posts"] if size else []) + headers, rows)


def write_markdown(run: dict, path: Path, charts: list[Path] | None = None, profile: ProfileLink | None = None) -> Path:
    path.write_text(markdown(run, charts, profile))
    return path
