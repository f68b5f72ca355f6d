"""Average before and after `flask bench run` results (an A-B-B-A series) into one Markdown table.

    python docs/benchmarks/2026-11-27-community/abba.py before-1/run.json,before-2/run.json \
        after-1/run.json,after-2/run.json
"""

from __future__ import annotations

import json
import statistics
import sys


def load(path: str) -> dict[tuple[str, str, str], dict]:
    with open(path) as handle:
        results = json.load(handle)["results"]
    return {(r["backend"], r["scenario"], r["cache"]): r for r in results if r["status"] == "ok"}


def mean(runs: list[dict], key: tuple, pick) -> float:
    return statistics.mean(pick(run[key]) for run in runs)


def main(before_paths: str, after_paths: str) -> None:
    befores = [load(p) for p in before_paths.split(",")]
    afters = [load(p) for p in after_paths.split(",")]
    print("| backend | scenario | cache | before req/s | after req/s | after ÷ before | × raw before | × raw after |")
    print("|---|---|---|---|---|---|---|---|")
    for key in befores[0]:
        if not all(key in run for run in befores + afters):
            continue
        before, after = mean(befores, key, lambda r: r["rps"]), mean(afters, key, lambda r: r["rps"])
        x_before = mean(befores, key, lambda r: r["x_raw"] or 0)
        x_after = mean(afters, key, lambda r: r["x_raw"] or 0)
        print(
            f"| {key[0]} | {key[1]} | {key[2]} | {before:,.0f} | {after:,.0f} | {after / before:.2f} "
            f"| {x_before:.2f} | {x_after:.2f} |"
        )


if __name__ == "__main__":
    main(*sys.argv[1:3])
