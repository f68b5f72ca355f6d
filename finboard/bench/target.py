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


def facts_from_api(base_url: str, pages: int = 20):
    """DataFacts for ``--target``: what a deployment's own API shows (ids, authors, categories)."""
    from finboard.bench.database import DataFacts
    from finboard.bench.scenarios import spread

    def get(path: str):
        with Client(base_url) as client:
            response = client.send(Request("GET", path, "", 200))
        if response.status != 200:
            raise RuntimeError(f"GET {path} on the target answered {response.status}")
        return response.json()

    categories = [c["slug"] for c in get("/api/v1/categories")["items"]]
    first = get("/api/v1/posts?per_page=100")
    items = list(first["items"])
    for page in spread(range(2, first["pages"] + 1), min(pages, max(first["pages"] - 1, 0))):
        items += get(f"/api/v1/posts?per_page=100&page={page}")["items"]
    items.sort(key=lambda p: p["id"])
    if not items:
        raise RuntimeError("the target has no posts to benchmark")
    return DataFacts(
        post_ids=[p["id"] for p in items],
        usernames=sorted({p["author"]["username"] for p in items}),
        categories=categories,
        posts=[(p["title"], p["category"]["slug"], p["author"]["username"]) for p in items],
        max_ids={"posts": max(p["id"] for p in items)},
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
    entry["startup_s"] = None
    entry["sql_per_request"] = None
    if posts_before is not None:
        after = post_total(base_url)
        entry["rows_added"] = after - posts_before if after is not None else None
