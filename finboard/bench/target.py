"""``--target``: benchmarking a deployment that is already running, from the outside.

It exists because a deployment can't be seeded, restarted or sampled from
here: the scenarios are generated from what its own API shows, the
server-rendered pages only run if it serves them, and what can't be measured
from outside (RSS, CPU, SQL, startup) is written as null, never invented.
Posts the write scenarios add can't be undone either: they are counted.
"""

from __future__ import annotations

from contextlib import suppress

from finboard.bench.client import Client
from finboard.bench.scenarios import Request

TARGET = "target"  # the one backend label of a --target run


def facts_from_api(base_url: str, pages: int = 20):
    """DataFacts for ``--target``: what a deployment's own API shows (ids, authors, categories, tickers).

    Only shallow numbered pages are read (the API refuses them past row NUMBERED_ROWS_MAX); the deep page
    is the one after the deepest numbered page, by that page's own ``next_cursor``. Search terms are
    estimated from the titles read (no database access from outside).
    """
    from finboard.bench.database import DEEP_PAGE, DEEP_PER_PAGE, DataFacts, DeepPage
    from finboard.bench.scenarios import spread
    from finboard.bench.terms import pick_from_sample
    from finboard.contract.pagination import NUMBERED_ROWS_MAX

    def get(path: str):
        with Client(base_url) as client:
            response = client.send(Request("GET", path, "", 200))
        if response.status != 200:
            raise RuntimeError(f"GET {path} on the target answered {response.status}")
        return response.json()

    categories = [c["slug"] for c in get("/api/v1/categories")["items"]]
    first = get("/api/v1/posts?per_page=100")
    items = list(first["items"])
    shallow = min(first["pages"], NUMBERED_ROWS_MAX // 100)
    for page in spread(range(2, shallow + 1), min(pages, max(shallow - 1, 0))):
        items += get(f"/api/v1/posts?per_page=100&page={page}")["items"]
    items.sort(key=lambda p: p["id"])
    if not items:
        raise RuntimeError("the target has no posts to benchmark")
    total = first["total"]
    tickers: dict[str, int] = {}
    for post in items:
        for ticker in post.get("cashtags") or []:
            tickers[ticker] = tickers.get(ticker, 0) + 1
    deepest = max(1, min(DEEP_PAGE - 1, -(-total // DEEP_PER_PAGE) - 1, NUMBERED_ROWS_MAX // DEEP_PER_PAGE))
    before = get(f"/api/v1/posts?per_page={DEEP_PER_PAGE}&page={deepest}")
    cursor = before.get("next_cursor")
    deep_first = get(f"/api/v1/posts?cursor={cursor}")["items"][0]["id"] if cursor else None
    deep = DeepPage(
        DEEP_PAGE, deepest + 1 if cursor else deepest, DEEP_PER_PAGE, deepest * DEEP_PER_PAGE - 1, cursor, deep_first
    )
    return DataFacts(
        post_ids=[p["id"] for p in items],
        usernames=sorted({p["author"]["username"] for p in items}),
        categories=categories,
        posts=[(p["title"], p["category"]["slug"], p["author"]["username"]) for p in items],
        max_ids={"posts": max(p["id"] for p in items)},
        total_posts=total,
        tickers=sorted(tickers.items(), key=lambda kv: (-kv[1], kv[0]))[:8],
        search_terms=pick_from_sample([p["title"] + " " + p["body"] for p in items], total),
        deep=deep,
    )


def post_total(base_url: str) -> int | None:
    try:
        with Client(base_url) as client:
            response = client.send(Request("GET", "/api/v1/posts?per_page=1", "", 200))
        return response.json()["total"] if response.status == 200 else None
    except (OSError, ValueError, KeyError):
        return None


def serves_pages(base_url: str) -> bool:
    """Whether the deployment answers ``/`` with HTML (the forum pages)."""
    with suppress(OSError), Client(base_url) as client:
        page = client.send(Request("GET", "/", "", 200))
        return page.status == 200 and "text/html" in page.content_type
    return False


def blank_server_figures(entry: dict, posts_before: int | None, base_url: str) -> None:
    """What can't be measured from outside is null; writes are counted as rows added."""
    entry["rss_mb"] = {"idle": None, "load": None, "peak": None}
    entry["cpu_pct"] = {"avg": None, "peak": None}
    entry["postgres_cpu_pct"] = {"avg": None, "peak": None}
    entry["pss_mb"] = {"idle": None, "load": None, "peak": None}
    entry["uss_mb"] = {"idle": None, "load": None, "peak": None}
    entry["cpu_s"] = {"server": None, "postgres": None}
    entry["cpu_us_per_request"] = entry["postgres_cpu_us_per_request"] = None
    entry["startup_s"] = None
    entry["sql_per_request"] = None
    if posts_before is not None:
        after = post_total(base_url)
        entry["rows_added"] = after - posts_before if after is not None else None
