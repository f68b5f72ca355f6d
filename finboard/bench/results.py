"""The results file: one versioned JSON document per run (see docs/bench-results.md).

It exists because people script against the file: its shape is defined here
once — ``result_entry`` lists every field of a result — and written
atomically, so a crash or a full disk never leaves half a document behind.
"""

from __future__ import annotations

import errno
import json
import os
import statistics
import tempfile
from pathlib import Path

from finboard.bench import READABLE_VERSIONS, SCHEMA_VERSION
from finboard.bench.ceilings import ceiling_of

ERROR_KINDS = ("status", "connect", "read", "write", "timeout")
LATENCY_KEYS = ("p50", "p75", "p90", "p99", "p99.9", "max")
ERROR_MARK_THRESHOLD = 0.01  # a cell with more than 1 % errors is marked everywhere
OK = "ok"
RAW = "wsgi-raw"  # the WSGI ceiling; each backend's own ceiling is finboard.bench.ceilings.ceiling_of


class ResultsError(RuntimeError):
    """The results file can't be written or read; the message says why."""


def new_run(command: str, environment: dict, settings: dict) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "environment": environment,
        "command": command,
        "settings": settings,
        "started_at": None,
        "finished_at": None,
        "complete": False,
        "notes": [],
        "backends": {},
        "rounds": [],
        "results": [],
        "sql": [],
        "targets": [],
        "open_loop": [],  # --rate cells (finboard.bench.openloop.result_entry)
    }


def result_entry(
    *,
    backend: str,
    scenario: str,
    concurrency: int,
    repeat: int,
    cache: str,
    data_size: int | None = None,
    status: str = OK,
    reason: str | None = None,
    figures: dict | None = None,
    resources: dict | None = None,
    rss_idle: float | None = None,
    memory_idle: dict | None = None,
    startup_s: float | None = None,
    sql: dict | None = None,
) -> dict:
    """One backend × scenario × concurrency × repeat (× cache mode). Figures are None when not measured."""
    figures = figures or {}
    resources = resources or {}
    errors = figures.get("errors") or dict.fromkeys(ERROR_KINDS, None)
    latency = figures.get("latency_ms") or dict.fromkeys(LATENCY_KEYS, None)
    error_rate = figures.get("error_rate")
    idle = memory_idle or {}
    successes = figures.get("successes")
    server_s, postgres_s = resources.get("server_cpu_s"), resources.get("postgres_cpu_s")
    return {
        "backend": backend,
        "scenario": scenario,
        "concurrency": concurrency,
        "repeat": repeat,
        "cache": cache,
        "data_size": data_size,
        "status": status,
        "reason": reason,
        "duration_s": figures.get("duration_s"),
        "requests": figures.get("requests"),
        "successes": figures.get("successes"),
        "errors": {kind: errors.get(kind) for kind in ERROR_KINDS},
        "error_rate": error_rate,
        "errors_over_1pct": bool(error_rate is not None and error_rate > ERROR_MARK_THRESHOLD),
        "rps": figures.get("rps"),
        "rps_ci95": None,  # the cell's, over all its rounds: filled in at the end of the run (precision.annotate)
        "x_raw": None,  # filled in at the end of the run (with_x_raw)
        "cpu_s": {"server": server_s, "postgres": postgres_s},
        "cpu_us_per_request": per_request_us(server_s, successes),
        "cpu_us_per_request_ci95": None,  # the cell's, like rps_ci95
        "postgres_cpu_us_per_request": per_request_us(postgres_s, successes),
        "latency_ms": {key: latency.get(key) for key in LATENCY_KEYS},
        "statuses": figures.get("statuses"),
        "rss_mb": {"idle": rss_idle, "load": resources.get("rss_load"), "peak": resources.get("rss_peak")},
        "pss_mb": {"idle": idle.get("pss"), "load": resources.get("pss_load"), "peak": resources.get("pss_peak")},
        "uss_mb": {"idle": idle.get("uss"), "load": resources.get("uss_load"), "peak": resources.get("uss_peak")},
        "cpu_pct": resources.get("cpu") or {"avg": None, "peak": None},
        "wrk_cpu_pct": resources.get("wrk_cpu") or {"avg": None, "peak": None},
        "postgres_cpu_pct": resources.get("postgres_cpu") or {"avg": None, "peak": None},
        "other_cpu_pct": resources.get("other_cpu") or {"avg": None, "peak": None},
        "startup_s": startup_s,
        "sql_per_request": (sql or {}).get("per_request"),
        "sql_method": (sql or {}).get("method"),
        "sql_unit": (sql or {}).get("unit"),
        "rows_per_request": (sql or {}).get("rows_per_request"),
        "bytes": figures.get("bytes"),
    }


def per_request_us(cpu_seconds: float | None, successes: int | None) -> float | None:
    """CPU microseconds per successful request (None when either is unknown or nothing succeeded)."""
    if cpu_seconds is None or not successes:
        return None
    return round(cpu_seconds * 1e6 / successes, 1)


