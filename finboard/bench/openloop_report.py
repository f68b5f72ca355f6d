"""The open-loop (``--rate``) part of a report: the latency ladder per offered load, and the chart's series.

It exists so the Markdown table and the latency-vs-offered-load chart read
the results file's ``open_loop[]`` the same way: per backend and scenario,
the offered rates in order, with each one's percentile ladder (counted from
the intended send times), what was achieved and how much was left unanswered.
"""

from __future__ import annotations

from collections import defaultdict

from finboard.bench.openloop import LADDER, percentile_key

LADDER_KEYS = tuple(percentile_key(p) for p in LADDER)


def series(run: dict) -> dict[tuple[str, str, str, int | None], list[dict]]:
    """(scenario, cache, backend, data size) → its measured open-loop entries, by offered rate."""
    out: dict[tuple, list[dict]] = defaultdict(list)
    for entry in run.get("open_loop") or []:
        if entry.get("status") == "ok":
            out[(entry["scenario"], entry["cache"], entry["backend"], entry.get("data_size"))].append(entry)
    return {key: sorted(entries, key=lambda e: e["rate"]) for key, entries in out.items()}


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.1f}"


def section(run: dict) -> str:
    """The Markdown table: one row per backend × scenario × offered rate."""
    entries = run.get("open_loop") or []
    if not entries:
        return "Not measured in this run (run with `--rate R`, e.g. `--rate 200,400,800`)."
    rows = []
    for entry in sorted(entries, key=lambda e: (e["scenario"], e["cache"], e["backend"], e["rate"])):
        head = [entry["scenario"], entry["cache"], entry["backend"], f"{entry['rate']:g}"]
        if entry.get("status") != "ok":
            rows.append([*head, f"{entry.get('status')}: {(entry.get('reason') or '')[:100]}", *[""] * 9])
            continue
        latency = entry["latency_ms"]
        growth = entry.get("latency_growth")
        rows.append(
            [
                *head,
                f"{entry['achieved_rps']:,.0f}",
                *(_ms(latency.get(k)) for k in LADDER_KEYS),
                _ms(latency.get("max")),
                f"{entry['backlog']:,}",
                f"{growth:.2f}×" if growth is not None else "—",
            ]
        )
    headers = ["Scenario", "Cache", "Backend", "Offered req/s", "Answered req/s", *LADDER_KEYS, "max", "Backlog",
               "Latency growth"]  # fmt: skip
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return (
        "Latency (ms) at a fixed offered load, open-loop: every connection's send times are fixed in advance and"
        " each answer is timed from its request's intended send time, so a server that falls behind shows its"
        " queue (closed-loop wrk would just send less). Backlog: requests due in the cell that got no answer"
        " before it ended; latency growth: mean latency of the last third of the seconds ÷ the first third's,"
        " by intended send time (≫ 1: the offered load is above capacity and the queue grows).\n\n" + "\n".join(lines)
    )
