"""Latency at a fixed offered load (``flask bench run --rate R``), open-loop.

It exists because closed-loop wrk hides queueing: it sends the next request
only after the answer, so a stalled server just gets fewer requests and the
stall never reaches the percentiles (coordinated omission). Here send times
are fixed in advance and latency is counted from the intended send time, by
wrk with the paced Lua script (``lua/paced.lua``: why a script and not wrk2 is
said there and in docs/bench-results.md). This module runs it and turns its
histogram into the percentile ladder (to p99.99), the send lag, the
per-second timeline and whether the backlog grew. ``parse_open_loop``,
``percentile`` and ``ladder`` are pure: the tests feed them made-up histograms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from finboard.bench import wrk

PACED_SCRIPT = wrk.LUA_DIR / "paced.lua"
LADDER = (50.0, 75.0, 90.0, 99.0, 99.9, 99.99)  # HdrHistogram-style, to p99.99
DEFAULT_CONNECTIONS = 64  # each carries rate/64 requests/s; one wrk thread per connection (see paced.lua)
MAX_CONNECTIONS = 256  # one wrk thread each: beyond this the load generator is the experiment


def percentile_key(p: float) -> str:
    """50.0 → "p50", 99.9 → "p99.9", 99.99 → "p99.99" (the results file's keys)."""
    return f"p{p:g}"


def parse_rates(text: str) -> list[float]:
    """``"200,400,800"`` → [200.0, 400.0, 800.0] (sorted, distinct); ValueError says what is wrong."""
    rates = []
    for part in str(text).split(","):
        word = part.strip()
        if not word:
            continue
        try:
            rate = float(word)
        except ValueError:
            raise ValueError(f"{word!r} is not a rate in requests per second (e.g. 200,400,800)") from None
        if not (math.isfinite(rate) and 0 < rate <= 1_000_000):
            raise ValueError(f"{word!r}: a rate must be more than 0 and at most 1,000,000 requests/s")
        rates.append(rate)
    if not rates:
        raise ValueError(f"{text!r} names no rate: give requests per second, e.g. 200,400,800")
    return sorted(set(rates))


def pairs(histogram) -> list[tuple[float, int]]:
    """The script's ``[[value_us, count], …]`` (or ``{}`` when empty) as sorted (value, count) pairs."""
    if not histogram:
        return []
    return sorted((float(v), int(n)) for v, n in histogram if int(n) > 0)


def percentile(histogram: Sequence[tuple[float, int]], p: float) -> float | None:
    """HdrHistogram's value at percentile: the smallest recorded value with at least p % of counts ≤ it."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= rank:
            return value
    return histogram[-1][0]


def ladder(histogram: Sequence[tuple[float, int]], points: Iterable[float] = LADDER) -> dict[str, float | None]:
    """Percentiles (ms) of a µs histogram, plus max and mean; every value None when it is empty."""
    total = sum(n for _, n in histogram)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value / 1000, 3)

    out = {percentile_key(p): ms(percentile(histogram, p)) for p in points}
    out["max"] = ms(histogram[-1][0]) if total else None
    out["mean"] = ms(sum(v * n for v, n in histogram) / total) if total else None
    return out


def timeline_rows(rows) -> list[dict]:
    """Per second of intended send time: requests answered, mean and max latency (ms)."""
    out = []
    for second, n, sum_us, max_us in rows or []:
        if int(n) > 0:
            out.append(
                {
                    "second": int(second),
                    "requests": int(n),
                    "mean_ms": round(float(sum_us) / int(n) / 1000, 3),
                    "max_ms": round(float(max_us) / 1000, 3),
                }
            )
    return out


def growth(timeline: Sequence[dict]) -> float | None:
    """Mean latency of the last third of the seconds ÷ the first third's: ≫ 1 when a queue builds up."""
    if len(timeline) < 2:
        return None
    third = max(1, len(timeline) // 3)
    first = timeline[:third]
    last = timeline[-third:]
    head = sum(r["mean_ms"] * r["requests"] for r in first) / sum(r["requests"] for r in first)
    tail = sum(r["mean_ms"] * r["requests"] for r in last) / sum(r["requests"] for r in last)
    return round(tail / head, 3) if head > 0 else None


def parse_open_loop(document: dict, expected: Sequence[int] | None = None) -> dict:
    """The paced script's done() document: wrk's figures plus the open-loop accounting.

    ``latency_ms`` is replaced by the ladder counted from the intended send
    times (wrk's own histogram counts from the actual send and would hide the
    queue); ``backlog`` is the requests that were due but got no answer in the
    cell (the generator or the server fell behind); ``achieved_rps`` counts
    every answer, ``rps`` only the expected statuses.
    """
    figures = wrk.parse_result(document, expected)
    loop = document.get("open_loop")
    if not isinstance(loop, dict):
        raise wrk.WrkError("the paced script wrote no open_loop section: is lua/paced.lua the script wrk ran?")
    latency = pairs(loop.get("latency_hist_us"))
    lag = pairs(loop.get("send_lag_hist_us"))
    timeline = timeline_rows(loop.get("timeline"))
    completed = int(loop.get("completed", 0))
    due = int(loop.get("due", 0))
    elapsed_s = float(loop.get("elapsed_us", 0)) / 1e6
    figures["latency_ms"] = ladder(latency)
    figures["open_loop"] = {
        "rate": float(loop["rate"]),
        "connections": int(loop.get("connections", 0)),
        "due": due,
        "sent": int(loop.get("sent", 0)),
        "completed": completed,
        "backlog": max(0, due - completed),
        "achieved_rps": round(completed / elapsed_s, 2) if elapsed_s > 0 else 0.0,
        "send_lag_ms": ladder(lag, (50.0, 99.0)),
        "timeline": timeline,
        "latency_growth": growth(timeline),
        "histogram_us": [[v, n] for v, n in latency],
    }
    return figures


def run_open_loop(
    url: str,
    *,
    rate: float,
    requests_file: Path,
    out_file: Path,
    duration_s: int,
    timeout_s: int,
    connections: int = DEFAULT_CONNECTIONS,
    tokens_file: Path | None = None,
    on_start: Callable | None = None,
    poll: Callable[[], None] | None = None,
) -> wrk.WrkRun:
    """One open-loop cell: ``rate`` requests/s for ``duration_s`` over ``connections`` (one wrk thread each)."""
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise wrk.WrkError(f"open-loop connections must be between 1 and {MAX_CONNECTIONS}, not {connections}")
    return wrk.run_wrk(
        url,
        requests_file=requests_file,
        out_file=out_file,
        connections=connections,
        threads=connections,  # one connection per thread: paced.lua pairs delay/request/response per thread
        duration_s=duration_s,
        timeout_s=timeout_s,
        tokens_file=tokens_file,
        on_start=on_start,
        poll=poll,
        script=PACED_SCRIPT,
        extra_env={"FINBOARD_WRK_RATE": repr(float(rate))},
        parse=parse_open_loop,
    )


def result_entry(
    *,
    backend: str,
    scenario: str,
    cache: str,
    data_size: int | None,
    rate: float,
    figures: dict | None = None,
    status: str = "ok",
    reason: str | None = None,
) -> dict:
    """One open-loop cell in the results file's ``open_loop[]`` (docs/bench-results.md)."""
    figures = figures or {}
    loop = figures.get("open_loop") or {}
    return {
        "backend": backend,
        "scenario": scenario,
        "cache": cache,
        "data_size": data_size,
        "rate": rate,
        "status": status,
        "reason": reason,
        "duration_s": figures.get("duration_s"),
        "connections": loop.get("connections"),
        "achieved_rps": loop.get("achieved_rps"),
        "rps": figures.get("rps"),
        "due": loop.get("due"),
        "completed": loop.get("completed"),
        "backlog": loop.get("backlog"),
        "errors": figures.get("errors"),
        "statuses": figures.get("statuses"),
        "latency_ms": figures.get("latency_ms") or dict.fromkeys([*map(percentile_key, LADDER), "max", "mean"]),
        "send_lag_ms": loop.get("send_lag_ms"),
        "latency_growth": loop.get("latency_growth"),
        "timeline": loop.get("timeline") or [],
        "histogram_us": loop.get("histogram_us") or [],
    }
