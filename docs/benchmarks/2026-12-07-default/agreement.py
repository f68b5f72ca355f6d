"""Do two runs agree? The share of cells whose 95% CIs overlap, and each run's A/A control.

Issue 14 asks a second default run of the same commit, made at another time, to overlap the
first's CIs in at least 90% of its cells. A cell is a backend × scenario × cache mode ×
concurrency × data size of ``run.json``'s ``cells``.

Usage: python docs/benchmarks/2026-12-07-default/agreement.py RUN1.json RUN2.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cells(path: str) -> tuple[dict, dict]:
    run = json.loads(Path(path).read_text())
    keyed = {(c["backend"], c["scenario"], c["cache"], c["concurrency"], c["data_size"]): c for c in run["cells"]}
    return run, keyed


def overlap(x: list[float], y: list[float]) -> bool:
    return x[0] <= y[1] and y[0] <= x[1]


def share(first: dict, second: dict, field: str) -> tuple[int, int, list]:
    """(overlapping, compared, keys apart) for ``field``'s CI over the cells both runs measured."""
    ci = f"{field}_ci95"
    common = [k for k in first if k in second and first[k].get(ci) and second[k].get(ci)]
    apart = [k for k in common if not overlap(first[k][ci], second[k][ci])]
    return len(common) - len(apart), len(common), apart


def main(path1: str, path2: str) -> None:
    run1, first = cells(path1)
    run2, second = cells(path2)
    for label, run in (("run 1", run1), ("run 2", run2)):
        low, high = run["aa_ratio_ci95"]
        print(f"A/A {label}: {run['aa_ratio']:.3f} [{low:.3f}–{high:.3f}]")
    for field in ("rps", "cpu_us_per_request"):
        same, compared, apart = share(first, second, field)
        print(f"{field}: CIs overlap in {same} of {compared} cells ({same / compared:.0%})")
        for key in apart:
            print(f"  apart: {key[:3]} {first[key][field]:,.0f} {first[key][f'{field}_ci95']} "
                  f"vs {second[key][field]:,.0f} {second[key][f'{field}_ci95']}")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
