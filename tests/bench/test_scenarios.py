"""Scenario request lists: deterministic, spread across the data, and readable by the Lua script."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from finboard.bench.database import DataFacts, DeepPage
from finboard.bench.scenarios import SCENARIOS, lua_string, parse_names, spread, write_lua
from finboard.bench.terms import Term
from finboard.contract.pagination import NUMBERED_ROWS_MAX, Cursor
from finboard.core.seeding import DEMO_PASSWORD

CATEGORIES = ["stocks", "crypto", "dividends", "options"]
CURSOR = "bi4xNzYyMDA2Njk3MDAwMDAwLjI3MjI"  # Cursor.after("new", …, 2722).encode()
TERMS = {
    "common": [Term("common", "hold", 500, 0.25, True), Term("common", "want", 480, 0.24, True)],
    "mid": [Term("mid", "12m", 6, 0.003, True)],
    "rare": [Term("rare", "19x uup", 1, 0.0005, True)],
}


def facts(posts: int = 2000) -> DataFacts:
    users = [f"user_{i}" for i in range(1, 101)]
    rows = [(f"Is $AAPL still a buy after earnings {i}?", CATEGORIES[i % 4], users[i % 100]) for i in range(posts)]
    return DataFacts(
        post_ids=list(range(1, posts + 1)),
        usernames=users,
        categories=CATEGORIES,
        posts=rows,
        max_ids={"posts": posts, "comments": 0, "users": 100},
        tickers=[("SPY", 400), ("BTC", 300), ("AAPL", 200)],
        search_terms=TERMS,
        deep=DeepPage(5000, 100, 20, 1979, CURSOR, 943),
    )


def params(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}


def test_requests_are_deterministic():
    for scenario in SCENARIOS.values():
        assert scenario.generate(facts()) == scenario.generate(facts()), scenario.name


def test_list_is_the_first_page_half_the_time_and_detail_ids_are_spread_across_the_data():
    pages = [int(params(r).get("page", 1)) for r in SCENARIOS["list"].generate(facts())]
    assert set(pages) == {1, 2, 3, 4, 5}
    assert pages.count(1) == 500 and len(pages) == 1000
    assert SCENARIOS["list"].generate(facts())[0].path in ("/api/v1/posts", "/api/v1/posts?page=2")
    assert {int(params(r).get("page", 1)) for r in SCENARIOS["list"].generate(facts(10))} == {1}  # one page only
    ids = [int(r.path.rsplit("/", 1)[1]) for r in SCENARIOS["detail"].generate(facts())]
    assert min(ids) <= 5 and max(ids) >= 1995 and len(set(ids)) == len(ids)
    assert ids[:10] != sorted(ids[:10])  # shuffled, not a sequential scan


def test_no_scenario_asks_for_a_deep_numbered_page():
    big = facts()
    big.total_posts = 500_000  # post_ids are a sample of them
    for scenario in SCENARIOS.values():
        for request in scenario.generate(big):
            if request.operation == "/api/v1/posts" and request.method == "GET":
                query = params(request)
                rows = (int(query.get("page", 1)) - 1) * int(query.get("per_page", 20))
                assert rows < NUMBERED_ROWS_MAX, (scenario.name, request.path)


def test_listing_by_category_and_by_cashtag_spread_over_the_seeded_ones():
    categories = [params(r)["category"] for r in SCENARIOS["list_category"].generate(facts())]
    assert set(categories) == set(CATEGORIES) and categories.count("stocks") == 250
    tickers = [params(r)["cashtag"] for r in SCENARIOS["list_cashtag"].generate(facts())]
    assert set(tickers) == {"SPY", "BTC", "AAPL"}


def test_deep_page_is_read_by_cursor_and_checked_by_its_first_post():
    [request] = SCENARIOS["deep"].generate(facts())
    assert params(request) == {"cursor": CURSOR}
    assert request.first_id == 943
    assert Cursor.decode(params(request)["cursor"]).id == 2722
    one_page = facts(10)
    one_page.deep = DeepPage(5000, 1, 20, None, None, 10)
    [first] = SCENARIOS["deep"].generate(one_page)
    assert first.path == "/api/v1/posts" and first.first_id == 10


def test_search_bands_use_the_picked_terms():
    assert {params(r)["search"] for r in SCENARIOS["search_common"].generate(facts())} == {"hold", "want"}
    assert {params(r)["search"] for r in SCENARIOS["search_mid"].generate(facts())} == {"12m"}
    assert {params(r)["search"] for r in SCENARIOS["search_rare"].generate(facts())} == {"19x uup"}
    assert all(not s.posts_to_api for s in map(SCENARIOS.get, ("list_category", "list_cashtag", "deep", "search_rare")))


def test_search_joins_login_and_create_requests():
    search = SCENARIOS["search"].generate(facts())
    assert all("search=" in r.path for r in search)
    assert any("category=" in r.path for r in search) and any("sort=comments" in r.path for r in search)
    joins = SCENARIOS["joins"].generate(facts())
    assert all("category=" in r.path and "author=" in r.path for r in joins)
    login = SCENARIOS["login"].generate(facts())
    assert {json.loads(r.body)["password"] for r in login} == {DEMO_PASSWORD}
    assert len({json.loads(r.body)["username"] for r in login}) == 100
    create = SCENARIOS["create"].generate(facts())
    assert all(r.auth and r.status == 201 and json.loads(r.body)["category"] in CATEGORIES for r in create)


def test_mixed_is_ninety_percent_reads():
    mixed = SCENARIOS["mixed"].generate(facts())
    writes = sum(r.method == "POST" for r in mixed) / len(mixed)
    assert writes == pytest.approx(0.10, abs=0.03)
    assert SCENARIOS["mixed"].expected_statuses(mixed) == [200, 201]


def test_pages_only_for_backends_that_serve_them():
    class WithPages:
        pages = True

    class ApiOnly:
        pages = False

    assert SCENARIOS["pages"].applies_to(WithPages()) and not SCENARIOS["pages"].applies_to(ApiOnly())
    assert SCENARIOS["list"].applies_to(ApiOnly())


def test_spread_cycles_when_short():
    assert sorted(spread([1, 2, 3], 7)) == [1, 1, 1, 2, 2, 3, 3]


def test_parse_names():
    assert parse_names("all") == list(SCENARIOS)
    assert parse_names("list, detail,list") == ["list", "detail"]
    with pytest.raises(ValueError, match="unknown scenario.*bogus"):
        parse_names("list,bogus")


def test_lua_file_escapes_everything(tmp_path):
    assert lua_string('a"b\\c\nd€') == '"a\\"b\\\\c\\010d\\226\\130\\172"'
    path = write_lua(tmp_path / "r.lua", SCENARIOS["create"].generate(facts(10))[:2], [201])
    text = path.read_text()
    assert text.startswith("return {") and "expected = {201}" in text and ", true}," in text
