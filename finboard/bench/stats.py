"""Statistics over repeats: median with min–max or with a 95 % bootstrap CI, and "is this difference noise?".

It exists so every table and chart states a figure the same way (the median
of the repeats, with their range or its confidence interval), so ratios
between backends are taken round by round (paired), so the A/A control can
say when a run is too noisy to rank, and so ``flask bench compare`` flags a
change only when it stands out of the measured spread (``--fail-below``: when
the CI of the ratio lies wholly below the threshold).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.05  # 5 %


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    n: int

    @property
    def relative_range(self) -> float:
        """(max − min) / median: 0 with one repeat."""
        return (self.high - self.low) / abs(self.median) if self.median else 0.0

    def format(self, digits: int = 0, unit: str = "") -> str:
        def f(value: float) -> str:
            return f"{value:,.{digits}f}"

        if self.n <= 1 or self.low == self.high:
            return f"{f(self.median)}{unit}"
        return f"{f(self.median)}{unit} [{f(self.low)}–{f(self.high)}]"


def spread(values: Iterable[float | None]) -> Spread | None:
    """Median, min and max of the values that are not None (None when there are none)."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return None
    return Spread(statistics.median(present), min(present), max(present), len(present))


@dataclass(frozen=True)
class Change:
    before: Spread
    after: Spread
    relative: float  # (after − before) / before
    significant: bool
    reason: str


def compare(before: Spread, after: Spread, threshold: float = DEFAULT_THRESHOLD) -> Change:
    """A change is flagged when it exceeds ``threshold`` and the two min–max ranges don't overlap.

    With one repeat there is no measured spread: the ranges are points, so a
    change must exceed twice the threshold to be flagged — the reason says so.
    """
    if before.median:
        relative = (after.median - before.median) / abs(before.median)
    else:  # from nothing: no change, or an infinite one
        relative = 0.0 if after.median == before.median else float("inf")
    overlap = after.low <= before.high and before.low <= after.high
    noise = max(before.relative_range, after.relative_range)
    if abs(relative) <= threshold:
        return Change(before, after, relative, False, f"within the {threshold:.0%} threshold")
    if before.n <= 1 or after.n <= 1:
        if abs(relative) <= 2 * threshold:
            return Change(before, after, relative, False, f"within {2 * threshold:.0%} (one repeat: spread unknown)")
        return Change(before, after, relative, True, f"beyond {2 * threshold:.0%} (one repeat: spread unknown)")
    if overlap:
        return Change(before, after, relative, False, f"ranges overlap (spread up to {noise:.0%})")
    return Change(before, after, relative, True, f"beyond the threshold and outside the spread ({noise:.0%})")


# --- confidence intervals (schema version 3) ------------------------------------------------------

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 14  # fixed: the same samples give the same interval on every machine, in every report
AA_BAND = (0.95, 1.05)  # the A/A control's ratio CI must stay inside this for the run to rank backends


@dataclass(frozen=True)
class Estimate:
    """A median with its 95 % bootstrap confidence interval (``low == high`` with one sample)."""

    value: float
    low: float
    high: float
    n: int

    @property
    def ci(self) -> list[float]:
        return [self.low, self.high]

    def overlaps(self, other: Estimate) -> bool:
        return self.low <= other.high and other.low <= self.high

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    def format(self, digits: int = 0, unit: str = "") -> str:
        def f(v: float) -> str:
            return f"{v:,.{digits}f}"

        if self.n <= 1:
            return f"{f(self.value)}{unit} (n=1)"
        return f"{f(self.value)}{unit} [{f(self.low)}–{f(self.high)}]"


