"""Scenario request lists: deterministic, spread across the data, and readable by the Lua script."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from finboard.bench.database import DataFacts
from finboard.bench.scenarios import SCENARIOS, lua_string, parse_names, spread, write_lua
from finboard.core.seeding import DEMO_PASSWORD

CATEGORIES = ["stocks", "crypto", "dividends", "options"]


def facts(posts: int = 2000) -> DataFacts:
    users = [f"user_{i}" for i in range(1, 101)]
    rows = [(f"Is $AAPL still a buy after earnings {i}?", CATEGORIES[i % 4], users[i % 100]) for i in range(posts)]
    return DataFacts(
        post_ids=list(range(1, posts + 1)),
        usernames=users,
        categories=CATEGORIES,
        posts=rows,
        max_ids={"posts": posts, "comments": 0, "users": 100},
    )


def test_requests_are_deterministic():
    for scenario in SCENARIOS.values():
        assert scenario.generate(facts()) == scenario.generate(facts()), scenario.name


def test_list_pages_and_detail_ids_are_spread_across_the_data():
    pages = [int(parse_qs(urlsplit(r.path).query)["page"][0]) for r in SCENARIOS["list"].generate(facts())]
    assert min(pages) == 1 and max(pages) >= 95  # 2000 posts / 20 per page = 100 pages
    assert len(set(pages)) == 100
    ids = [int(r.path.rsplit("/", 1)[1]) for r in SCENARIOS["detail"].generate(facts())]
    assert min(ids) <= 5 and max(ids) >= 1995 and len(set(ids)) == len(ids)
    assert ids[:10] != sorted(ids[:10])  # shuffled, not a sequential scan


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
