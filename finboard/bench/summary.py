"""The short, honest summary at the top of a report: what the numbers show and what they don't.

It exists because tables invite over-reading: this states the headline
comparison only where the ratio paired by round has a CI clear of 1 (and
says so when the A/A control finds the run too noisy; with one round, only
beyond 5 %), leaves the A/A copy out of the ranking, names the backends that got
no figures and why, and lists the limits of the measurement (one machine,
client and server sharing cores, short cells, raised rate limits).
"""

from __future__ import annotations

from finboard.bench.precision import is_aa_copy
from finboard.bench.stats import paired_ratio
from finboard.bench.tables import Aggregate


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b else "∞×"


def headline(agg: Aggregate) -> list[str]:
    scenario = agg.headline_scenario()
    if scenario is None:
        return ["No cell was measured."]
    cache = agg.base_cache()
    lines = []
    for c in agg.concurrencies:
        cells = [agg.cell(b, scenario, cache, c) for b in agg.backends if not is_aa_copy(b)]  # the A/A copy: noise
        ranked = sorted((x for x in cells if x and x.rps), key=lambda x: -x.rps.median)
        if len(ranked) < 2:
            if ranked:
                lines.append(
                    f"At {c} connections ({scenario}), only {ranked[0].backend} was measured: "
                    f"{ranked[0].rps.median:,.0f} req/s."
                )
            continue
        best, runner_up = ranked[0], ranked[1]
        others = ", ".join(f"{x.backend} {x.rps.median:,.0f}" for x in ranked[1:])
        paired = paired_ratio(_by_round(best), _by_round(runner_up))
        if paired is not None and paired.n > 1:
            if paired.contains(1.0) or paired.low < 1.0:
                verdict = f"{best.backend} ÷ {runner_up.backend} = {paired.format(2)} round by round: no clear winner"
            elif (agg.run.get("aa") or {}).get("too_noisy_to_rank"):
                verdict = (
                    f"{paired.format(2)}× {runner_up.backend} round by round, but the A/A control says the run is"
                    " too noisy to rank"
                )
            else:
                verdict = f"{paired.format(2)}× {runner_up.backend} (paired by round, 95% CI)"
        elif best.rps.median < runner_up.rps.median * 1.05:
            verdict = "within 5% of each other, so no clear winner"
        else:
            verdict = f"{_ratio(best.rps.median, runner_up.rps.median)} {runner_up.backend}"
        lines.append(
            f"At {c} connections ({scenario}): {best.backend} {best.rps.median:,.0f} req/s vs {others} — {verdict}."
        )
    return lines


def _by_round(cell) -> dict[int, float]:
    return {e.get("repeat", 0): e["rps"] for e in cell.measured}


def latency_wins(agg: Aggregate) -> str | None:
    if not agg.concurrencies:
        return None
    c, cache = agg.concurrencies[0], agg.base_cache()
    wins: dict[str, int] = {}
    contested = 0
    for scenario in agg.scenarios:
        cells = [
            x for b in agg.backends if not is_aa_copy(b) and (x := agg.cell(b, scenario, cache, c)) and x.latency("p50")
        ]
        if len(cells) < 2:
            continue
        contested += 1
        best = min(cells, key=lambda x: x.latency("p50").median)
        wins[best.backend] = wins.get(best.backend, 0) + 1
    if not contested:
        return None
    ranking = ", ".join(f"{b} in {n}" for b, n in sorted(wins.items(), key=lambda kv: -kv[1]))
    return f"Lowest median latency at {c} connections, by scenario: {ranking} of {contested} scenarios."


def failures(agg: Aggregate) -> list[str]:
    lines = []
    for name, info in agg.run.get("backends", {}).items():
        if info.get("status") not in ("ok", "pending") and info.get("problems"):
            measured = sum(1 for e in agg.run.get("results", []) if e["backend"] == name and e["status"] == "ok")
            what = (
                f"died under load after {measured} measured cells"
                if info["status"] == "died"
                else (f"got no figures ({info['status'].replace('_', ' ')})")
            )
            lines.append(f"**{name}** {what}: {info['problems'][0][:300]}")
    return lines


def caveats(agg: Aggregate) -> list[str]:
    run, env, settings = agg.run, agg.run.get("environment", {}), agg.run.get("settings", {})
    cores = env.get("cores_logical") or "?"
    notes = [
        f"One machine ({cores} cores): wrk, PostgreSQL and the server under test share the same cores, "
        "so these are figures for this box, not for a deployment.",
    ]
    wrk_avg = [e["wrk_cpu_pct"]["avg"] for e in run.get("results", []) if (e.get("wrk_cpu_pct") or {}).get("avg")]
    if wrk_avg:
        notes.append(
            f"wrk itself used up to {max(wrk_avg):.0f}% of a core on average in a cell (100% = one core): "
            "where that is high, the load generator competes with the server."
        )
    other = [e["other_cpu_pct"]["avg"] for e in run.get("results", []) if (e.get("other_cpu_pct") or {}).get("avg")]
    if other and sum(other) / len(other) > 15:
        notes.append(
            f"Other processes on the machine used {sum(other) / len(other):.0f}% of a core on average during the "
            f"cells (up to {max(other):.0f}%): they competed with the server, so these figures are disturbed."
        )
    repeats = settings.get("repeat", 1)
    if repeats <= 1:
        notes.append("One repeat: there is no measured spread, so small differences may be noise.")
    if (settings.get("duration_s") or 60) < 10:
        quick = " (a --quick run)" if settings.get("quick") else ""
        notes.append(f"Cells of {settings.get('duration_s')}s{quick} are indicative only.")
    if settings.get("rate_limits"):
        notes.append(f"Login rate limits were raised to {settings['rate_limits']} so login throughput is measurable.")
    if settings.get("sql_method") == "pg_stat_database":
        notes.append(
            "SQL efficiency is counted as transactions per request (pg_stat_database), not statements: "
            "pg_stat_statements is not preloaded on this server. A backend that autocommits each statement "
            "(Django) shows one transaction per statement, one that wraps the request in a session one per request."
        )
        if settings.get("sql_flush") == "end":
            notes.append(
                "The SQL counts ended the servers' database sessions between scenarios (--sql-flush end): they "
                f"include the pools reconnecting, spread over only {settings.get('sql_requests')} requests. "
                "The default (--sql-flush idle) is exact."
            )
    if run.get("interrupted"):
        notes.append("The run was interrupted: the figures are partial.")
    return notes


def summary(aggs: Aggregate | list[Aggregate]) -> str:
    """The headline per data size (prefixed by the size when there are several), then what the numbers don't show."""
    aggs = [aggs] if isinstance(aggs, Aggregate) else list(aggs)
    parts: list[str] = []
    for agg in aggs:
        lines = headline(agg)
        if (line := latency_wins(agg)) is not None:
            lines.append(line)
        if len(aggs) > 1 and agg.data_size:
            lines = [f"At {agg.data_size:,} posts: {line[0].lower()}{line[1:]}" for line in lines]
        parts += lines
    if not parts or parts == ["No cell was measured."] * len(parts):
        parts = ["No cell was measured: see the backends' status below."]
    agg = aggs[-1]
    parts += failures(agg)
    text = "\n".join(f"- {line}" for line in parts)
    text += "\n\n**What the numbers don't show**\n\n" + "\n".join(f"- {line}" for line in caveats(agg))
    return text
