"""How far the figures can be trusted: the A/A control's verdict and who is faster, paired by round."""

from __future__ import annotations

from finboard.bench import precision, targets
from finboard.bench.report_text import table, title
from finboard.bench.stats import AA_BAND, winner_text
from finboard.bench.tables import Aggregate


def precision_section(run: dict) -> str:
    """The A/A control's verdict and how many rounds the figures rest on."""
    settings = run.get("settings") or {}
    rounds = settings.get("repeat", 1)
    lines = [
        f"{rounds} interleaved round{'s' if rounds != 1 else ''} (every backend once per round, the order a balanced"
        " Latin square: each backend early and late, before and after each other, alike)."
    ]
    primer = settings.get("primer_s")
    if primer:
        lines.append(
            f"Before round 1 every server was primed once for {primer} s per scenario (cold caches, lazy set-up;"
            " `primer[]` in run.json), outside every figure."
        )
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


def base_cells(agg: Aggregate) -> tuple[int | None, str, list[dict]]:
    """The concurrency and cache mode the per-scenario tables compare at, and every entry of the run."""
    return targets.concurrency(agg), agg.base_cache(), [e for cell in agg.cells.values() for e in cell.entries]


def ranking_section(agg: Aggregate) -> str:
    """Per scenario, backends by req/s, each against the next one down: a winner only when the paired CI excludes 1."""
    c, cache, entries = base_cells(agg)
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
