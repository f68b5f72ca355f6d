"""The live progress bar of ``flask bench run``: where it is, how long so far, how long to go.

It exists because a run takes minutes and must say what it is doing: a bar of
the planned time done (the plan's steps, finboard.bench.steps, each counted
when its work is over), backend, scenario, concurrency, round, elapsed time and
an ETA (planned seconds left, scaled by how fast the plan has gone so far). On
a terminal it is a rich progress bar that updates per cell; elsewhere (CI
logs) it prints a line per cell.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Hashable
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, TextColumn
from rich.progress import Progress as RichProgress
from rich.table import Column


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """The bar over the plan's steps (finboard.bench.steps): each marked done by its key when its work is over.

    Counting by key, not by a running index, keeps the bar right when work
    finishes out of the plan's order (a failed backend's remaining steps, the
    open-loop cells after a scenario's cells, the SQL counts after the rounds).
    """

    def __init__(self, steps: dict[Hashable, float], stream: TextIO | None = None):
        self.steps = dict(steps)  # step key -> planned seconds
        self.total = sum(self.steps.values())
        self.completed: set[Hashable] = set()
        self.done_s = 0.0
        self.cells = sum(1 for key in self.steps if getattr(key, "repeat", None) is not None)  # the measured cells
        self.cells_done = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.label = ""
        self._last_draw = 0.0
        self._bar: RichProgress | None = None
        if self.tty:
            fixed = {"no_wrap": True}
            self._bar = RichProgress(
                BarColumn(bar_width=20, table_column=Column(min_width=20, **fixed)),
                TextColumn(
                    "{task.percentage:>3.0f}% · ETA {task.fields[eta]} ({task.fields[elapsed]} elapsed)",
                    markup=False,
                    table_column=Column(min_width=30, **fixed),
                ),
                # the label takes what is left of the line, cut with an ellipsis on a narrow terminal
                TextColumn("{task.fields[label]}", markup=False, table_column=Column(overflow="ellipsis", **fixed)),
                console=Console(file=self.stream),
            )
            self._task = self._bar.add_task("bench", total=self.total or 1, label="", elapsed="0:00", eta="?")
            self._bar.start()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def eta(self) -> float:
        left = self.total - self.done_s
        pace = self.elapsed / self.done_s if self.done_s else 1.0
        return left * max(pace, 0.5)

    def fraction(self) -> float:
        """Share of the planned time done (by steps finished)."""
        return min(1.0, self.done_s / self.total) if self.total else 0.0

    def bar(self, width: int = 20) -> str:
        filled = round(self.fraction() * width)
        return f"[{'#' * filled}{'.' * (width - filled)}] {self.fraction():4.0%}"

    def cell(self, backend: str, cache: str, scenario: str, concurrency: int, repeat: int, repeats: int) -> None:
        self.label = (
            f"{backend} (cache {cache}) · {scenario} · c={concurrency} · round {repeat + 1}/{repeats} · "
            f"cell {min(self.cells_done + 1, self.cells)}/{self.cells}"
        )
        self.draw(force=True)

    def phase(self, label: str) -> None:
        """Something between cells (a primer, an open-loop cell, counting SQL, logging in)."""
        self.label = label
        self.draw(force=True)

    def complete(self, *keys: Hashable) -> None:
        """These steps are over (measured, failed or skipped): their planned seconds count as done."""
        for key in keys:
            if key in self.steps and key not in self.completed:
                self.completed.add(key)
                self.done_s += self.steps[key]
                self.cells_done += getattr(key, "repeat", None) is not None
        self.draw()

    def complete_matching(self, **fields) -> None:
        """Every step whose fields match (``backend="x"``: a backend that failed; with ``cache``: a skipped pass)."""
        missing = object()
        self.complete(*[key for key in self.steps if all(getattr(key, f, missing) == v for f, v in fields.items())])

    def complete_all(self) -> None:
        """The run is over: what did not run (a skipped cache-on pass, a failed round) is not left to do."""
        self.complete(*self.steps)

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.5:
            return
        self._last_draw = now
        if self._bar is not None:
            self._bar.update(
                self._task, completed=self.done_s, label=self.label, elapsed=clock(self.elapsed), eta=clock(self.eta())
            )
            return
        if force:
            line = f"{self.bar()} {self.label} · {clock(self.elapsed)} elapsed · ETA {clock(self.eta())}"
            self.stream.write(line + "\n")
            self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (a warning, a failed backend), above the progress bar."""
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
            return
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self.draw(force=True)  # the last steps' share: without it the bar stopped where it was last drawn
            self._bar.stop()
            self._bar = None
