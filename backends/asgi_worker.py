"""The uvicorn worker every ASGI backend runs under gunicorn: uvloop and httptools, explicitly.

uvicorn's own default (``"auto"``) picks uvloop and httptools only when they
happen to be installed and silently falls back to asyncio and h11 otherwise —
the pure-Python stack, measurably slower. uvicorn's deployment advice is the
fast pair, so FastAPI and ``asgi-raw`` name it (``CONFIG_KWARGS``, the
documented way to configure ``UvicornWorker``) and a worker without it fails to
boot with a message saying what to install instead of benchmarking the
fallback. At startup each worker logs the event loop and HTTP protocol it
really runs (at gunicorn's ``info`` level), which the tests check.
"""

from __future__ import annotations

import asyncio
from importlib.util import find_spec

_ABSENT = [name for name in ("uvloop", "httptools", "uvicorn_worker") if find_spec(name) is None]
if _ABSENT:
    raise ModuleNotFoundError(
        f"the ASGI backends run on uvloop and httptools under uvicorn-worker: {', '.join(_ABSENT)} not installed: "
        "install the fastapi extra: pip install -r requirements-dev.txt (pinned), or pip install -e '.[fastapi]'",
        name=_ABSENT[0],
    )

from uvicorn_worker import UvicornWorker  # noqa: E402 - after the check that names what is missing

SERVING_LINE = "uvicorn worker serving with event loop %s and HTTP protocol %s"


class TunedUvicornWorker(UvicornWorker):
    """``UvicornWorker`` with uvloop's event loop and the httptools HTTP parser."""

    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools"}

    async def _serve(self) -> None:
        if not self.config.loaded:
            self.config.app = self.wsgi  # what the parent's _serve sets, needed before loading
            self.config.load()  # resolves the app and the HTTP protocol class (uvicorn's server would next)
        loop = type(asyncio.get_running_loop())
        protocol = self.config.http_protocol_class
        self.log.info(
            SERVING_LINE, f"{loop.__module__}.{loop.__qualname__}", f"{protocol.__module__}.{protocol.__qualname__}"
        )
        await super()._serve()
