"""The seed comparison's tables that no load test fills: install size, code size, pools, image size.

It exists so the seed's guessed tables become measured ones, each from a
source that can be checked:

* **installed size** of each backend's dependency closure, from the
  installed distributions (``importlib.metadata``): the closure of the
  project's dependencies plus the extra its registry entry names
  (``Backend.extra``, pyproject.toml), each
  distribution's size the sum of the files its RECORD lists. Measured on
  this machine's one environment rather than a venv per backend: no
  download or build needed, and the closure is the same set pip would put
  in that venv (markers evaluated here);
* **lines of code** per adapter and per data layer, counted by cloc
  (Debian's ``cloc``): the adapter's own files (shared by its ``-orm`` and
  ``-sql`` entries) and, beside them, the read code of the entry's data layer
  (its ORM's queries, or ``finboard/rawsql``) — the measured stand-in for the
  seed's "development speed" stars;
* **connection pools**, every pool a worker holds, read from each backend's
  own configuration under its registry environment
  (``python -m backends.pool_settings``, Flask's ``flask_config``);
* **image size**: only where a Docker engine answers (``n/a`` otherwise).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from finboard.bench import environment
from finboard.bench.ceilings import split_label
from finboard.registry import SQL, Backend, canonical, registered

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Each adapter's own code, by the registry's app (an -orm backend and its -sql variant share it): what a
# developer writes to serve /api/v1 on that framework, for cloc. The ORM read code below is left out of it.
ADAPTER_CODE = {
    "wsgi:app": ("finboard/api", "finboard/reads.py"),
    "backends.fastapi.main:app": ("backends/fastapi",),
    "backends.django.wsgi:application": ("backends/django",),
    "backends.raw.wsgi:application": ("backends/raw/wsgi.py", "backends/raw/routing.py"),
    "backends.raw.asgi:application": ("backends/raw/asgi.py", "backends/raw/routing.py"),
}
# The read code of each data layer: the ORM's per framework (its queries and their serialisation; Flask and
# FastAPI share the statement builders of finboard/core/read_statements.py, counted for each), the SQL
# layer's one package for every -sql backend and ceiling. The shared contract (finboard/contract) is counted
# for none: every backend serves it alike.
ORM_READ_CODE = {
    "wsgi:app": ("finboard/core/orm_reads.py", "finboard/core/read_statements.py"),
    "backends.fastapi.main:app": ("backends/fastapi/reads.py", "finboard/core/read_statements.py"),
    "backends.django.wsgi:application": ("backends/django/forum/queries.py", "backends/django/forum/serializers.py"),
}
SQL_READ_CODE = ("finboard/rawsql",)
# Each adapter's pool probe (python -m backends.pool_settings PROBE); Flask's pool is read in-process.
POOL_PROBES = {
    "backends.fastapi.main:app": "fastapi",
    "backends.django.wsgi:application": "django",
    "backends.raw.wsgi:application": "raw",
    "backends.raw.asgi:application": "raw-async",
}
FLASK_APP = "wsgi:app"
CLOC_HINT = "install it with `apt-get install -y cloc` (Debian/Ubuntu)"


class SeedTablesError(RuntimeError):
    """A table could not be measured; the message says why."""


# --- installed size ------------------------------------------------------------------------


def _root_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def closure(roots: list[Requirement]) -> dict[str, metadata.Distribution]:
    """Every installed distribution ``roots`` pull in (markers and extras evaluated here), by canonical name."""
    found: dict[str, metadata.Distribution] = {}
    seen_extras: dict[str, set[str]] = {}
    pending = [(r, set(r.extras)) for r in roots]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name == "finboard":
            continue
        new_extras = extras - seen_extras.get(name, set())
        if name in found and not new_extras:
            continue
        try:
            dist = found.get(name) or metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError as exc:
            raise SeedTablesError(f"{requirement.name} is not installed: pip install -r requirements-dev.txt") from exc
        found[name] = dist
        seen_extras.setdefault(name, set()).update(extras)
        for line in dist.requires or []:
            child = Requirement(line)
            wanted = any(
                child.marker is None or child.marker.evaluate({**default_environment(), "extra": extra})
                for extra in [""] + sorted(seen_extras[name])
            )
            if wanted:
                pending.append((child, set(child.extras)))
    return found


def distribution_bytes(dist: metadata.Distribution) -> int:
    """The size of the files the distribution's RECORD lists (those present)."""
    total = 0
    for file in dist.files or []:
        path = Path(dist.locate_file(file))
        if path.is_file():
            total += path.stat().st_size
    return total