def with_x_raw(entries: list[dict], reference: str | None = None) -> list[dict]:
    """Each measured entry's rps ÷ its ceiling's median rps in the same size, scenario, cache and concurrency.

    The ceiling is each label's own (``finboard.bench.ceilings``: ``wsgi-raw`` for WSGI backends, ``asgi-raw``
    for ASGI ones, under the same server and revision); ``reference`` names one backend for every entry instead.
    """
    medians: dict[tuple, list[float]] = {}
    for e in entries:
        if e.get("status") == OK and e.get("rps") is not None:
            medians.setdefault(
                (e["backend"], e.get("data_size"), e["scenario"], e["cache"], e["concurrency"]), []
            ).append(e["rps"])
    ceilings = {b: reference or ceiling_of(b) for b in {e["backend"] for e in entries}}
    for e in entries:
        values = medians.get((ceilings[e["backend"]], e.get("data_size"), e["scenario"], e["cache"], e["concurrency"]))
        median = statistics.median(values) if values else None
        ok = e.get("status") == OK and e.get("rps") is not None
        e["x_raw"] = round(e["rps"] / median, 3) if ok and median else None
    return entries


# Files recorded before the data-layer matrix (issue 14) call the ceiling "raw": the same
# program, read under its registered name so it stays the reference. Other names stay as
# recorded: a file's "flask" was not necessarily today's flask-orm.
LEGACY_NAMES = {"raw": RAW}


def _current_name(name):
    if not isinstance(name, str):
        return name
    base, sep, copy = name.partition("~")  # an A/A copy: NAME~aa
    return LEGACY_NAMES.get(base, base) + sep + copy


def _rename_legacy_backends(run: dict) -> None:
    for key in ("results", "sql", "targets", "cells"):
        for item in run.get(key) or []:
            if isinstance(item, dict) and "backend" in item:
                item["backend"] = _current_name(item["backend"])
    if isinstance(run.get("backends"), dict):
        run["backends"] = {_current_name(name): info for name, info in run["backends"].items()}
        for info in run["backends"].values():
            if isinstance(info, dict) and isinstance(info.get("verification"), dict):
                verification = info["verification"]
                verification["compared_with"] = _current_name(verification.get("compared_with"))
    settings = run.get("settings") or {}
    if isinstance(settings.get("backends"), list):
        settings["backends"] = [_current_name(name) for name in settings["backends"]]
    if isinstance(run.get("aa"), dict):
        run["aa"] = {key: _current_name(value) for key, value in run["aa"].items()}


def upgrade(run: dict) -> dict:
    """An older file read as the current version: version 1 as one round at its size, then version 2 → 3.

    Backend names of any version are read as today's (``LEGACY_NAMES``).
    """
    _rename_legacy_backends(run)
    if run.get("schema_version") == 1:
        _upgrade_v1(run)
    if run.get("schema_version") in (1, 2):
        _upgrade_v2(run)
    elif "cells" not in run:  # a version 3 file written mid-run (a crash): the summaries come at the end
        from finboard.bench import precision

        precision.annotate(run)
    return run


def _upgrade_v2(run: dict) -> None:
    """Version 2 had no CPU per request, PSS/USS or CIs: those read as null, the CIs are computed from the repeats."""
    from finboard.bench import precision

    for entry in run.get("results", []):
        entry.setdefault("cpu_s", {"server": None, "postgres": None})
        entry.setdefault("cpu_us_per_request", None)
        entry.setdefault("postgres_cpu_us_per_request", None)
        entry.setdefault("pss_mb", {"idle": None, "load": None, "peak": None})
        entry.setdefault("uss_mb", {"idle": None, "load": None, "peak": None})
    precision.annotate(run)
    run.setdefault("upgraded_from", run.get("schema_version"))


def _upgrade_v1(run: dict) -> None:
    size = (run.get("settings") or {}).get("data_size")
    settings = run.setdefault("settings", {})
    settings["data_size"] = [size] if isinstance(size, int) else size
    settings.setdefault("sizes", settings["data_size"])
    for entry in run.get("results", []):
        entry.setdefault("data_size", size)
    for record in run.get("sql") or []:
        record.setdefault("data_size", size)
    run.setdefault(
        "rounds", [{"data_size": size, "posts": settings.get("posts"), "users": settings.get("users")}] if size else []
    )
    with_x_raw(run.get("results", []))
    run["upgraded_from"] = 1


def write_run(run: dict, path: Path) -> Path:
    """Write atomically (temp file + rename); a full disk becomes a clear ResultsError."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".run-", suffix=".json", dir=path.parent)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # a results file, not a secret: the usual permissions
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(run, out, indent=1, sort_keys=False)
                out.write("\n")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise ResultsError(write_problem(exc, path)) from exc
    return path


def write_problem(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return (
            f"the disk is full: could not write {path}. Free some space (or pass --out on another disk) and run again."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to write {path} ({exc.strerror}); choose another --out directory."
    return f"could not write {path}: {exc}"


def load_run(path: Path) -> dict:
    try:
        run = json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise ResultsError(f"{path}: no such file") from exc
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path} is not a readable results file: {exc}") from exc
    if not isinstance(run, dict) or "results" not in run:
        raise ResultsError(f"{path} is not a FinBoard benchmark results file (no 'results')")
    version = run.get("schema_version")
    if version not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ResultsError(f"{path} has schema_version {version!r}; this FinBoard reads versions {readable}")
    return upgrade(run)
