"""``flask bench``: FinBoard's benchmark of its /api/v1 backends.

It exists so that "Flask vs FastAPI vs Django" is answered by numbers measured
the same way for every backend in the registry (wrk through the Lua scripts in
``lua/``, one backend at a time, on the same seeded PostgreSQL data) and written
to a versioned JSON document that reports, charts and comparisons read.

Modules: ``cli`` (the click group), ``scenarios`` (what is requested),
``database`` (the throwaway, seeded database), ``wrk`` (running and parsing
wrk), ``resources`` (RSS/CPU sampling), ``sqlcount`` (SQL per request),
``verify`` (schema + cross-backend checks), ``runner`` (orchestration),
``results`` (the file format), ``stats``, ``environment``, ``report``,
``charts``, ``terms`` (search terms by document frequency), ``targets`` (the
performance targets, computed from a run's own numbers), ``explain`` (EXPLAIN
of the hot queries).
"""

SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)  # older files are upgraded on reading (results.upgrade)

# What ``flask bench`` imports beyond the forum's runtime set: the "bench" extra
# (pyproject.toml; pinned in requirements-dev.txt). Checked before any command
# runs so that a forum-only install gets one clear line, not a traceback.
REQUIRED_MODULES = ("psutil", "matplotlib", "jsonschema")


def missing_modules() -> list[str]:
    """The modules of the bench extra that are not installed."""
    from importlib.util import find_spec

    return [name for name in REQUIRED_MODULES if find_spec(name) is None]
