"""Instructions per request of the Flask app at two commits, counted by callgrind.

The wrk run beside this file measures throughput and CPU time, which a busy machine blurs
(its rerun on 2026-12-07 04:02, with eight helpers building beside it, had CIs as wide as
0.24–2.19). Callgrind counts the instructions the app's process executes, which do not
depend on what the neighbours do, so a 3% change shows as 3%.

Each measurement is one process under ``valgrind --tool=callgrind --instr-atstart=no``:
it builds the app of the tree it is pointed at (``create_app``, ``CACHE_ENABLED=0``,
``DATA_LAYER=sql`` — the old commit has no such setting and always read through the SQL
layer on PostgreSQL),
serves every request of the scenario twice through Werkzeug's test client uninstrumented
(warm: imports, pools, plans, Jinja), then switches instrumentation on for itself
(``callgrind_control -i on``), serves the scenario's requests once more and exits. The
count is the process's instructions over those requests — the app, Werkzeug, psycopg's
client side; not PostgreSQL — divided by their number. The requests are ``flask bench``'s
own (``finboard.bench.scenarios``) on a 10,000-post seed, written to ``urls.json`` once.

Usage (from the repository root, with a worktree of the old commit)::

    git worktree add /tmp/base1323 1323c70
    python docs/benchmarks/2026-12-07-layers/instructions.py \\
        --url postgresql+psycopg://root@127.0.0.1:5432/finboard_cg \\
        --tree before=/tmp/base1323 --tree after=. --rounds 3 --out docs/benchmarks/2026-12-07-layers
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
from pathlib import Path

SCENARIOS = ("list", "detail", "pages")


def serve(tree: str, urls: list[str], counted: int) -> None:
    """Inside valgrind: warm the app of ``tree`` on ``urls``, then count ``counted`` more requests."""
    sys.path.insert(0, tree)
    from finboard.app import create_app

    client = create_app().test_client()
    for _ in range(2):
        for url in urls:
            assert client.get(url).status_code == 200, url
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    for url in urls[:counted]:
        client.get(url)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)


def count(tree: str, scenario: str, counted: int, database_url: str) -> int:
    """Instructions of ``counted`` requests of ``scenario`` on ``tree``'s app (one valgrind process),
    plus the constant cost of switching the count on and off (measured with ``counted=0``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "instructions-" + "x" * 40,
               "CACHE_ENABLED": "0", "REDIS_URL": "", "DATA_LAYER": "sql", "PYTHONPATH": tree}
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--serve", tree, "--scenario", scenario, "--counted", str(counted)],
            env=env, cwd=tree, check=True, capture_output=True,
        )
        return int(re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="the seeded PostgreSQL database (SQLAlchemy URL)")
    parser.add_argument("--tree", action="append", default=[], help="LABEL=PATH of a checkout (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--counted", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    urls_file = Path(__file__).with_name("urls.json")
    if args.serve:
        serve(args.serve, json.loads(urls_file.read_text())[args.scenario], args.counted)
        return
    if not urls_file.exists():
        sys.path.insert(0, ".")
        from finboard.bench.database import read_facts
        from finboard.bench.scenarios import SCENARIOS as DEFINED

        facts = read_facts(args.url)
        urls = {name: [r.path for r in DEFINED[name].generate(facts) if r.method == "GET"][:100] for name in SCENARIOS}
        urls_file.write_text(json.dumps(urls, indent=1))
    urls = json.loads(urls_file.read_text())
    trees = dict(t.split("=", 1) for t in args.tree)
    samples: dict[str, dict[str, list[float]]] = {label: {s: [] for s in SCENARIOS} for label in trees}
    switching = {label: count(str(Path(path).resolve()), "detail", 0, args.url) for label, path in trees.items()}
    print(f"switching the count on and off: {switching} instructions", flush=True)
    for round_no in range(args.rounds):
        order = list(trees.items()) if round_no % 2 == 0 else list(reversed(trees.items()))  # A-B, B-A, …
        for scenario in SCENARIOS:
            for label, path in order:
                counted = count(str(Path(path).resolve()), scenario, len(urls[scenario]), args.url)
                ir = (counted - switching[label]) / len(urls[scenario])
                samples[label][scenario].append(ir)
                print(f"round {round_no + 1} {scenario:<7} {label:<8} {ir:,.0f} instructions/request", flush=True)
    (args.out / "instructions.json").write_text(json.dumps(samples, indent=1))
    labels = list(trees)
    print(f"\n| scenario | {' | '.join(labels)} | {labels[-1]} ÷ {labels[0]} |")
    print("|---|" + "---|" * (len(labels) + 1))
    for scenario in SCENARIOS:
        medians = [statistics.median(samples[label][scenario]) for label in labels]
        spread = [f"{m:,.0f} ({min(samples[lbl][scenario]):,.0f}–{max(samples[lbl][scenario]):,.0f})"
                  for m, lbl in zip(medians, labels, strict=True)]
        print(f"| {scenario} | {' | '.join(spread)} | {medians[-1] / medians[0]:.3f} |")


if __name__ == "__main__":
    main()