def entries(names: list[str]) -> dict[str, Backend | None]:
    """Each name (an old name, a label ``NAME@server``/``NAME@REV``/``NAME~aa``) → its registry entry, or None."""
    known = registered(yardsticks=True)
    return {name: known.get(canonical(split_label(name)[0])) for name in names}


def installed_sizes(backends: list[str]) -> dict[str, dict]:
    """Per backend: its closure (the project's dependencies + its registry entry's ``extra``), MB, what it adds."""
    base = closure(_root_requirements(()))
    base_bytes = sum(distribution_bytes(d) for d in base.values())
    out = {}
    for name, backend in entries(backends).items():
        if backend is None:
            out[name] = {"distributions": None, "mb": None, "added_mb": None, "note": "not a registered backend"}
            continue
        extras = (backend.extra,) if backend.extra else ()
        dists = closure(_root_requirements(extras))
        total = sum(distribution_bytes(d) for d in dists.values())
        out[name] = {
            "extras": list(extras),
            "distributions": len(dists),
            "mb": round(total / 1e6, 1),
            "added_mb": round((total - base_bytes) / 1e6, 1),
            "added": sorted(set(dists) - set(base)),
        }
    return out


# --- lines of code --------------------------------------------------------------------------


def _python_files(paths: tuple[str, ...], leaving_out: tuple[str, ...] = ()) -> list[str]:
    """The .py files under ``paths`` (files or directories), minus those of ``leaving_out``, sorted."""

    def expand(items: tuple[str, ...]) -> set[Path]:
        found: set[Path] = set()
        for item in items:
            path = PROJECT_ROOT / item
            found |= set(path.rglob("*.py")) if path.is_dir() else {path}
        return found

    return sorted(str(p) for p in expand(paths) - expand(leaving_out))


