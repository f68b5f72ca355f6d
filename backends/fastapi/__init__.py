"""The FastAPI adapter of /api/v1: routers and dependencies over finboard.core.

Answers every request with the same status and the same JSON bytes as the
Flask reference (finboard.api), so it may import nothing from finboard but
finboard.core — and never Flask.
"""

from importlib.util import find_spec as _find_spec

# Installed by the "fastapi" extra, not by requirements.txt (the forum's runtime set):
# started without it, the adapter says what to install instead of a bare ModuleNotFoundError.
_ABSENT = [name for name in ("fastapi", "greenlet") if _find_spec(name) is None]
if _ABSENT:
    raise ModuleNotFoundError(
        f"the FastAPI adapter needs {', '.join(_ABSENT)} (not installed): install the fastapi extra: "
        "pip install -r requirements-dev.txt (pinned), or pip install -e '.[fastapi]'",
        name=_ABSENT[0],
    )
