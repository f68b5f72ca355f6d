"""Running wrk with the shipped Lua script, and reading what its done() wrote.

It exists so the figures come from the JSON document the script writes —
never from wrk's text output — and so "wrk is not installed" is one clear
message instead of a traceback. ``parse_result`` is pure (tests feed it a
recorded document).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
SCRIPT = LUA_DIR / "finboard.lua"
INSTALL_HINT = "install it with `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)"
PERCENTILES = ("p50", "p75", "p90", "p99", "p99.9")
ERROR_KINDS = ("status", "connect", "read", "write", "timeout")


class WrkError(RuntimeError):
    """wrk is missing, failed, or wrote no result."""


def find_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkError(f"wrk is not installed (not found on PATH): {INSTALL_HINT}")
    return path


def wrk_version(path: str | None = None) -> str | None:
    try:
        out = subprocess.run([path or find_wrk(), "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, WrkError, subprocess.TimeoutExpired):
        return None
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else None


@dataclass
class WrkRun:
    """One wrk invocation: its command, the parsed result and its stderr tail."""

    argv: list[str]
    result: dict | None
    stderr: str
    returncode: int | None


def parse_result(document: dict, expected: Sequence[int] | None = None) -> dict:
    """The done() JSON as benchmark figures (durations in seconds, latencies in ms).

    Success means the expected status; every other status is an error of kind
    "status" (a 302 to a login page is not a served request). Throughput is
    successes over the measured duration, not the nominal one.
    """
    expected_set = {int(s) for s in (expected if expected is not None else document.get("expected") or [200])}
    statuses = {str(k): int(v) for k, v in (document.get("statuses") or {}).items()}
    successes = sum(n for code, n in statuses.items() if int(code) in expected_set)
    wrong_status = sum(n for code, n in statuses.items() if int(code) not in expected_set)
    raw_errors = document.get("errors") or {}
    errors = {
        "status": wrong_status,
        "connect": int(raw_errors.get("connect", 0)),
        "read": int(raw_errors.get("read", 0)),
        "write": int(raw_errors.get("write", 0)),
        "timeout": int(raw_errors.get("timeout", 0)),
    }
    duration_s = float(document["duration_us"]) / 1e6
    latency = document.get("latency_us") or {}
    percentiles = latency.get("percentiles") or {}

    def ms(value) -> float | None:
        return None if value is None else round(float(value) / 1000, 3)

    requests = int(document.get("requests", 0))
    # An empty histogram reports zeros: with no response there is no latency to report.
    latency_ms = {f"p{key}": ms(percentiles.get(key)) if requests else None for key in ("50", "75", "90", "99", "99.9")}
    latency_ms["max"] = ms(latency.get("max")) if requests else None
    latency_ms["mean"] = ms(latency.get("mean")) if requests else None
    attempted = requests + errors["connect"] + errors["timeout"] + errors["write"] + errors["read"]
    error_total = sum(errors.values())
    return {
        "duration_s": round(duration_s, 3),
        "requests": requests,
        "successes": successes,
        "errors": errors,
        "error_rate": round(error_total / attempted, 5) if attempted else 0.0,
        "rps": round(successes / duration_s, 2) if duration_s > 0 else 0.0,
        "latency_ms": latency_ms,
        "bytes": int(document.get("bytes", 0)),
        "statuses": statuses,
        "expected_statuses": sorted(expected_set),
        "threads": document.get("threads"),
    }


def run_wrk(
    url: str,
    *,
    requests_file: Path,
    out_file: Path,
    connections: int,
    threads: int,
    duration_s: int,
    timeout_s: int,
    tokens_file: Path | None = None,
    on_start: Callable[[subprocess.Popen], None] | None = None,
    poll: Callable[[], None] | None = None,
    script: Path = SCRIPT,
    extra_env: dict[str, str] | None = None,
    parse: Callable[[dict], dict] = parse_result,
) -> WrkRun:
    """Run wrk to completion (``poll`` is called ~5×/s meanwhile) and parse its done() document.

    ``script``, ``extra_env`` and ``parse`` let the open-loop runner (openloop.py) use the paced script.
    """
    binary = find_wrk()
    threads = max(1, min(threads, connections))
    argv = [
        binary,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration_s}s",
        f"--timeout={timeout_s}s",
        "--latency",
        f"--script={script}",
        url,
    ]
    env = {
        **os.environ,
        "FINBOARD_WRK_REQUESTS": str(requests_file),
        "FINBOARD_WRK_TOKENS": str(tokens_file or ""),
        "FINBOARD_WRK_THREADS": str(threads),
        "FINBOARD_WRK_CONNECTIONS": str(connections),
        "FINBOARD_WRK_OUT": str(out_file),
        "FINBOARD_WRK_LUA_DIR": str(LUA_DIR),
        **(extra_env or {}),
    }
    out_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        if on_start:
            on_start(process)
        deadline = time.monotonic() + duration_s + timeout_s + 30
        while process.poll() is None:
            if poll:
                poll()
            if time.monotonic() > deadline:
                raise WrkError(f"wrk did not finish within {duration_s + timeout_s + 30}s")
            time.sleep(0.2)
        stderr = process.stderr.read() if process.stderr else ""
    finally:
        stop(process)
    if process.returncode != 0 or not out_file.exists():
        raise WrkError(f"wrk exited with {process.returncode} and wrote no result: {stderr.strip()[-800:]}")
    try:
        document = json.loads(out_file.read_text())
    except ValueError as exc:
        raise WrkError(f"wrk's result file is not JSON: {exc}") from exc
    return WrkRun(argv=argv, result=parse(document), stderr=stderr[-2000:], returncode=process.returncode)


def stop(process: subprocess.Popen) -> None:
    """End a wrk we started (its own process group), politely then firmly."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 3), (signal.SIGKILL, 3)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
