"""A deliberately slowed copy of the raw backend: the regression gate's test must catch it.

Every request first burns a fixed amount of CPU time (``FINBOARD_SLOW_CPU_MS``,
default 5 ms, measured with the thread's own CPU clock so a busy machine
doesn't change how much work it is), then is answered by the real raw app:
the same bodies (it passes verification), only slower — like a regression.
"""

from __future__ import annotations

import os
import time

from backends.raw.wsgi import application as raw_application

BURN_S = float(os.environ.get("FINBOARD_SLOW_CPU_MS", "5")) / 1000


def application(environ, start_response):
    start = time.thread_time()
    while time.thread_time() - start < BURN_S:
        pass
    return raw_application(environ, start_response)
