"""The live progress line of ``flask bench run``: where it is, how long so far, how long to go.

It exists because a full run takes an hour or more and must say what it is
doing: a bar of the planned time done, backend, scenario, concurrency, repeat, elapsed time and an ETA
(planned seconds left, scaled by how fast the plan has gone so far). On a
terminal it redraws one line; elsewhere (CI logs) it prints a line per cell.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, planned_seconds: list[float], stream: TextIO | None = None):
        self.planned = planned_seconds  # one entry per cell, in run order
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.label = ""
        self._last_draw = 0.0
        self._width = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def eta(self) -> float:
        left = sum(self.planned[self.done :])
        spent = sum(self.planned[: self.done])
        pace = self.elapsed / spent if spent and self.done else 1.0
        return left * max(pace, 0.5)

    def fraction(self) -> float:
        """Share of the planned time done (by cells finished)."""
        total = sum(self.planned)
        return sum(self.planned[: self.done]) / total if total else 0.0

    def bar(self, width: int = 20) -> str:
        filled = round(self.fraction() * width)
        return f"[{'#' * filled}{'.' * (width - filled)}] {self.fraction():4.0%}"

    def cell(self, backend: str, cache: str, scenario: str, concurrency: int, repeat: int, repeats: int) -> None:
        self.label = (
            f"{backend} (cache {cache}) · {scenario} · c={concurrency} · round {repeat + 1}/{repeats} · "
            f"cell {self.done + 1}/{len(self.planned)}"
        )
        self.draw(force=True)

    def phase(self, label: str) -> None:
        """Something between cells (counting SQL, logging in)."""
        self.label = label
        self.draw(force=True)

    def finish_cell(self) -> None:
        self.done = min(self.done + 1, len(self.planned))

    def skip(self, cells: int) -> None:
        self.done = min(self.done + cells, len(self.planned))

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.5:
            return
        self._last_draw = now
        line = f"{self.bar()} {self.label} · {clock(self.elapsed)} elapsed · ETA {clock(self.eta())}"
        if self.tty:
            padding = " " * max(0, self._width - len(line))
            self.stream.write(f"\r{line}{padding}")
            self._width = len(line)
        elif force:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (a warning, a failed backend), above the progress line."""
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