def _numpy():
    try:
        import numpy

        return numpy
    except ImportError:  # the stdlib path below gives the same kind of interval, more slowly
        return None


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default method)."""
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def _resampled(statistic, samples: list[list[float]], resamples: int, seed: int) -> list[float]:
    """``statistic`` of ``resamples`` bootstrap resamples (each sample list resampled on its own)."""
    np = _numpy()
    if np is not None:
        rng = np.random.default_rng(seed)
        drawn = [np.asarray(s, dtype=float)[rng.integers(0, len(s), size=(resamples, len(s)))] for s in samples]
        return sorted(statistic(np, *drawn).tolist())
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(resamples):
        drawn = [[s[rng.randrange(len(s))] for _ in s] for s in samples]
        out.append(statistic(None, *[[d] for d in drawn])[0])
    return sorted(out)


def _median_rows(np, rows):
    return np.median(rows, axis=1) if np is not None else [statistics.median(rows[0])]


def bootstrap_median(
    values: Iterable[float | None], *, resamples: int = RESAMPLES, seed: int = SEED, confidence: float = CONFIDENCE
) -> Estimate | None:
    """The median of the values (None ignored) and its percentile-bootstrap confidence interval.

    Seeded, so the same values always give the same interval. None when there is no value.
    """
    present = [float(v) for v in values if v is not None]
    if not present:
        return None
    median = statistics.median(present)
    if len(present) == 1 or min(present) == max(present):
        return Estimate(median, median, median, len(present))
    medians = _resampled(_median_rows, [present], resamples, seed)
    alpha = (1 - confidence) / 2
    return Estimate(median, _quantile(medians, alpha), _quantile(medians, 1 - alpha), len(present))


def paired_ratios(numerator: dict, denominator: dict) -> list[float]:
    """``numerator[k] / denominator[k]`` for every key (round) both have, in key order: a paired comparison."""
    return [
        numerator[k] / denominator[k]
        for k in sorted(set(numerator) & set(denominator))
        if numerator[k] is not None and denominator[k]
    ]


def paired_ratio(numerator: dict, denominator: dict, **kwargs) -> Estimate | None:
    """Median of the per-round ratios with its bootstrap CI (None when no round has both)."""
    return bootstrap_median(paired_ratios(numerator, denominator), **kwargs)


def paired_difference(minuend: dict, subtrahend: dict, **kwargs) -> Estimate | None:
    """Median of the per-round differences with its bootstrap CI (what one backend adds over another)."""
    keys = sorted(set(minuend) & set(subtrahend))
    diffs = [minuend[k] - subtrahend[k] for k in keys if minuend[k] is not None and subtrahend[k] is not None]
    return bootstrap_median(diffs, **kwargs)


def _ratio_rows(np, new, old):
    if np is None:
        return [statistics.median(new[0]) / statistics.median(old[0])]
    return np.median(new, axis=1) / np.median(old, axis=1)


def ratio_of_medians(
    new: Iterable[float | None],
    old: Iterable[float | None],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> Estimate | None:
    """median(new) ÷ median(old) with a bootstrap CI, the two runs resampled independently (not paired)."""
    a = [float(v) for v in new if v is not None]
    b = [float(v) for v in old if v is not None]
    if not a or not b or statistics.median(b) == 0 or min(b) <= 0:
        return None
    value = statistics.median(a) / statistics.median(b)
    if len(a) == 1 and len(b) == 1:
        return Estimate(value, value, value, 1)
    ratios = _resampled(_ratio_rows, [a, b], resamples, seed)
    alpha = (1 - confidence) / 2
    return Estimate(value, _quantile(ratios, alpha), _quantile(ratios, 1 - alpha), min(len(a), len(b)))


def winner_text(ratio: Estimate | None, a: str, b: str) -> str:
    """``a ÷ b`` per round: who wins, or "no clear winner" when the CI contains 1."""
    if ratio is None:
        return "—"
    if ratio.n <= 1:
        return f"{a} ÷ {b} = {ratio.value:.2f} (one round: no interval, no verdict)"
    if ratio.contains(1.0):
        return f"no clear winner ({a} ÷ {b} = {ratio.format(2)})"
    better = a if ratio.low > 1 else b
    return f"{better} faster ({a} ÷ {b} = {ratio.format(2)})"


def aa_noisy(ratio: Estimate | None, band: tuple[float, float] = AA_BAND) -> bool:
    """True when the A/A control's ratio CI leaves the band (or there is no interval): too noisy to rank."""
    if ratio is None or ratio.n <= 1:
        return True
    return ratio.low < band[0] or ratio.high > band[1]
