"""``flask bench compare A.json B.json``: what changed between two runs, and whether it is noise.

It exists so a change of code, version or machine can be judged from two
results files: for every cell both runs measured, throughput and p50/p99 with
their min–max, the relative change, and a flag when the change is bigger than
both the threshold and the measured spread (``finboard.bench.stats.compare``).
``gate`` is the regression gate of ``compare --fail-below``: B ÷ A req/s per
cell with a bootstrap 95 % CI, failing a cell whose whole CI is below the ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

from finboard.bench.precision import per_round
from finboard.bench.stats import DEFAULT_THRESHOLD, Change, Estimate, compare, ratio_of_medians
from finboard.bench.tables import Aggregate, run_sizes

METRICS = (("rps", "req/s", True), ("p50", "p50 ms", False), ("p99", "p99 ms", False))


@dataclass
class Row:
    key: tuple  # backend, scenario, cache, concurrency, data size
    metric: str
    change: Change
    better_is_higher: bool

    @property
    def direction(self) -> str:
        if not self.change.significant:
            return "~"
        improved = (self.change.relative > 0) == self.better_is_higher
        return "better" if improved else "worse"


def compare_runs(a: dict, b: dict, threshold: float = DEFAULT_THRESHOLD) -> list[Row]:
    """Every cell both runs measured at the same data size (a run of one size against its round in the other)."""
    rows = []
    for size in [s for s in run_sizes(b) if s in run_sizes(a)]:
        before, after = Aggregate(a, size), Aggregate(b, size)
        for key, cell_b in after.cells.items():
            cell_a = before.cells.get(key)
            if cell_a is None:
                continue
            for metric, _label, higher in METRICS:
                sa = cell_a.rps if metric == "rps" else cell_a.latency(metric)
                sb = cell_b.rps if metric == "rps" else cell_b.latency(metric)
                if sa is None or sb is None:
                    continue
                rows.append(Row((*key, size), metric, compare(sa, sb, threshold), higher))
    return rows


def environment_differences(a: dict, b: dict) -> list[str]:
    ea, eb = a.get("environment", {}), b.get("environment", {})
    notes = []
    for key in ("cpu_model", "cores_logical", "memory_gb", "os", "python", "postgresql", "redis", "wrk"):
        if ea.get(key) != eb.get(key):
            notes.append(f"{key}: {ea.get(key)} → {eb.get(key)}")
    pa, pb = ea.get("packages") or {}, eb.get("packages") or {}
    notes += [f"{p}: {pa.get(p)} → {pb.get(p)}" for p in sorted(set(pa) | set(pb)) if pa.get(p) != pb.get(p)]
    ca, cb = (ea.get("git") or {}).get("commit"), (eb.get("git") or {}).get("commit")
    if ca != cb:
        notes.append(f"commit: {str(ca)[:10]} → {str(cb)[:10]}")
    for key in ("duration_s", "workers", "data_size", "pool_size", "threads"):
        if a.get("settings", {}).get(key) != b.get("settings", {}).get(key):
            notes.append(f"setting {key}: {a['settings'].get(key)} → {b['settings'].get(key)}")
    only = sorted(set(run_sizes(a)) ^ set(run_sizes(b)))
    if only:
        notes.append(f"data sizes in only one run (not compared): {', '.join(f'{n:,}' for n in only)}")
    for label, run in (("A", a), ("B", b)):
        busy = _other_cpu(run)
        if busy is not None and busy > 15:
            notes.append(f"run {label} shared the machine: other processes used {busy:.0f}% of a core on average")
        if (run.get("settings") or {}).get("repeat", 1) <= 1:
            notes.append(
                f"run {label} has one repeat: no measured spread, so only changes over twice the threshold count"
            )
    return notes


def _other_cpu(run: dict) -> float | None:
    values = [(e.get("other_cpu_pct") or {}).get("avg") for e in run.get("results", [])]
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def render(a: dict, b: dict, threshold: float = DEFAULT_THRESHOLD, only_significant: bool = False) -> str:
    rows = compare_runs(a, b, threshold)
    lines = []
    differences = environment_differences(a, b)
    if differences:
        lines += ["Differences between the runs, and what limits the comparison:", *(f"  {d}" for d in differences), ""]
    table = [["posts", "backend", "scenario", "cache", "conn", "metric", "A", "B", "change", "verdict"]]
    for row in rows:
        if only_significant and not row.change.significant:
            continue
        backend, scenario, cache, c, size = row.key
        verdict = (
            f"{row.direction.upper()}: {row.change.reason}" if row.change.significant else f"noise: {row.change.reason}"
        )
        digits = 0 if row.metric == "rps" else 1
        table.append(
            [
                f"{size:,}" if size else "",
                backend,
                scenario,
                cache,
                str(c),
                row.metric,
                row.change.before.format(digits),
                row.change.after.format(digits),
                f"{row.change.relative:+.1%}",
                verdict,
            ]
        )
    if len(table) == 1:
        lines.append("No cell was measured in both runs." if not rows else "No difference beyond the noise.")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in table]
    flagged = sum(1 for r in rows if r.change.significant)
    lines += ["", f"{flagged} of {len(rows)} comparisons differ by more than the threshold and the measured spread."]
    return "\n".join(lines)


@dataclass
class GateVerdict:
    key: tuple  # data size, backend, scenario, cache, concurrency
    ratio: Estimate
    threshold: float

    @property
    def failed(self) -> bool:
        return self.ratio.high < self.threshold

    @property
    def line(self) -> str:
        size, backend, scenario, cache, concurrency = self.key
        where = f"{backend} {scenario} c={concurrency} cache {cache}" + (f" {size:,} posts" if size else "")
        ratio = f"B÷A req/s {self.ratio.format(3)}"
        if self.failed:
            return f"FAIL {where}: {ratio} lies wholly below {self.threshold:g}"
        if self.ratio.low < self.threshold:
            return f"ok   {where}: {ratio} reaches {self.threshold:g} (not clearly slower)"
        return f"ok   {where}: {ratio}"


def gate(a: dict, b: dict, threshold: float) -> list[GateVerdict]:
    """The regression gate: for every cell both runs measured, B's req/s ÷ A's with a bootstrap 95 % CI.

    The two runs are resampled independently (their rounds are not paired);
    a cell fails when its whole CI is below ``threshold``. Files of every
    readable version work: the CI comes from the per-repeat figures.
    """
    old, new = per_round(a.get("results", []), "rps"), per_round(b.get("results", []), "rps")
    verdicts = []
    for key, rounds in new.items():
        if key not in old:
            continue
        ratio = ratio_of_medians(rounds.values(), old[key].values())
        if ratio is not None:
            verdicts.append(GateVerdict(key, ratio, threshold))
    return verdicts
