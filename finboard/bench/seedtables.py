"""The seed comparison's tables that no load test fills: install size, code size, pools, image size.

It exists so the seed's guessed tables become measured ones, each from a
source that can be checked:

* **installed size** of each backend's dependency closure, from the
  installed distributions (``importlib.metadata``): the closure of the
  project's dependencies plus the backend's extra (pyproject.toml), each
  distribution's size the sum of the files its RECORD lists. Measured on
  this machine's one environment rather than a venv per backend: no
  download or build needed, and the closure is the same set pip would put
  in that venv (markers evaluated here);
* **lines of code** per adapter, counted by cloc (Debian's ``cloc``) over
  each adapter's own files — the measured stand-in for the seed's
  "development speed" stars;
* **connection-pool settings**, read from each backend's own configuration
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

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Each backend: the pyproject extras it needs beyond the forum's dependencies (raw and flask need none).
BACKEND_EXTRAS = {"flask": (), "fastapi": ("fastapi",), "django": ("django",), "raw": ()}
# Each adapter's own code (what a developer writes to serve /api/v1 on it), for cloc.
ADAPTER_CODE = {
    "flask": ("finboard/api", "finboard/reads.py"),
    "fastapi": ("backends/fastapi",),
    "django": ("backends/django",),
    "raw": ("backends/raw",),
}
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


def installed_sizes(backends: list[str]) -> dict[str, dict]:
    """Per backend: distributions in its closure, their MB, and the MB its extra adds over the forum's own set."""
    base = closure(_root_requirements(()))
    base_bytes = sum(distribution_bytes(d) for d in base.values())
    out = {}
    for name in backends:
        extras = BACKEND_EXTRAS.get(name)
        if extras is None:
            out[name] = {"distributions": None, "mb": None, "added_mb": None, "note": "not a built-in backend"}
            continue
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


def lines_of_code(backends: list[str]) -> dict[str, dict]:
    """cloc's Python counts (code, comment, blank lines, files) over each adapter's own files."""
    cloc = shutil.which("cloc")
    if cloc is None:
        raise SeedTablesError(f"cloc is not installed: {CLOC_HINT}")
    out = {}
    for name in backends:
        paths = [str(PROJECT_ROOT / p) for p in ADAPTER_CODE.get(name, ())]
        if not paths:
            out[name] = None
            continue
        done = subprocess.run([cloc, "--json", "--quiet", *paths], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise SeedTablesError(f"cloc failed on {name}: {done.stderr.strip()[-300:]}")
        counts = json.loads(done.stdout or "{}").get("SUM", {})
        out[name] = {
            "paths": list(ADAPTER_CODE[name]),
            "files": counts.get("nFiles", 0),
            "code": counts.get("code", 0),
            "comment": counts.get("comment", 0),
            "blank": counts.get("blank", 0),
        }
    return out


# --- connection pools ----------------------------------------------------------------------------


def _flask_pool(pool_size: int, url: str) -> dict:
    from finboard.config import flask_config
    from finboard.settings import Settings

    options = flask_config(Settings(DATABASE_URL=url, DB_POOL_SIZE=pool_size, SECRET_KEY="x" * 32))
    engine = options["SQLALCHEMY_ENGINE_OPTIONS"]
    return {
        "library": "SQLAlchemy QueuePool (Flask-SQLAlchemy; raw's SQL borrows from it)",
        "size": engine.get("pool_size"),
        "overflow": engine.get("max_overflow"),
        "timeout_s": engine.get("pool_timeout"),
        "checked_on_checkout": bool(engine.get("pool_pre_ping")),
        "persistent": "pooled: connections stay open between requests",
    }


def pool_settings(backends: list[str], pool_size: int) -> dict[str, dict | None]:
    """Each backend's pool per worker, as its configuration builds it with DB_POOL_SIZE=pool_size."""
    url = "postgresql+psycopg://bench@127.0.0.1:5432/finboard"  # only read, never connected to
    env = {**os.environ, "DATABASE_URL": url, "DB_POOL_SIZE": str(pool_size), "SECRET_KEY": "x" * 32}
    out: dict[str, dict | None] = {}
    for name in backends:
        if name == "flask":
            out[name] = _flask_pool(pool_size, url)
            continue
        if name not in BACKEND_EXTRAS:
            out[name] = None
            continue
        done = subprocess.run(
            [sys.executable, "-m", "backends.pool_settings", name],
            capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=60,
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
