"""The server-rendered pages as benchmark scenarios (issue 19, item 4), and the /hello yardstick.

It exists so every page type a visitor or a member reads — the index, a
category, a deep page by cursor, a post, search for a common, a mid-frequency
and a rare term, a cashtag page, and a revalidation (If-None-Match → 304) — is
measured the same way as the API, from requests generated deterministically
from the seeded data, each with a logged-in twin (``<name>_member``: one forum
session cookie per wrk connection, logged in through the form), and each
report row divided by the ``hello`` yardstick measured in the same run (a
minimal Flask app under the same gunicorn settings: finboard.bench.hello).

Every page request names the API request that lists the same posts (``api``):
the verifier (finboard.bench.page_check) checks that the page shows those
posts in that order. The deep page is the "Older →" link of the page before
it (``linked_from``), so it is a URL the forum really links, at the depth of
the API's ``deep`` scenario.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace

from finboard.bench.database import DataFacts
from finboard.bench.request_types import LIST_PAGES, REQUESTS_PER_SCENARIO, RNG_SEED, Request, Scenario, query, spread
from finboard.contract.pagination import NUMBERED_ROWS_MAX

API = "/api/v1/posts"
MEMBER_SUFFIX = "_member"
HELLO = "hello"
HELLO_PATH = "/hello"
HELLO_TEXT = "Hello, World!"
PER_PAGE = 20  # the forum's listings (finboard.posts.views.PER_PAGE)
REVALIDATE_POSTS = 20
POPULAR_POSTS = 20  # the posts of page_post_popular
# What every browser sends: a whole-page cache that stores gzip (issue 19) answers it without inflating.
BROWSER = (("Accept-Encoding", "gzip"),)  # post pages among the revalidated URLs (with the index and every category)


def _page(path: str, kind: str, api: str | None, status: int = 200, **more) -> Request:
    return Request("GET", path, "", status, page=kind, api=api, headers=BROWSER, **more)


def index_pages(facts: DataFacts) -> list[Request]:
    """``/`` half of the time, else ``/?page=2…5``: the same pages as the API's ``list`` scenario."""
    pages = max(1, min(LIST_PAGES, math.ceil(facts.post_count / 20)))
    chosen = [1 if n % 2 == 0 or pages == 1 else 2 + (n // 2) % (pages - 1) for n in range(REQUESTS_PER_SCENARIO)]
    random.Random(RNG_SEED + 11).shuffle(chosen)
    return [
        _page(query("/", **({} if p == 1 else {"page": p})), "index", query(API, **({} if p == 1 else {"page": p})))
        for p in chosen
    ]


def category_pages(facts: DataFacts) -> list[Request]:
    slugs = spread(facts.categories, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 12)
    return [_page(f"/c/{slug}", "category", query(API, category=slug)) for slug in slugs]


def deep_pages(facts: DataFacts) -> list[Request]:
    """The index at the depth of the API's ``deep`` scenario, reached as the "Older →" link of the page before."""
    deep = facts.deep
    if deep is None or deep.cursor is None:  # a single page of data: the first page is the deepest
        return [_page("/", "deep", API, first_id=deep.first_id if deep else None)]
    return [_page(query("/", cursor=deep.cursor), "deep", query(API, cursor=deep.cursor), first_id=deep.first_id,
                  linked_from=page_before(deep.page, deep.previous_cursor))]  # fmt: skip


def page_before(page: int, previous_cursor: str | None) -> str | None:
    """The index page whose "Older →" link leads to ``page``: by cursor, or numbered while numbers reach."""
    if previous_cursor:
        return query("/", cursor=previous_cursor)
    if page - 1 <= NUMBERED_ROWS_MAX // PER_PAGE:  # --target: the page before is the deepest numbered one
        return query("/", **({} if page == 2 else {"page": page - 1}))
    return None


def post_pages(facts: DataFacts) -> list[Request]:
    ids = spread(facts.post_ids, min(REQUESTS_PER_SCENARIO, facts.post_count), seed=RNG_SEED + 13)
    return [_page(f"/posts/{i}", "post", f"{API}/{i}") for i in ids]


def popular_post_pages(facts: DataFacts) -> list[Request]:
    """The same ``POPULAR_POSTS`` posts over and over, as a thread everyone is reading is: after its
    first request each is a cached page (``page_post``'s 1,000 posts are mostly built ones)."""
    ids = spread(facts.post_ids, min(POPULAR_POSTS, facts.post_count), seed=RNG_SEED + 18)
    return [_page(f"/posts/{i}", "post", f"{API}/{i}") for i in spread(ids, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 19)]


def _search_pages(band: str) -> Callable[[DataFacts], list[Request]]:
    def generate(facts: DataFacts) -> list[Request]:
        queries = [t.query for t in facts.search_terms.get(band, [])] or ["market"]
        picked = spread(queries, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 14)
        return [_page(query("/search", q=q), "search", query(API, search=q)) for q in picked]

    generate.__name__ = f"page_search_{band}"
    generate.__doc__ = f"/search?q= for the {band} terms of finboard.bench.terms (the API's search_{band})."
    return generate


def cashtag_pages(facts: DataFacts) -> list[Request]:
    tickers = [t for t, _ in facts.tickers] or ["SPY"]
    picked = spread(tickers, REQUESTS_PER_SCENARIO, seed=RNG_SEED + 15)
    return [_page(f"/t/{t}", "cashtag", query(API, cashtag=t)) for t in picked]


def revalidate_pages(facts: DataFacts) -> list[Request]:
    """What a returning reader's browser (or a CDN) asks again: the index, every category, some posts.

    Each goes with ``If-None-Match`` and the page's own ETag, fetched before each
    cell (finboard.bench.page_check.with_etags); success is ``304 Not Modified``.
    """
    urls = [_page("/", "index", API, revalidate=True, status=304)]
    urls += [
        _page(f"/c/{s}", "category", query(API, category=s), revalidate=True, status=304) for s in facts.categories
    ]
    ids = spread(facts.post_ids, min(REVALIDATE_POSTS, facts.post_count), seed=RNG_SEED + 16)
    urls += [_page(f"/posts/{i}", "post", f"{API}/{i}", revalidate=True, status=304) for i in ids]
    # one page of each kind first: the verification's samples are the first few requests
    head = [urls[0], urls[1], urls[-1]]
    return head + spread(urls, REQUESTS_PER_SCENARIO - len(head), seed=RNG_SEED + 17)


def hello_requests(facts: DataFacts) -> list[Request]:
    return [Request("GET", HELLO_PATH, "", 200, page=HELLO, headers=BROWSER)]


def _as_member(generate: Callable[[DataFacts], list[Request]]) -> Callable[[DataFacts], list[Request]]:
    def member(facts: DataFacts) -> list[Request]:
        return [replace(r, session=True) for r in generate(facts)]

    member.__name__ = f"{generate.__name__}{MEMBER_SUFFIX}"
    member.__doc__ = "The same pages, each request with a member's session cookie (one per connection)."
    return member


# name, title, generator, description (visitor; the member twin is derived)
_PAGES = (
    ("page_index", "GET / (HTML, first pages)", index_pages, "the pages of the API's list scenario"),
    ("page_category", "GET /c/{slug} (HTML)", category_pages, "every seeded category"),
    ("page_deep", "GET /?cursor=… (HTML, deep page)", deep_pages, "the Older link at the API deep page's depth"),
    ("page_post", "GET /posts/{id} (HTML)", post_pages, "posts spread over the data"),
    ("page_post_popular", "GET /posts/{id} (HTML), popular posts", popular_post_pages,
     f"the same {POPULAR_POSTS} posts over and over"),  # fmt: skip
    ("page_search_common", "GET /search?q= (HTML), a common term", _search_pages("common"), ""),
    ("page_search_mid", "GET /search?q= (HTML), a mid-frequency term", _search_pages("mid"), ""),
    ("page_search_rare", "GET /search?q= (HTML), a rare term", _search_pages("rare"), ""),
    ("page_cashtag", "GET /t/{TICKER} (HTML)", cashtag_pages, "the most used cashtags"),
    ("page_revalidate", "GET pages with If-None-Match → 304", revalidate_pages, "the index, categories and posts"),
)


def page_scenarios() -> list[Scenario]:
    """Each page scenario (visitor), its member twin, and the /hello yardstick."""
    out = []
    for name, title, generate, description in _PAGES:
        common = dict(pages=True, per_hello=True, revalidate=name == "page_revalidate")
        out.append(Scenario(name, title, generate, description=description, **common))
        out.append(Scenario(name + MEMBER_SUFFIX, title + ", logged in", _as_member(generate), needs_session=True,
                            description=(description + "; " if description else "") + "a member's session cookie",
                            **common))  # fmt: skip
    out.append(Scenario(HELLO, "GET /hello (the yardstick)", hello_requests, yardstick=True,
                        description="a minimal Flask app under the same gunicorn settings"))  # fmt: skip
    return out


def is_member(name: str) -> bool:
    return name.endswith(MEMBER_SUFFIX)


def visitor_of(name: str) -> str:
    return name.removesuffix(MEMBER_SUFFIX)
