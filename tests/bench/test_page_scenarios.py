"""The page scenarios of issue 19: their requests, the member twins, the yardstick, the Lua they become."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from finboard.bench import options as opts
from finboard.bench import page_check
from finboard.bench.page_scenarios import MEMBER_SUFFIX, page_before
from finboard.bench.scenarios import SCENARIOS, write_lua, write_tokens
from finboard.registry import FLASK_ORM, HELLO, WSGI_RAW, get, registered
from tests.bench.test_scenarios import CATEGORIES, facts

VISITOR = ["page_index", "page_category", "page_deep", "page_post", "page_post_popular", "page_search_common",
           "page_search_mid",
           "page_search_rare", "page_cashtag", "page_revalidate"]  # fmt: skip


def params(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def test_every_page_type_has_a_visitor_and_a_member_scenario_divided_by_hello():
    for name in VISITOR:
        visitor, member = SCENARIOS[name], SCENARIOS[name + MEMBER_SUFFIX]
        assert visitor.pages and member.pages and visitor.per_hello and member.per_hello
        assert member.needs_session and not visitor.needs_session and not (visitor.needs_tokens or member.needs_tokens)
        seen, logged_in = visitor.generate(facts()), member.generate(facts())
        assert [r.path for r in seen] == [r.path for r in logged_in]  # the same pages…
        assert not any(r.session for r in seen) and all(r.session for r in logged_in)  # …with a session cookie
        assert all(r.page and r.operation == "" and r.method == "GET" for r in seen), name
        assert all(dict(r.headers) == {"Accept-Encoding": "gzip"} for r in seen)  # as every browser asks
    assert SCENARIOS["hello"].yardstick and not SCENARIOS["hello"].per_hello
    assert [r.path for r in SCENARIOS["hello"].generate(facts())] == ["/hello"]


def test_listing_pages_name_the_api_request_that_lists_the_same_posts():
    index = SCENARIOS["page_index"].generate(facts())
    assert {r.path for r in index} == {"/", "/?page=2", "/?page=3", "/?page=4", "/?page=5"}
    assert sum(r.path == "/" for r in index) == 500  # the first page half the time, as the API's list
    assert all(r.api == "/api/v1/posts" + r.path[1:] for r in index)
    categories = SCENARIOS["page_category"].generate(facts())
    assert {r.path for r in categories} == {f"/c/{c}" for c in CATEGORIES}
    assert all(r.api == f"/api/v1/posts?category={r.path[3:]}" for r in categories)
    cashtags = SCENARIOS["page_cashtag"].generate(facts())
    assert {r.path for r in cashtags} == {"/t/SPY", "/t/BTC", "/t/AAPL"}
    posts = SCENARIOS["page_post"].generate(facts())
    assert len({r.path for r in posts}) == 1000 and all(r.api == "/api/v1" + r.path for r in posts)
    popular = SCENARIOS["page_post_popular"].generate(facts())
    assert len(popular) == len(posts) and len({r.path for r in popular}) == 20  # the same 20, over and over
    assert all(r.api == "/api/v1" + r.path for r in popular)
    for band, terms in (("common", {"hold", "want"}), ("mid", {"12m"}), ("rare", {"19x uup"})):
        pages = SCENARIOS[f"page_search_{band}"].generate(facts())
        assert {params(r.path)["q"] for r in pages} == terms and all(r.path.startswith("/search?") for r in pages)
        assert {params(r.api)["search"] for r in pages} == terms


def test_the_deep_page_is_the_older_link_of_the_page_before_it():
    data = facts()
    data.deep = replace(data.deep, previous_cursor="prev")
    [deep] = SCENARIOS["page_deep"].generate(data)
    assert params(deep.path) == {"cursor": data.deep.cursor} and deep.first_id == 943
    assert deep.linked_from == "/?cursor=prev" and deep.api == f"/api/v1/posts?cursor={data.deep.cursor}"
    assert page_before(2, None) == "/" and page_before(40, None) == "/?page=39"  # --target: a numbered page
    assert page_before(5000, None) is None  # no numbered page reaches it, and no cursor was read


def test_revalidation_asks_for_304_on_the_index_categories_and_posts():
    requests = SCENARIOS["page_revalidate"].generate(facts())
    assert all(r.revalidate and r.status == 304 and r.headers == (("Accept-Encoding", "gzip"),) for r in requests)
    paths = {r.path for r in requests}
    assert "/" in paths and {f"/c/{c}" for c in CATEGORIES} <= paths and len(paths) == 1 + 4 + 20
    assert SCENARIOS["page_revalidate"].revalidate and SCENARIOS["page_revalidate_member"].revalidate


def test_the_yardstick_serves_only_hello_and_nothing_else_serves_it():
    assert get("hello") is HELLO and "hello" not in registered() and "hello" in registered(yardsticks=True)
    assert SCENARIOS["hello"].applies_to(HELLO)
    assert not any(SCENARIOS["hello"].applies_to(b) for b in registered().values())
    assert not any(s.applies_to(HELLO) for n, s in SCENARIOS.items() if n != "hello")
    assert SCENARIOS["page_index"].applies_to(FLASK_ORM) and not SCENARIOS["page_index"].applies_to(WSGI_RAW)
    assert SCENARIOS["list"].applies_to(SimpleNamespace(pages=False))  # an object without the yardstick field
    hello, flask = HELLO.argv("127.0.0.1", 8000, 2), FLASK_ORM.argv("127.0.0.1", 8000, 2)
    assert hello[3] == "finboard.bench.hello:app" and hello[4:] == flask[4:]  # the same gunicorn settings


def test_page_scenarios_bring_the_yardstick_into_the_run():
    with_pages = opts.RunOptions(backends=["flask-orm"], scenarios=["page_index", "list"])
    assert with_pages.backends == ["flask-orm", "hello"] and with_pages.scenarios == ["page_index", "list", "hello"]
    named = opts.RunOptions(backends=["flask", "hello"], scenarios=["page_post"])
    assert named.backends == ["flask", "hello"] and named.scenarios == ["page_post", "hello"]
    assert opts.RunOptions(backends=["fastapi-orm"], scenarios=["page_index"]).backends == ["fastapi-orm"]
    assert opts.RunOptions(backends=["flask-orm"], scenarios=["list", "pages"]).backends == ["flask-orm"]
    assert opts.RunOptions(backends=[], scenarios=["page_index"], target="http://x").backends == []
    both = opts.RunOptions(backends=["flask-orm"], scenarios=["list", "search", "page_index", "page_post_member"])
    # the cache-on pass measures the cached pages (target 8) beside list and detail
    assert both.scenarios_for_cache("on") == ["list", "page_index", "page_post_member", "hello"]


def test_lua_carries_session_cookies_and_extra_headers(tmp_path):
    [request] = SCENARIOS["page_revalidate_member"].generate(facts())[:1]
    request = replace(request, headers=(("If-None-Match", 'W/"abc"'),))
    text = write_lua(tmp_path / "r.lua", [request, *SCENARIOS["page_index"].generate(facts())[:1]], [304]).read_text()
    assert f'"{request.path}", false, "cookie", {{["If-None-Match"] = "W/\\"abc\\""}}}},' in text
    assert ', false, false, {["Accept-Encoding"] = "gzip"}},' in text  # a visitor's page: no auth, as a browser
    assert write_tokens(tmp_path / "s.lua", ["session=a.b"]).read_text() == 'return {\n  "session=a.b",\n}\n'


def test_page_parsing_reads_cards_links_and_who_is_logged_in():
    html = (
        '<span class="user-menu-name">user_&amp;1</span>'
        '<article class="post-card pinned" aria-labelledby="post-12-title"></article>'
        '<article class="post-card" aria-labelledby="post-7-title"></article>'
        '<a rel="first" href="/">← Newest</a><a rel="next" href="/c/x?sort=new&amp;cursor=bi4x">Older →</a>'
    )
    assert page_check.post_ids(html) == [12, 7] and page_check.member_name(html) == "user_&1"
    assert page_check.older_link(html) == "/c/x?sort=new&cursor=bi4x"
    assert page_check.same_url("/c/x?sort=new&cursor=bi4x", "/c/x?cursor=bi4x&sort=new")
    assert not page_check.same_url("/?cursor=a", "/?cursor=b")
    assert page_check.member_name("<p>no menu</p>") is None and page_check.older_link("") is None
