"""What the benchmark requests, as data: one ``Scenario`` per workload.

It exists so that every backend gets exactly the same requests, generated
deterministically from the seeded data (ids, categories, tickers, search terms
and authors spread across all of it), and so wrk, the verifier and the SQL
counter read one definition. ``write_lua`` turns a request list into the Lua
table the wrk script in ``lua/finboard.lua`` loads.

No scenario asks for a deep numbered page: the API refuses numbered pages past
row ``NUMBERED_ROWS_MAX`` (422); depth is the ``deep`` scenario's, by cursor.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from finboard.bench.database import DataFacts
from finboard.bench.page_scenarios import page_scenarios
from finboard.bench.request_types import LIST_PAGES as LIST_PAGES
from finboard.bench.request_types import REQUESTS_PER_SCENARIO as REQUESTS_PER_SCENARIO
from finboard.bench.request_types import RNG_SEED as RNG_SEED
from finboard.bench.request_types import Request as Request
from finboard.bench.request_types import Scenario as Scenario
from finboard.bench.request_types import query as _query
from finboard.bench.request_types import spread as spread
from finboard.core.seeding import DEMO_PASSWORD


def login_requests(facts: DataFacts) -> list[Request]:
    users = spread(facts.usernames, min(REQUESTS_PER_SCENARIO, max(len(facts.usernames), 1)))
    return [
        Request(
            "POST",
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            200,
            json.dumps({"username": u, "password": DEMO_PASSWORD}),
        )
        for u in users
    ]


def list_requests(facts: DataFacts, **order) -> list[Request]:
    """The newest posts (or ``order``, e.g. ``sort="hot"``): page 1 half of the time, else one of pages
    2…LIST_PAGES (where they exist)."""
    pages = max(1, min(LIST_PAGES, math.ceil(facts.post_count / 20)))
    chosen = [1 if n % 2 == 0 or pages == 1 else 2 + (n // 2) % (pages - 1) for n in range(REQUESTS_PER_SCENARIO)]
    random.Random(RNG_SEED + 1).shuffle(chosen)
    return [
        Request("GET", _query("/api/v1/posts", **order, **({} if p == 1 else {"page": p})), "/api/v1/posts", 200)
        for p in chosen
    ]


def hot_requests(facts: DataFacts) -> list[Request]:
    """The "hot" listing (issue 18: at 1M posts at least 0.7x of the newest): the same pages as ``list``."""
    return list_requests(facts, sort="hot")


def top_requests(facts: DataFacts) -> list[Request]:
    """The most reacted-to posts of all time, read off the (reaction_count, created_at, id) index.

    Not a period: the benchmark's data is dated at a fixed anchor (``flask seed --anchor``), so
    "this week" would be empty on any later day and measure nothing."""
    return list_requests(facts, sort="top", period="all")


def list_category_requests(facts: DataFacts) -> list[Request]:
    """The newest posts of one category, spread over every seeded category."""
    slugs = spread(facts.categories, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 7)
    return [Request("GET", _query("/api/v1/posts", category=slug), "/api/v1/posts", 200) for slug in slugs]


def list_cashtag_requests(facts: DataFacts) -> list[Request]:
    """The newest posts on one ticker, spread over the most used cashtags of the seeded data."""
    tickers = [t for t, _ in facts.tickers] or ["SPY"]
    picked = spread(tickers, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 8)
    return [Request("GET", _query("/api/v1/posts", cashtag=t), "/api/v1/posts", 200) for t in picked]


def deep_requests(facts: DataFacts) -> list[Request]:
    """Page 5,000 of 20 (or the deepest page there is), by the cursor of the row before it."""
    deep = facts.deep
    if deep is None or deep.cursor is None:
        return [Request("GET", "/api/v1/posts", "/api/v1/posts", 200, first_id=deep.first_id if deep else None)]
    path = _query("/api/v1/posts", cursor=deep.cursor)
    return [Request("GET", path, "/api/v1/posts", 200, first_id=deep.first_id)]


def _band_search(band: str) -> Callable[[DataFacts], list[Request]]:
    def generate(facts: DataFacts) -> list[Request]:
        queries = [t.query for t in facts.search_terms.get(band, [])] or ["market"]
        picked = spread(queries, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 9)
        return [Request("GET", _query("/api/v1/posts", search=q), "/api/v1/posts", 200) for q in picked]

    generate.__name__ = f"search_{band}_requests"
    generate.__doc__ = f"Full-text search for the {band} terms picked from the data (finboard.bench.terms)."
    return generate


def detail_requests(facts: DataFacts) -> list[Request]:
    ids = spread(facts.post_ids, min(REQUESTS_PER_SCENARIO, facts.post_count), seed=RNG_SEED + 2)
    return [Request("GET", f"/api/v1/posts/{i}", "/api/v1/posts/{post_id}", 200) for i in ids]


_WORD = re.compile(r"[A-Za-z]{5,}")
_SORTS = ("new", "comments", "old")


def search_requests(facts: DataFacts) -> list[Request]:
    """Full-text search for a word of a post's title, narrowed by its category or re-sorted."""
    requests = []
    for n, (title, category, _author) in enumerate(spread(facts.posts, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 3)):
        words = _WORD.findall(title) or ["market"]
        term = words[n % len(words)].lower()
        params = {"search": term, "sort": _SORTS[n % 3]}
        if n % 2 == 0:
            params["category"] = category
        requests.append(Request("GET", _query("/api/v1/posts", **params), "/api/v1/posts", 200))
    return requests


