"""Measure issue 19's side-by-side: every page on FlaskBB and on FinBoard (cached, uncached), in rounds.

Why it is built this way:

- **Verified pages.** targets.py checks each page once, in full, before anything is measured, and
  the wrk script checks every answer for the status and one of those strings; a cell with a
  single wrong answer is reported as such (``bad``), never silently averaged in.
- **Drained queues.** Sync workers keep serving what wrk left in the listen queue after it stops
  (with 32 connections on a page that takes 100 ms, seconds of work), which otherwise bleeds into
  the next cell. After each cell we wait until the server's processes have used < 3% of a core
  for two 0.25 s windows in a row and then answer a probe promptly (< 1 s).
- **Alternation.** Each round runs every cell once, in an order rotated (and reversed on odd
  rounds) from the round before, so slow drift of the machine spreads over all boards.
  Medians and min–max over the rounds; ratios are taken within a round, then summarised.

Run by run.sh (which starts the servers and writes servers.json); writes results.json and
table.md into the output directory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import render_table, summarise  # noqa: E402 - this folder is not a package
from targets import BOARDS, PageError, Target, finboard_targets, flaskbb_targets, prepare_flaskbb_search, verify  # noqa: E402

HELLO = ("hello-finboard", "hello-flaskbb")
IDLE_SHARE = 0.03  # of one core, per 0.25 s window
WRK_SCRIPT = """
local marker = %s
bad = 0
local threads = {}
%s
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, marker, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("BAD_RESPONSES %%d\\n", total))
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_request(target: Target) -> str:
    if target.method == "GET":
        return ""
    lines = [f"wrk.method = {lua_string(target.method)}", f"wrk.body = {lua_string(target.body or '')}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in target.headers.items()]
    return "\n".join(lines)


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def _percentile(out: str, n: int) -> float | None:
    """A line of wrk's latency distribution (not a "…50%" in the Stdev column); None if absent."""
    line = re.search(rf"^\s*{n}%\s+([\d.]+(?:us|ms|s|m|h))\s*$", out, re.MULTILINE)
    return _seconds(line.group(1)) if line else None


def run_wrk(url: str, target: Target, duration: int, connections: int, threads: int) -> dict:
    """One wrk run; its req/s, latency percentiles, errors and the answers that were not the page."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (lua_string(target.marker), wrk_request(target)))
    try:
        argv = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            script.name,
            url + target.path,
        ]
        run = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 90)
    finally:
        os.unlink(script.name)
    out = run.stdout
    if "Requests/sec:" not in out:
        raise RuntimeError(f"wrk failed ({' '.join(argv)}): {out[-500:]} {run.stderr[-500:]}")
    found = lambda pattern: re.search(pattern, out, re.MULTILINE)  # noqa: E731
    errors = found(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    non2xx = found(r"Non-2xx or 3xx responses: (\d+)")
    bad = found(r"BAD_RESPONSES (\d+)")
    cell = {
        "rps": float(found(r"Requests/sec:\s+([\d.]+)").group(1)),
        "requests": int(found(r"(\d+) requests in").group(1)),
        "p50_s": _percentile(out, 50),
        "p99_s": _percentile(out, 99),
        "socket_errors": [int(n) for n in errors.groups()] if errors else [0, 0, 0, 0],
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "bad": int(bad.group(1)) if bad else None,
        "wrk_output": out,
    }
    cell["valid"] = cell["bad"] == 0 and cell["non_2xx"] == 0 and sum(cell["socket_errors"]) == 0
    return cell


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def drain(server: dict, probe: str, timeout: float = 120) -> float:
    """Wait until the server is idle (its queue served) and answers a probe promptly; the seconds it took."""
    master = psutil.Process(int(Path(server["pidfile"]).read_text().strip()))
    procs = [master, *master.children(recursive=True)]
    started = time.monotonic()
    quiet, before = 0, _cpu(procs)
    while time.monotonic() - started < timeout:
        time.sleep(0.25)
        now = _cpu(procs)
        quiet = quiet + 1 if now - before < 0.25 * IDLE_SHARE else 0
        before = now
        if quiet >= 2:
            asked = time.monotonic()
            try:
                with urllib.request.urlopen(server["url"] + probe, timeout=5) as response:  # noqa: S310 - local
                    response.read()
                if time.monotonic() - asked < 1.0:
                    return round(time.monotonic() - started, 2)
            except OSError:
                pass
            quiet, before = 0, _cpu(procs)
    raise RuntimeError(f"{server['url']} did not go idle within {timeout:.0f} s")


def cell_order(cells: list, round_no: int, rounds: int) -> list:
    shift = round_no * len(cells) // rounds
    order = cells[shift:] + cells[:shift]
    return order[::-1] if round_no % 2 else order


def build_targets(args, servers: dict) -> dict[tuple[str, str], Target]:
    finboard = finboard_targets(args.finboard_db, args.search_term)
    flaskbb = flaskbb_targets(args.flaskbb_db, finboard)
    targets: dict[tuple[str, str], Target] = {}
    for target in flaskbb:
        if target.page == "search":
            prepare_flaskbb_search(servers["flaskbb"]["url"], target)
        verify(servers["flaskbb"]["url"], target, args.flaskbb_db)
        targets[(target.page, "flaskbb")] = target
    for board in ("finboard-cached", "finboard-uncached"):
        for base in finboard:
            target = Target(base.page, board, base.path, list(base.markers), facts=dict(base.facts))
            verify(servers[board]["url"], target, args.finboard_db)
            targets[(target.page, board)] = target
    for name in HELLO:
        targets[("hello", name)] = Target("hello", name, "/hello", ["Hello, World!"], marker="Hello, World!")
        verify(servers[name]["url"], targets[("hello", name)], args.finboard_db)
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", required=True, help="servers.json: name -> {url, pidfile}")
    parser.add_argument("--finboard-db", required=True)
    parser.add_argument("--flaskbb-db", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--meta", type=Path, help="a JSON file of facts about the run (versions), copied in")
    parser.add_argument("--search-term", default="safety")
    parser.add_argument("--duration", type=int, default=8, help="seconds per cell (wrk takes whole seconds)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--verify-only", action="store_true", help="check every page, measure nothing")
    args = parser.parse_args()
    servers = json.loads(Path(args.servers).read_text())
    try:
        targets = build_targets(args, servers)
    except PageError as exc:
        print(f"measure: a page is wrong, nothing measured: {exc}", file=sys.stderr)
        return 1
    for target in targets.values():
        print(f"verified {target.board:18} {target.page:22} {target.method} {target.path}")
    if args.verify_only:
        return 0

    cells = [
        (page, board) for page in dict.fromkeys(t.page for t in targets.values()) if page != "hello" for board in BOARDS
    ] + [("hello", name) for name in HELLO]
    results, started = [], time.time()
    passes = [("warmup", args.warmup)] + [(n, args.duration) for n in range(args.rounds)]
    for round_no, duration in passes:
        order = cells if round_no == "warmup" else cell_order(cells, round_no, args.rounds)
        for page, board in order:
            target, server = targets[(page, board)], servers[board]
            load = os.getloadavg()[0]
            cell = run_wrk(server["url"], target, duration, args.connections, args.threads)
            cell.update(
                round=round_no,
                page=page,
                board=board,
                loadavg_before=round(load, 2),
                drain_s=drain(server, "/hello" if page == "hello" else "/"),
            )
            p50 = f"{cell['p50_s'] * 1000:7.1f} ms" if cell["p50_s"] is not None else "      ? ms"
            print(
                f"round {round_no}: {board:18} {page:22} {cell['rps']:8.1f} req/s  p50 {p50}"
                f"  bad {cell['bad']}  drain {cell['drain_s']} s",
                flush=True,
            )
            if round_no != "warmup":
                results.append(cell)

    summary = summarise(results, args.rounds)
    meta = json.loads(args.meta.read_text()) if args.meta else {}
    meta.update(
        duration_s=args.duration,
        warmup_s=args.warmup,
        rounds=args.rounds,
        connections=args.connections,
        wrk_threads=args.threads,
        search_term=args.search_term,
        measured_s=round(time.time() - started),
        cpu_count=os.cpu_count(),
    )
    document = {"meta": meta, "targets": [t.as_dict() for t in targets.values()], "cells": results, "summary": summary}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    (args.out / "table.md").write_text(render_table(summary, meta, targets))
    invalid = [c for c in results if not c["valid"]]
    print(f"wrote {args.out / 'results.json'} and table.md; {len(invalid)} invalid cells")
    print(statistics.median([c["drain_s"] for c in results]), "s median drain")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
