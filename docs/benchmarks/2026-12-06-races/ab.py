"""Before/after on one database, interleaved: req/s and server CPU per request, with CIs.

Why this shape: on a shared 2-core machine req/s drifts between minutes, so the
two versions are measured alternately path by path in every round, the order
swapped each round (A-B, B-A, ...), and every figure is a per-round paired
ratio after / before: drift hits both sides of a ratio alike. CPU microseconds
per request (user + system of the gunicorn process tree, from /proc, over the
wrk window, divided by wrk's completed requests) moves far less than req/s
when a neighbour steals cycles. Medians with 95 % bootstrap CIs
(``finboard.bench.stats.bootstrap_median``, seeded).

Usage (a migrated, seeded PostgreSQL database both versions can read):
    python ab.py BEFORE_CHECKOUT AFTER_CHECKOUT postgresql://root@127.0.0.1/DB [ROUNDS] [SECONDS]
Prints a Markdown table and writes ab.json beside this script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from finboard.bench.stats import bootstrap_median

PATHS = ["/api/v1/posts", "/api/v1/posts?category=stocks", "/api/v1/posts/5", "/", "/posts/5", "/c/stocks"]
PORTS = {"before": 8101, "after": 8102}
LOGS = Path(tempfile.gettempdir())


def start(checkout: str, port: int, db: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "SECRET_KEY": "ab-secret-0123456789abcdef0123456789abcdef",
        "FINBOARD_ENV": "production",
        "CACHE_ENABLED": "0",
        "DATABASE_URL": db,
        "REDIS_URL": "",
    }
    argv = [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "backends/server_conf.py"]
    argv += ["--workers", "2", "--bind", f"127.0.0.1:{port}"]
    log = LOGS.joinpath(f"ab-{port}.log").open("w")  # lives as long as the server
    return subprocess.Popen(argv, cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT)


def tree_cpu(pid: int) -> float:
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def wrk(url: str, seconds: int) -> int:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url}: non-2xx answers\n{out}")
    return int(re.search(r"(\d+) requests in", out).group(1))


def main() -> None:
    before, after, db = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    servers = {"before": start(before, PORTS["before"], db), "after": start(after, PORTS["after"], db)}
    try:
        for name, port in PORTS.items():
            for _ in range(100):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/posts", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise SystemExit(f"{name} did not start: see {LOGS}/ab-{port}.log")
            for path in PATHS:  # warm both, and check both serve every path
                wrk(f"http://127.0.0.1:{port}{path}", 1)
        samples: dict = {p: {"before": {}, "after": {}} for p in PATHS}
        for r in range(rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for path in PATHS:
                for name in order:
                    pid = servers[name].pid
                    cpu0 = tree_cpu(pid)
                    done = wrk(f"http://127.0.0.1:{PORTS[name]}{path}", seconds)
                    cpu = tree_cpu(pid) - cpu0
                    samples[path][name][r] = {"rps": done / seconds, "cpu_us": cpu / done * 1e6}
            print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    finally:
        for proc in servers.values():
            proc.terminate()
            proc.wait(10)
    rows, out = [], {}
    for path in PATHS:
        s = samples[path]
        keys = sorted(set(s["before"]) & set(s["after"]))
        rps = bootstrap_median(s["after"][k]["rps"] / s["before"][k]["rps"] for k in keys)
        cpu = bootstrap_median(s["after"][k]["cpu_us"] / s["before"][k]["cpu_us"] for k in keys)
        b_cpu = bootstrap_median(s["before"][k]["cpu_us"] for k in keys)
        a_cpu = bootstrap_median(s["after"][k]["cpu_us"] for k in keys)
        rows.append(
            f"| `{path}` | {b_cpu.format(0)} | {a_cpu.format(0)} | {cpu.format(3)} | {rps.format(3)} |"
        )
        out[path] = {"samples": s, "cpu_ratio": [cpu.value, *cpu.ci], "rps_ratio": [rps.value, *rps.ci]}
    print("| path | CPU µs/req before | CPU µs/req after | CPU after ÷ before | req/s after ÷ before |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    Path(__file__).with_name("ab.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