def joins_requests(facts: DataFacts) -> list[Request]:
    """Listings filtered by category and author: every item embeds its author and category."""
    pairs = spread(facts.posts, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 4)
    return [Request("GET", _query("/api/v1/posts", category=c, author=a), "/api/v1/posts", 200) for _t, c, a in pairs]


def aggregate_requests(facts: DataFacts) -> list[Request]:
    return [Request("GET", "/api/v1/stats/categories", "/api/v1/stats/categories", 200)]


def create_requests(facts: DataFacts) -> list[Request]:
    tickers = ["AAPL", "MSFT", "NVDA", "BTC", "ETH", "SPY", "KO", "TLT"]
    requests = []
    for n in range(100):
        category = facts.categories[n % len(facts.categories)]
        body = {
            "title": f"Benchmark note {n + 1}: ${tickers[n % len(tickers)]} into the close",
            "body": f"Load-test post {n + 1}. Watching ${tickers[(n + 3) % len(tickers)]} and rates.\n\n- one\n- two",
            "category": category,
        }
        requests.append(Request("POST", "/api/v1/posts", "/api/v1/posts", 201, json.dumps(body), auth=True))
    return requests


def pages_requests(facts: DataFacts) -> list[Request]:
    ids = spread(facts.post_ids, min(REQUESTS_PER_SCENARIO // 2, facts.post_count), seed=RNG_SEED + 5)
    requests = []
    for i in ids:
        requests.append(Request("GET", "/", "", 200))
        requests.append(Request("GET", f"/posts/{i}", "", 200))
    return requests


def mixed_requests(facts: DataFacts) -> list[Request]:
    """A browsing mix drawn by each scenario's ``mix_weight`` (90% reads, 10% writes)."""
    parts = [(s, s.generate(facts)) for s in SCENARIOS.values() if s.mix_weight]
    weights = [s.mix_weight for s, _ in parts]
    rng = random.Random(RNG_SEED + 6)
    cursors = [0] * len(parts)
    requests = []
    for _ in range(REQUESTS_PER_SCENARIO):
        k = rng.choices(range(len(parts)), weights)[0]
        items = parts[k][1]
        requests.append(items[cursors[k] % len(items)])
        cursors[k] += 1
    return requests


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "login", "POST /api/v1/auth/login", login_requests, description="argon2id check + JWT", posts_to_api=True
        ),
        Scenario("list", "GET /api/v1/posts (first pages)", list_requests, mix_weight=40),
        Scenario("list_hot", "GET /api/v1/posts?sort=hot (first pages)", hot_requests),
        Scenario("list_top", "GET /api/v1/posts?sort=top&period=all (first pages)", top_requests),
        Scenario("list_category", "GET /api/v1/posts?category=…", list_category_requests),
        Scenario("list_cashtag", "GET /api/v1/posts?cashtag=…", list_cashtag_requests),
        Scenario(
            "deep",
            "GET /api/v1/posts?cursor=… (deep page)",
            deep_requests,
            description="page 5,000 of 20 by cursor, or the deepest page the data has",
        ),
        Scenario("detail", "GET /api/v1/posts/{id}", detail_requests, mix_weight=35),
        Scenario("search", "GET /api/v1/posts?search=…", search_requests, mix_weight=15),
        Scenario("search_common", "search, a common term", _band_search("common")),
        Scenario("search_mid", "search, a mid-frequency term", _band_search("mid")),
        Scenario("search_rare", "search, a rare term", _band_search("rare")),
        Scenario(
            "create",
            "POST /api/v1/posts",
            create_requests,
            writes=True,
            needs_tokens=True,
            mix_weight=10,
            posts_to_api=True,
        ),
        Scenario("joins", "GET /api/v1/posts?category=…&author=…", joins_requests),
        Scenario("aggregate", "GET /api/v1/stats/categories", aggregate_requests),
        Scenario("mixed", "90% reads / 10% writes", mixed_requests, writes=True, needs_tokens=True, posts_to_api=True),
        Scenario("pages", "GET / and /posts/{id} (HTML)", pages_requests, pages=True),
        *page_scenarios(),
    )
}


def parse_names(text: str) -> list[str]:
    """``"list,detail"`` or ``"all"`` → scenario names; ValueError naming the unknown ones."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)} or all")
    return list(dict.fromkeys(names))


# --- the Lua side -------------------------------------------------------------


def lua_string(text: str) -> str:
    """A Lua string literal for any text (bytes outside printable ASCII as \\ddd)."""
    out = []
    for byte in text.encode():
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def write_lua(path: Path, requests: Sequence[Request], expected: Sequence[int]) -> Path:
    """The request list as ``return {expected = {...}, requests = {{method, path, body|false, auth, headers}, ...}}``.

    ``auth`` is ``true`` (a bearer token), ``"cookie"`` (a forum session cookie) or ``false``;
    ``headers`` (If-None-Match…) is a table, present only when the request has some.
    """
    lines = ["return {", f"  expected = {{{', '.join(str(s) for s in expected)}}},", "  requests = {"]
    for r in requests:
        body = lua_string(r.body) if r.body is not None else "false"
        auth = '"cookie"' if r.session else "true" if r.auth else "false"
        extra = ""
        if r.headers:
            extra = ", {" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in r.headers) + "}"
        lines.append(f"    {{{lua_string(r.method)}, {lua_string(r.path)}, {body}, {auth}{extra}}},")
    lines += ["  },", "}", ""]
    path.write_text("\n".join(lines))
    return path


def write_tokens(path: Path, tokens: Sequence[str]) -> Path:
    path.write_text("return {\n" + "".join(f"  {lua_string(t)},\n" for t in tokens) + "}\n")
    return path