def _cloc(cloc: str, what: str, paths: tuple[str, ...], leaving_out: tuple[str, ...] = ()) -> dict:
    files = _python_files(paths, leaving_out)
    done = subprocess.run([cloc, "--json", "--quiet", *files], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SeedTablesError(f"cloc failed on {what}: {done.stderr.strip()[-300:]}")
    counts = json.loads(done.stdout or "{}").get("SUM", {})
    return {
        "paths": list(paths),
        "files": counts.get("nFiles", 0),
        "code": counts.get("code", 0),
        "comment": counts.get("comment", 0),
        "blank": counts.get("blank", 0),
    }


def read_code(backend: Backend) -> tuple[str, ...]:
    """The read code of the backend's data layer: ``finboard/rawsql`` on the SQL layer, else its ORM's reads."""
    return SQL_READ_CODE if backend.data_layer == SQL else ORM_READ_CODE.get(backend.app, ())


def lines_of_code(backends: list[str]) -> dict[str, dict | None]:
    """cloc's Python counts per backend: its adapter's own files, and its data layer's read code beside them.

    An ``-orm`` backend and its ``-sql`` variant share the adapter; they differ by the data layer's read code
    (``ORM_READ_CODE`` / ``SQL_READ_CODE``), which is left out of the adapter's count. None for a backend
    whose code is not listed (a plugin).
    """
    cloc = shutil.which("cloc")
    if cloc is None:
        raise SeedTablesError(f"cloc is not installed: {CLOC_HINT}")
    out: dict[str, dict | None] = {}
    for name, backend in entries(backends).items():
        adapter = ADAPTER_CODE.get(backend.app) if backend else None
        if backend is None or adapter is None:
            out[name] = None
            continue
        reads = read_code(backend)
        out[name] = {
            "adapter": _cloc(cloc, f"{name}'s adapter", adapter, ORM_READ_CODE.get(backend.app, ())),
            "data_layer": {"layer": backend.data_layer, **(_cloc(cloc, f"{name}'s reads", reads) if reads else {})},
        }
    return out


# --- connection pools ----------------------------------------------------------------------------


def _flask_pool(pool_size: int, url: str, data_layer: str) -> list[dict]:
    """Flask's one SQLAlchemy pool; with ``DATA_LAYER=sql`` the SQL layer borrows its connections (no second pool)."""
    from finboard.config import flask_config
    from finboard.settings import Settings

    options = flask_config(Settings(DATABASE_URL=url, DB_POOL_SIZE=pool_size, SECRET_KEY="x" * 32))
    engine = options["SQLALCHEMY_ENGINE_OPTIONS"]
    role = "reads (the SQL layer on its psycopg connections) and writes" if data_layer == SQL else "reads and writes"
    return [
        {
            "library": "SQLAlchemy QueuePool (Flask-SQLAlchemy)",
            "role": role,
            "size": engine.get("pool_size"),
            "overflow": engine.get("max_overflow"),
            "timeout_s": engine.get("pool_timeout"),
            "checked_on_checkout": bool(engine.get("pool_pre_ping")),
            "persistent": "pooled: connections stay open between requests",
        }
    ]


def pool_settings(backends: list[str], pool_size: int) -> dict[str, list[dict] | None]:
    """Every pool one worker of each backend holds, as its configuration builds it with DB_POOL_SIZE=pool_size.

    The probe runs with the backend's own registry environment (``DATA_LAYER=sql`` for an ``-sql`` variant,
    Django's settings module), so ``fastapi-sql`` reports SQLAlchemy's pool and its psycopg async pool.
    """
    url = "postgresql+psycopg://bench@127.0.0.1:5432/finboard"  # only read, never connected to
    env = {**os.environ, "DATABASE_URL": url, "DB_POOL_SIZE": str(pool_size), "SECRET_KEY": "x" * 32}
    out: dict[str, list[dict] | None] = {}
    for name, backend in entries(backends).items():
        if backend is not None and backend.app == FLASK_APP:
            out[name] = _flask_pool(pool_size, url, backend.data_layer)
            continue
        probe = POOL_PROBES.get(backend.app) if backend else None
        if backend is None or probe is None:
            out[name] = None
            continue
        done = subprocess.run(
            [sys.executable, "-m", "backends.pool_settings", probe],
            capture_output=True, text=True, env={**env, **backend.env}, cwd=PROJECT_ROOT, timeout=60,
        )  # fmt: skip
        if done.returncode != 0:
            raise SeedTablesError(f"reading {name}'s pool settings failed: {done.stderr.strip()[-300:]}")
        out[name] = json.loads(done.stdout)
    return out


def image_sizes(backends: list[str]) -> dict[str, str | float]:
    """Docker image size (MB) of ``finboard-<name>`` where an engine answers; else why not."""
    if environment.docker_engine() is None:
        return dict.fromkeys(backends, "n/a: no Docker engine (no `docker` answering on this machine)")
    out: dict[str, str | float] = {}
    for name in backends:
        size = environment.docker_image_size_mb(f"finboard-{name}")
        out[name] = size if size is not None else f"n/a: no image finboard-{name} built"
    return out


def collect(backends: list[str], pool_size: int) -> dict:
    """Every table, for the results file's ``seed_tables`` and ``flask bench tables``."""
    return {
        "installed": installed_sizes(backends),
        "lines_of_code": lines_of_code(backends),
        "pools": pool_settings(backends, pool_size),
        "images": image_sizes(backends),
    }
