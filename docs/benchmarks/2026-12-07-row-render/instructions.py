"""Instructions per page render, before and after the row renders (issue 19, item 2), by callgrind.

The pages used to parse the API's cached JSON into pydantic models and work every card out in
Jinja; they now read their own row documents and precomputed cards. This counts what one page
request costs the app's process — Flask, the read, the templates; not PostgreSQL — at two trees
on the same data, with callgrind (the count does not depend on what the machine's neighbours
do, unlike CPU time).

One valgrind process per (tree, cache mode, round), started with ``--instr-atstart=no``: it
builds the tree's app (``create_app``; ``DATA_LAYER`` as given), serves every URL twice
uninstrumented (warm: imports, pools, Jinja, and in ``cached`` mode the read cache), switches
the count on (``callgrind_control -i on``), and for each page type serves its URLs and dumps
(``callgrind_control -d``, one file per page type). A dump with no requests in it is the cost
of asking for a dump; it is subtracted. The warm heap is frozen first (``gc.freeze``), so a full
collection that happens to land in one page type's dump does not count the whole heap there.
Cache modes:

- ``cached``: the in-process read cache (no ``REDIS_URL``, ``LOCAL_CACHE=1``), warm — a page-cache miss whose read
  is a cache hit, what a member's page costs (the old path parsed the cached JSON, the new one
  loads its cached rows);
- ``uncached``: ``CACHE_ENABLED=0`` — every read reaches PostgreSQL and its rows are built too.

The URLs: the newest listing, a category, its second page, the five posts with most comments
(50 comments a page), a search and a cashtag page, on the seed named by ``--url``.

Usage (from the repository root, with the old tree extracted beside it)::

    git archive eae0f29 | tar -x -C /tmp/rowrender-base
    python docs/benchmarks/2026-12-07-row-render/instructions.py \\
        --url postgresql+psycopg://root@127.0.0.1:5432/finboard_rowrender_cg \\
        --tree before=/tmp/rowrender-base --tree after=. --rounds 3
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = ("cached", "uncached")
REPEAT = 3  # each URL of a page type is served this many times per dump


def serve(tree: str, urls: dict[str, list[str]]) -> None:
    """Inside valgrind: warm the app of ``tree`` on every URL, then count each page type's URLs."""
    sys.path.insert(0, tree)
    from finboard.app import create_app

    client = create_app({"TESTING": True}).test_client()
    for _ in range(2):
        for group in urls.values():
            for url in group:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
    gc.collect()
    gc.freeze()  # the warm heap out of the collector's way: a full collection landing in one dump is noise
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-d", "empty", pid], check=True, capture_output=True)
    for name, group in urls.items():
        for _ in range(REPEAT):
            for url in group:
                client.get(url)
        subprocess.run(["callgrind_control", "-d", name, pid], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)


def measure(tree: str, mode: str, urls: dict, database_url: str, layer: str) -> dict[str, float]:
    """Instructions per request of each page type on ``tree``'s app, in one valgrind process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "instructions-" + "x" * 40,
            "CACHE_ENABLED": "1" if mode == "cached" else "0",
            "LOCAL_CACHE": "1",  # without it and without REDIS_URL every read is uncached
            "REDIS_URL": "",
            "DATA_LAYER": layer,
            "PYTHONPATH": tree,
            "FINBOARD_URLS": json.dumps(urls),
        }
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--serve", tree],
            env=env, cwd=tree, check=True, capture_output=True,
        )  # fmt: skip
        totals = {}
        for part in glob.glob(f"{out}*"):
            text = Path(part).read_text()
            trigger = re.search(r"^desc: Trigger: dump (\S+)", text, re.MULTILINE)
            if trigger:
                totals[trigger.group(1)] = int(re.search(r"^totals: (\d+)", text, re.MULTILINE).group(1))
    empty = totals.pop("empty")
    return {name: (totals[name] - empty) / (REPEAT * len(urls[name])) for name in urls}


def page_urls(database_url: str) -> dict[str, list[str]]:
    import psycopg

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        busiest = [row[0] for row in conn.execute(
            "SELECT id FROM posts WHERE hidden_at IS NULL ORDER BY comment_count DESC, id LIMIT 5"
        )]  # fmt: skip
        ticker = conn.execute("SELECT ticker FROM cashtag_counters ORDER BY post_count DESC LIMIT 1").fetchone()[0]
    return {
        "index": ["/"],
        "category": ["/c/stocks", "/c/stocks?page=2"],
        "post": [f"/posts/{ident}" for ident in busiest],
        "search": ["/search?q=earnings"],
        "cashtag": [f"/t/{ticker}"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="the seeded PostgreSQL database (SQLAlchemy URL)")
    parser.add_argument("--tree", action="append", default=[], help="LABEL=PATH of a checkout (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layer", default="orm", choices=("orm", "sql"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, json.loads(os.environ["FINBOARD_URLS"]))
        return
    urls = page_urls(args.url)
    trees = dict(t.split("=", 1) for t in args.tree)
    samples = {mode: {label: {name: [] for name in urls} for label in trees} for mode in MODES}
    for round_no in range(args.rounds):
        order = list(trees.items()) if round_no % 2 == 0 else list(reversed(trees.items()))  # A-B, B-A, …
        for mode in MODES:
            for label, path in order:
                counted = measure(str(Path(path).resolve()), mode, urls, args.url, args.layer)
                for name, ir in counted.items():
                    samples[mode][label][name].append(ir)
                print(f"round {round_no + 1} {mode:<8} {label:<7}", {k: f"{v:,.0f}" for k, v in counted.items()})
    (args.out / f"instructions-{args.layer}.json").write_text(json.dumps({"urls": urls, "samples": samples}, indent=1))
    labels = list(trees)
    for mode in MODES:
        print(f"\n{mode} ({args.layer}): instructions per request, median (min–max) of {args.rounds} rounds\n")
        print(f"| page | {' | '.join(labels)} | {labels[-1]} ÷ {labels[0]} |")
        print("|---|" + "---|" * (len(labels) + 1))
        for name in urls:
            runs = [samples[mode][label][name] for label in labels]
            medians = [statistics.median(r) for r in runs]
            cells = [f"{m:,.0f} ({min(r):,.0f}–{max(r):,.0f})" for m, r in zip(medians, runs, strict=True)]
            print(f"| {name} | {' | '.join(cells)} | {medians[-1] / medians[0]:.3f} |")


if __name__ == "__main__":
    main()
