"""PNG charts of a run (matplotlib, headless): throughput, latency percentiles, memory, size.

It exists because a chart shows at a glance what a table makes people read:
throughput against concurrency for each backend, the latency percentiles of
each scenario, and memory per backend — one set per data size when the run
has several (``throughput-10000.png`` …), plus ``size.png``: each backend's
throughput per scenario at every size side by side. Cells with more than 1 %
errors are drawn with a red cross / hatching and say so in the legend.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from finboard.bench.report_results import resource_rows  # noqa: E402
from finboard.bench.tables import Aggregate, run_sizes  # noqa: E402

PERCENTILES = ("p50", "p75", "p90", "p99", "p99.9")
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
ERROR_COLOR = "#d62728"
# A framework keeps one hue, its data layers a dark (-orm) and a light (-sql) shade of it, the
# ceilings two greys (matplotlib's tab20 pairs), so nine backends never share a colour and the
# eye groups a framework's two bars. Copies (the A/A control ``~aa``, ``@REV``, ``@granian``) and
# registered plug-ins take the hues left, in their order in the run; red stays for errors.
FAMILY_COLORS = {
    "flask-orm": "#1f77b4",
    "flask-sql": "#aec7e8",
    "django-orm": "#ff7f0e",
    "django-sql": "#ffbb78",
    "fastapi-orm": "#2ca02c",
    "fastapi-sql": "#98df8a",
    "wsgi-raw": "#7f7f7f",
    "asgi-raw": "#c7c7c7",
}
OTHER_COLORS = ("#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d")


def _grid(count: int) -> tuple[int, int]:
    cols = min(3, max(1, count))
    return math.ceil(count / cols), cols


def backend_colors(backends: list[str]) -> dict[str, str]:
    """One colour per backend label of a run: the family shades above, then the other hues in order."""
    others = [b for b in backends if b not in FAMILY_COLORS]
    return {b: FAMILY_COLORS.get(b) or OTHER_COLORS[others.index(b) % len(OTHER_COLORS)] for b in backends}


def _color(agg: Aggregate, backend: str) -> str:
    return backend_colors(agg.backends)[backend]


def throughput(agg: Aggregate, path: Path) -> Path:
    cache = agg.base_cache()
    scenarios = agg.scenarios or ["(none)"]
    rows, cols = _grid(len(scenarios))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    flagged_any = False
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        for backend in agg.backends:
            points = [
                (c, cell, cell.rps_ci)
                for c in agg.concurrencies
                if (cell := agg.cell(backend, scenario, cache, c)) and cell.rps_ci
            ]
            if not points:
                continue
            xs = [c for c, _, _ in points]
            ys = [ci.median for _, _, ci in points]
            low = [ci.median - ci.low for _, _, ci in points]
            high = [ci.high - ci.median for _, _, ci in points]
            ax.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, label=backend, color=_color(agg, backend))
            for c, cell, ci in points:
                if cell.flagged:
                    flagged_any = True
                    ax.plot([c], [ci.median], "x", color=ERROR_COLOR, markersize=12, mew=2)
        ax.set_title(scenario)
        if len(agg.concurrencies) > 1:
            ax.set_xscale("log")
        ax.set_xticks(agg.concurrencies, [str(c) for c in agg.concurrencies])
        ax.minorticks_off()
        ax.set_xlabel("connections")
        ax.set_ylabel("successful req/s")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if flagged_any:
        handles.append(plt.Line2D([], [], marker="x", color=ERROR_COLOR, linestyle="", markersize=10, mew=2))
        labels.append("> 1% errors")
    fig.legend(handles, labels, loc="upper right")
    fig.suptitle(f"Throughput vs concurrency{_at(agg)} (cache {cache}; median, bars = 95% CI)")
    fig.tight_layout(rect=(0, 0, 0.9, 0.95))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def latency(agg: Aggregate, path: Path) -> Path:
    cache = agg.base_cache()
    c = agg.concurrencies[-1] if agg.concurrencies else 0
    scenarios = agg.scenarios or ["(none)"]
    rows, cols = _grid(len(scenarios))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    width = 0.8 / max(1, len(agg.backends))
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        for i, backend in enumerate(agg.backends):
            cell = agg.cell(backend, scenario, cache, c)
            if cell is None or not cell.measured:
                continue
            values = [(cell.latency(p).median if cell.latency(p) else 0) for p in PERCENTILES]
            xs = [k + i * width for k in range(len(PERCENTILES))]
            ax.bar(
                xs,
                values,
                width,
                label=backend,
                color=_color(agg, backend),
                hatch="xx" if cell.flagged else None,
                edgecolor=ERROR_COLOR if cell.flagged else None,
            )
        ax.set_title(scenario)
        ax.set_xticks([k + width * (len(agg.backends) - 1) / 2 for k in range(len(PERCENTILES))], PERCENTILES)
        ax.set_ylabel("ms")
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right")
    fig.suptitle(f"Latency percentiles at {c} connections{_at(agg)} (cache {cache}; hatched red = > 1% errors)")
    fig.tight_layout(rect=(0, 0, 0.9, 0.95))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def memory(agg: Aggregate, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    backends = agg.backends
    rows = {backend: resource_rows(agg, backend) for backend in backends}
    kinds = [("idle", "RSS idle"), ("load", "RSS under load (avg)"), ("peak", "RSS peak")]
    if any(r.get("pss_load") is not None for r in rows.values()):  # version 3: what the tree really costs
        kinds += [("pss_load", "PSS under load (avg)"), ("uss_load", "USS under load (avg)")]
    width = 0.8 / len(kinds)
    tallest = 0.0
    for k, (key, label) in enumerate(kinds):
        values = []
        for backend in backends:
            value = rows[backend].get(key)
            values.append(value if isinstance(value, float | int) else (value.median if value else 0))
        tallest = max([tallest, *values])
        hatch = "//" if key.startswith(("pss", "uss")) else None
        ax.bar([i + k * width for i in range(len(backends))], values, width, label=label, hatch=hatch)
    ax.set_xticks([i + width * (len(kinds) - 1) / 2 for i in range(len(backends))], backends)
    ax.set_ylabel("memory of the process tree (MB)")
    ax.set_ylim(0, tallest * 1.45 or 1)  # room for the legend above the bars
    ax.set_title(f"Memory per backend{_at(agg)}")
    ax.legend(ncol=3, fontsize="small", loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _at(agg: Aggregate) -> str:
    return f", {agg.data_size:,} posts" if getattr(agg, "labelled", False) and agg.data_size else ""


def by_size(run: dict, path: Path) -> Path:
    """Throughput of every scenario at each size, one group of bars per backend (c of the targets, cache off)."""
    from finboard.bench.targets import base_cache, concurrency

    sizes = run_sizes(run)
    aggs = [Aggregate(run, size) for size in sizes]
    scenarios = list(dict.fromkeys(s for agg in aggs for s in agg.scenarios)) or ["(none)"]
    backends = list(dict.fromkeys(b for agg in aggs for b in agg.backends))
    rows, cols = _grid(len(scenarios))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), squeeze=False)
    width = 0.8 / max(1, len(sizes))
    shades = [0.45 + 0.55 * i / max(1, len(sizes) - 1) for i in range(len(sizes))]
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        for k, agg in enumerate(aggs):
            c, cache = concurrency(agg), base_cache(agg)
            values = []
            for backend in backends:
                cell = agg.cell(backend, scenario, cache, c) if c is not None else None
                values.append(cell.rps.median if cell is not None and cell.rps is not None else 0)
            ax.bar(
                [i + k * width for i in range(len(backends))],
                values,
                width,
                label=f"{agg.data_size:,} posts",
                color=[_color(agg, b) if b in agg.backends else "#999999" for b in backends],
                alpha=shades[k],
            )
        ax.set_title(scenario)
        ax.set_xticks([i + width * (len(sizes) - 1) / 2 for i in range(len(backends))], backends)
        ax.set_ylabel("successful req/s")
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.axis("off")
    order = " → ".join(f"{size:,}" for size in sizes)
    fig.suptitle(f"Throughput by data size, lighter to darker: {order} posts (cache off)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def latency_vs_load(run: dict, directory: Path) -> list[Path]:
    """--rate runs: per scenario, one panel per backend: each percentile of the ladder against the offered load."""
    from finboard.bench.openloop_report import LADDER_KEYS, series

    found = series(run)
    pngs = []
    for scenario, cache in dict.fromkeys((s, c) for s, c, _, _ in found):
        panels = [(b, size, entries) for (s, c, b, size), entries in found.items() if (s, c) == (scenario, cache)]
        rows, cols = _grid(len(panels))
        fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
        for ax, (backend, size, entries) in zip(axes.flat, panels, strict=False):
            rates = [e["rate"] for e in entries]
            for k, key in enumerate(LADDER_KEYS):
                values = [e["latency_ms"].get(key) for e in entries]
                ax.plot(rates, values, marker="o", label=key, color=COLORS[k % len(COLORS)])
            ax.set_title(f"{backend}" + (f", {size:,} posts" if size else ""))
            ax.set_xlabel("offered load (req/s)")
            ax.set_ylabel("latency from intended send (ms)")
            ax.set_yscale("log")
            ax.grid(alpha=0.3, which="both")
        for ax in list(axes.flat)[len(panels) :]:
            ax.axis("off")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right")
        fig.suptitle(f"Latency vs offered load, open loop: {scenario} (cache {cache})")
        fig.tight_layout(rect=(0, 0, 0.9, 0.95))
        path = directory / f"openloop-{scenario}-{cache}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        pngs.append(path)
    return pngs


def write_charts(run: dict, directory: Path) -> list[Path]:
    """throughput/latency/memory.png for one size; with several, one set per size (…-<size>.png) and size.png."""
    directory.mkdir(parents=True, exist_ok=True)
    sizes = run_sizes(run)
    if len(sizes) <= 1:
        agg = Aggregate(run)
        return [
            throughput(agg, directory / "throughput.png"),
            latency(agg, directory / "latency.png"),
            memory(agg, directory / "memory.png"),
            *latency_vs_load(run, directory),
        ]
    pngs = []
    for size in sizes:
        agg = Aggregate(run, size)
        agg.labelled = True
        pngs += [
            throughput(agg, directory / f"throughput-{size}.png"),
            latency(agg, directory / f"latency-{size}.png"),
            memory(agg, directory / f"memory-{size}.png"),
        ]
    return [*pngs, by_size(run, directory / "size.png"), *latency_vs_load(run, directory)]
