"""Statistics over repeats: median with min–max, and "is this difference noise?".

It exists so every table and chart states a figure the same way (the median
of the repeats, with their range) and so ``flask bench compare`` flags a
change only when it stands out of the measured spread.
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
