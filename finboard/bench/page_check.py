"""Check a server-rendered page before timing it, and fetch the ETags the revalidation scenario sends.

It exists because a fast wrong page is not a result, as for the API
(finboard.bench.verify): a listing page must show the posts the API lists for
the same request, in the same order; the deep page must be where the page
before it links ("Older →") and start with the post the data says; a post page
must carry its post's title; a member's page must be logged in as that member
and a visitor's logged out; ``/hello`` must say hello. Revalidation is measured
only where the server sends an ETag: without one the cells say so instead of
timing 200s as if they were 304s.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

from finboard.bench.client import Client, Response, Session
from finboard.bench.page_scenarios import HELLO, HELLO_TEXT
from finboard.bench.request_types import Request

_CARD = re.compile(r'<article class="post-card[^"]*" aria-labelledby="post-(\d+)-title"')
_OLDER = re.compile(r'<a rel="next" href="([^"]+)">Older')
_MEMBER = re.compile(r'<span class="user-menu-name">([^<]*)</span>')
_TITLE = re.compile(r'<h1 id="post-title">(.*?)</h1>', re.S)
LISTINGS = ("index", "category", "deep", "search", "cashtag")


class NoEtag(RuntimeError):
    """The server sent no ETag for a page of the revalidation scenario: there is nothing to revalidate."""


def post_ids(text: str) -> list[int]:
    """The ids of the post cards of a listing page, in page order."""
    return [int(i) for i in _CARD.findall(text)]


def older_link(text: str) -> str | None:
    """The "Older →" link of a listing page (its href, unescaped), or None."""
    found = _OLDER.search(text)
    return html.unescape(found.group(1)) if found else None


def member_name(text: str) -> str | None:
    """The username in the page's user menu: who the page is logged in as (None: a visitor's page)."""
    found = _MEMBER.search(text)
    return html.unescape(found.group(1)) if found else None


def same_url(a: str, b: str) -> bool:
    """The same path and query parameters (in any order, whatever the escaping)."""
    x, y = urlsplit(a), urlsplit(b)
    return x.path == y.path and sorted(parse_qsl(x.query)) == sorted(parse_qsl(y.query))


def _get(client: Client, path: str, session: Session | None, accept: str = "text/html", extra=()) -> Response:
    headers = {"Accept": accept, **dict(extra)}
    if session is not None:
        headers["Cookie"] = session.cookie
    return client.exchange("GET", path, None, headers)


def check_page(client: Client, request: Request, response: Response, session: Session | None) -> list[str]:
    """What is wrong with ``response`` to the page ``request`` (empty: nothing); may fetch the API and links."""
    if "text/html" not in response.content_type:
        return [f"content type {response.content_type!r}, expected text/html"]
    text = response.text
    if request.page == HELLO:
        return [] if text == HELLO_TEXT else [f"answered {text[:80]!r}, expected {HELLO_TEXT!r}"]
    problems = []
    who = member_name(text)
    if request.session and (session is None or who != session.username):
        expected = session.username if session else "a member (no session cookie was obtained)"
        problems.append(f"the page is logged in as {who!r}, expected {expected}")
    if not request.session and who is not None:
        problems.append(f"a visitor's page is logged in as {who!r}")
    if request.page in LISTINGS:
        problems += _check_listing(client, request, text, session)
    elif request.page == "post" and request.api:
        problems += _check_post(client, request, text)
    return problems


def _check_listing(client: Client, request: Request, text: str, session: Session | None) -> list[str]:
    ids = post_ids(text)
    problems = [] if ids else ["the page lists no post (the scenarios ask only for pages with posts)"]
    if request.api:
        api = _get(client, request.api, None, "application/json")
        expected = [item["id"] for item in api.json().get("items", [])] if api.status == 200 else None
        if expected is None:
            problems.append(f"the API's {request.api} answered {api.status}")
        elif ids != expected:
            problems.append(f"the page lists posts {ids[:5]}… ({len(ids)}), the API's {request.api} lists "
                            f"{expected[:5]}… ({len(expected)})")  # fmt: skip
    if request.first_id is not None and (ids[:1] != [request.first_id]):
        problems.append(f"the page starts with post {ids[:1] or None}, expected post {request.first_id}")
    if request.linked_from is not None:
        before = _get(client, request.linked_from, session if request.session else None)
        link = older_link(before.text) if before.status == 200 else None
        if link is None:
            problems.append(f"the page before ({request.linked_from}, {before.status}) has no Older link")
        elif not same_url(link, request.path):
            followed = _get(client, link, session if request.session else None)
            if post_ids(followed.text) != ids:
                problems.append(f"the Older link of {request.linked_from} is {link}, which shows other posts")
    return problems


def _check_post(client: Client, request: Request, text: str) -> list[str]:
    api = _get(client, request.api, None, "application/json")
    if api.status != 200:
        return [f"the API's {request.api} answered {api.status}"]
    found = _TITLE.search(text)
    shown = html.unescape(found.group(1)).strip() if found else None
    title = api.json().get("title")
    return [] if shown == title else [f"the post page's title is {shown!r:.80}, the API's is {title!r:.80}"]


def etag_of(client: Client, request: Request, session: Session | None) -> str:
    """The ETag of the page ``request`` asks for, with its own headers (a gzip representation has an ETag of
    its own); NoEtag when it has none or does not answer 200."""
    response = _get(client, request.path, session, extra=request.headers)
    etag = response.headers.get("etag")
    if response.status != 200 or not etag:
        why = f"answered {response.status}" if response.status != 200 else "sent no ETag"
        raise NoEtag(f"GET {request.path} {why}: nothing to revalidate, so no 304 is timed "
                     "(a server without the whole-page cache of issue 19, or with it off, sends none)")  # fmt: skip
    return etag.split("\n")[0]


def with_etags(base_url: str, requests: list[Request], session: Session | None) -> tuple[list[Request], str]:
    """The revalidation requests, each with ``If-None-Match`` and its page's ETag as the server sends it now,
    and a note naming the pages left out because they sent none ("" when none was); NoEtag when no page
    sent one.

    Fetched right before each cell (after the cache is emptied): an ETag that a
    write or an emptied cache changed would otherwise turn every 304 into a 200.
    A page the server does not cache (no ETag) cannot be revalidated: it is left
    out and named, rather than timed as 200s.
    """
    etags: dict[tuple, str | None] = {}
    first: NoEtag | None = None
    with Client(base_url) as client:
        for r in requests:
            if (r.path, r.headers) not in etags:
                try:
                    etags[r.path, r.headers] = etag_of(client, r, session if r.session else None)
                except NoEtag as exc:
                    etags[r.path, r.headers], first = None, first or exc
    kept = [replace(r, headers=(*r.headers, ("If-None-Match", etags[r.path, r.headers])))
            for r in requests if etags[r.path, r.headers]]  # fmt: skip
    if not kept:
        raise NoEtag(f"none of the {len(etags)} pages sent an ETag, e.g. {first}")
    missing = [path for (path, _), etag in etags.items() if etag is None]
    if not missing:
        return kept, ""
    shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
    pages = len(etags)
    return kept, f"revalidated {pages - len(missing)} of {pages} pages; {len(missing)} sent no ETag ({shown})"


def check_revalidation(client: Client, request: Request, session: Session | None) -> tuple[list[str], str | None]:
    """Problems with a revalidation request (a 200 or a body where a 304 was due), and a note when there is
    no ETag to revalidate (not a failure: the cells are skipped and say why)."""
    plain = replace(request, status=200, revalidate=False)
    first = client.send(plain, cookie=session.cookie if session else None)
    if first.status != 200:
        return [f"status {first.status}, expected 200 before revalidating"], None
    problems = check_page(client, plain, first, session)
    etag = first.headers.get("etag")
    if not etag:
        return problems, f"{request.path} sent no ETag"
    again = client.send(replace(request, headers=(*request.headers, ("If-None-Match", etag))),
                        cookie=session.cookie if session else None)  # fmt: skip
    if again.status != 304:
        problems.append(f"If-None-Match: {etag} answered {again.status}, expected 304")
    elif again.body:
        problems.append(f"a 304 with a body of {len(again.body)} bytes")
    return problems, None
