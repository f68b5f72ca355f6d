"""The README's headline chart from a default run: CPU per request and req/s of every backend.

One row per backend, grouped by framework, the SQL layer beside the framework's own ORM, the
framework-less ceilings last; bars are medians, whiskers their 95% CIs (from ``run.json``'s
``cells``), for the list scenario at 64 connections with the cache off.

Usage: python docs/benchmarks/2026-12-07-default/headline.py RUN.json OUT.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen

ORDER = ["fastapi-sql", "fastapi-orm", "flask-sql", "flask-orm", "django-sql", "django-orm", "asgi-raw", "wsgi-raw"]
COLOURS = {"fastapi": "#0f766e", "flask": "#1d4ed8", "django": "#b45309", "asgi": "#6b7280", "wsgi": "#6b7280"}


def main(run_path: str, out_path: str) -> None:
    run = json.loads(open(run_path).read())  # noqa: SIM115 - a one-shot script
    cells = {
        c["backend"]: c
        for c in run["cells"]
        if c["scenario"] == "list" and c["cache"] == "off" and c["concurrency"] == 64
    }
    rows = [name for name in ORDER if name in cells]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, field, title in (
        (axes[0], "cpu_us_per_request", "server CPU µs per request (lower is better)"),
        (axes[1], "rps", "requests per second (higher is better)"),
    ):
        values = [cells[name][field] for name in rows]
        low = [v - cells[name][f"{field}_ci95"][0] for v, name in zip(values, rows, strict=True)]
        high = [cells[name][f"{field}_ci95"][1] - v for v, name in zip(values, rows, strict=True)]
        colours = [COLOURS[name.split("-")[0]] for name in rows]
        bars = ax.barh(range(len(rows)), values, xerr=[low, high], color=colours, capsize=3)
        for bar, name in zip(bars, rows, strict=True):
            if name.endswith("-orm"):
                bar.set_hatch("//")
                bar.set_alpha(0.75)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(rows)), rows)
    axes[0].invert_yaxis()  # the y axis is shared: once turns both
    fig.suptitle(
        f"GET /api/v1/posts, 64 connections, cache off, 10,000 posts — median and 95% CI of "
        f"{run['settings'].get('repeat', 5)} rounds (A/A {run['aa_ratio']:.3f} "
        f"[{run['aa_ratio_ci95'][0]:.3f}–{run['aa_ratio_ci95'][1]:.3f}])",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
