"""The shapes of what the benchmark sends: one ``Request``, one ``Scenario``, and how lists are spread.

They live apart from the scenario catalogue (finboard.bench.scenarios for the
API, finboard.bench.page_scenarios for the server-rendered pages) so both
catalogues build on the same types without importing each other.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from finboard.bench.database import DataFacts

REQUESTS_PER_SCENARIO = 1000
LIST_PAGES = 5  # "list page 1": the first page, half the time, else one of the next few (all shallow)
RNG_SEED = 1729


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    operation: str  # the OpenAPI path template ("" for the HTML pages)
    status: int  # the one status that counts as success
    body: str | None = None
    auth: bool = False  # sends "Authorization: Bearer <token of this connection>"
    first_id: int | None = None  # the verifier checks a post page starts with this post (the deep page)
    # --- the server-rendered pages (finboard.bench.page_scenarios, checked by finboard.bench.page_check) ---
    session: bool = False  # sends "Cookie: <forum session of this connection>" (a member logged in by the form)
    page: str = ""  # the kind of page, for its content check: index, category, deep, post, search, cashtag, hello
    api: str | None = None  # the API request listing the same posts in the same order (the post page: its title)
    linked_from: str | None = None  # a page whose "Older" link must be exactly this request (the deep page)
    revalidate: bool = False  # sent with If-None-Match: the page's own ETag, fetched before each cell
    headers: tuple[tuple[str, str], ...] = ()  # extra headers (If-None-Match, filled in before the cell)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path} {self.body or ''}".strip()


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str  # the row label in reports, e.g. "GET /api/v1/posts"
    generate: Callable[[DataFacts], list[Request]]
    writes: bool = False  # adds rows: the runner resets the data after it
    needs_tokens: bool = False
    pages: bool = False  # server-rendered HTML: only backends with Backend.pages
    mix_weight: int = 0  # share of the "mixed" browsing workload
    description: str = ""
    posts_to_api: bool = False  # sends POSTs (login, writes): not for read-only references such as raw
    needs_session: bool = False  # a member's forum session cookie per connection (logged in through the form)
    yardstick: bool = False  # the /hello yardstick: only for yardstick backends, which serve nothing else
    per_hello: bool = False  # a page scenario whose report row is divided by the /hello yardstick's req/s
    revalidate: bool = False  # If-None-Match → 304: its requests carry the ETags fetched before each cell

    def applies_to(self, backend) -> bool:
        if bool(getattr(backend, "yardstick", False)) != self.yardstick:
            return False
        if self.posts_to_api and getattr(backend, "read_only", False):
            return False
        return bool(getattr(backend, "pages", False)) or not self.pages

    def expected_statuses(self, requests: Sequence[Request]) -> list[int]:
        return sorted({r.status for r in requests})


def spread(items: Sequence, count: int, seed: int = RNG_SEED) -> list:
    """``count`` items taken evenly across ``items`` (cycling when short), in a shuffled order."""
    if not items:
        return []
    n = len(items)
    picked = [items[math.floor(i * n / count) % n] for i in range(count)] if count <= n else list(items)
    while len(picked) < count:
        picked += list(items)[: count - len(picked)]
    random.Random(seed).shuffle(picked)
    return picked


def query(path: str, **params) -> str:
    return f"{path}?{urlencode(params)}" if params else path
