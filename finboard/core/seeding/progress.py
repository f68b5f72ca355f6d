"""The progress lines of a seeding run: each step's rows and time."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str], None]


class Reporter:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.started = self.last = time.perf_counter()

    def __call__(self, what: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        if self.progress:
            count = f"{rows:,} rows " if rows is not None else ""
            self.progress(f"  {what}: {count}in {now - self.last:.1f}s (total {now - self.started:.1f}s)")
        self.last = now
