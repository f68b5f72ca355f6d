"""FinBoard's /api/v1 as a small Django project on the shared tables.

Django only reads and writes the tables that ``migrations/`` (Alembic) owns:
the models are ``managed = False`` and a database router forbids migrations.
Request parsing, error shapes and JSON come from ``finboard.core``, so every
answer is byte-for-byte the one the Flask reference gives.
"""

from importlib.util import find_spec as _find_spec

# Installed by the "django" extra, not by requirements.txt (the forum's runtime set):
# started without it, the adapter says what to install instead of a bare ModuleNotFoundError.
_ABSENT = [name for name in ("django",) if _find_spec(name) is None]
if _ABSENT:
    raise ModuleNotFoundError(
        f"the Django adapter needs {', '.join(_ABSENT)} (not installed): install the django extra: "
        "pip install -r requirements-dev.txt (pinned), or pip install -e '.[django]'",
        name=_ABSENT[0],
    )
