"""Geometry for the cashtag page's charts, drawn as inline SVG by the templates.

No script and no ``style`` attribute (the CSP allows neither): sizes and
positions are SVG presentation attributes (``x``, ``y``, ``width``,
``height``), colours come from classes in finboard.css.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from finboard.contract.market import DayCount, SentimentSplit

# The daily chart's drawing box (the viewBox; CSS scales it to the column).
WIDTH = 600
HEIGHT = 190
LEFT = 30  # room for the y-axis labels
BOTTOM = 24  # room for the date labels
TOP = 10
GAP = 0.25  # of a day's slot


@dataclass(frozen=True)
class Bar:
    day: date
    posts: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        return f"{self.day:%a %d %b}: {self.posts} post{'' if self.posts == 1 else 's'}"


@dataclass(frozen=True)
class Tick:
    """A labelled point of an axis."""

    x: float
    y: float
    text: str
    anchor: str = "middle"  # SVG text-anchor


@dataclass(frozen=True)
class DailyChart:
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    total: int
    busiest: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM

    @property
    def first_day(self) -> date | None:
        return self.bars[0].day if self.bars else None

    @property
    def last_day(self) -> date | None:
        return self.bars[-1].day if self.bars else None


def _nice_top(busiest: int) -> int:
    """The y-axis top: the busiest day rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if busiest <= 1:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= busiest:
                return step * scale
        scale *= 10


def daily_chart(daily: list[DayCount]) -> DailyChart:
    """Bars for posts per day (oldest first), scaled to the busiest day."""
    busiest = max((d.posts for d in daily), default=0)
    top = _nice_top(busiest)
    plot_height = HEIGHT - BOTTOM - TOP
    baseline = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT) / max(len(daily), 1)
    bars = []
    for index, day in enumerate(daily):
        height = round(plot_height * day.posts / top, 2)
        bars.append(
            Bar(
                day=day.day,
                posts=day.posts,
                x=round(LEFT + index * slot + slot * GAP / 2, 2),
                y=round(baseline - height, 2),
                width=round(slot * (1 - GAP), 2),
                height=height,
            )
        )
    y_ticks = [Tick(x=LEFT - 6, y=baseline, text="0"), Tick(x=LEFT - 6, y=TOP, text=str(top))]
    if top >= 2 and top % 2 == 0:
        y_ticks.insert(1, Tick(x=LEFT - 6, y=round(TOP + plot_height / 2, 2), text=str(top // 2)))
    # A date under the first bar, one a week after it, and under today's (the last).
    x_ticks = [
        Tick(x=round(b.x + b.width / 2, 2), y=HEIGHT - 6, text=f"{b.day:%b} {b.day.day}")
        for i, b in enumerate(bars)
        if (i % 7 == 0 and i < len(bars) - 3) or i == len(bars) - 1
    ]
    if x_ticks:  # the first and last labels stay inside the drawing
        first, last = bars[0], bars[-1]
        x_ticks[0] = Tick(x=first.x, y=x_ticks[0].y, text=x_ticks[0].text, anchor="start")
        x_ticks[-1] = Tick(x=last.x + last.width, y=x_ticks[-1].y, text=x_ticks[-1].text, anchor="end")
    return DailyChart(
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        total=sum(d.posts for d in daily),
        busiest=busiest,
    )


@dataclass(frozen=True)
class Split:
    """The bullish/bearish split of one period, in counts and percentages (bars as SVG widths)."""

    days: int
    bullish: int
    bearish: int

    @property
    def total(self) -> int:
        return self.bullish + self.bearish

    @property
    def bullish_percent(self) -> int:
        return round(100 * self.bullish / self.total) if self.total else 0

    @property
    def bearish_percent(self) -> int:
        return 100 - self.bullish_percent if self.total else 0


def split(days: int, counts: SentimentSplit) -> Split:
    return Split(days=days, bullish=counts.bullish, bearish=counts.bearish)
