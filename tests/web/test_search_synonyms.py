"""Search knows common names of tickers (finboard.contract.search_synonyms), on SQLite FTS5 and
PostgreSQL alike: ``/search?q=bitcoin`` finds the posts on $BTC that never say "bitcoin"."""

from __future__ import annotations

import pytest

from finboard.contract.post_filters import sqlite_fts_query
from finboard.contract.search_synonyms import SEARCH_SYNONYMS, pg_search_tsquery
from tests.helpers import post_titles

ON_BTC = "Halving math for $BTC"
SAYS_BITCOIN = "Bitcoin miners after the halving"
ON_AAPL = "Services margin at $AAPL"
ON_NVDA = "Datacenter demand, $NVDA guidance"
UNRELATED = "Bonds and the curve"


@pytest.fixture
def board(make) -> None:
    alice = make.user("alice")
    make.post(alice, title=ON_BTC, body="Supply drops by half again.", category="crypto")
    make.post(alice, title=SAYS_BITCOIN, body="Hash rate at a high.", category="crypto")
    make.post(alice, title=ON_AAPL, body="Apps and iCloud carry the quarter.", category="stocks")
    make.post(alice, title=ON_NVDA, body="Hyperscalers keep buying.", category="stocks")
    make.post(alice, title=UNRELATED, body="Duration risk is back.", category="macro")


def titles(client, q: str) -> set[str]:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return set(post_titles(response))


def test_a_common_name_finds_the_cashtag(client, board):
    assert titles(client, "bitcoin") == {ON_BTC, SAYS_BITCOIN}
    assert titles(client, "Apple") == {ON_AAPL}  # any case; stemmed like the index on PostgreSQL
    assert titles(client, "nvidia") == {ON_NVDA}


def test_the_name_stands_for_name_or_ticker_inside_a_longer_query(client, board):
    assert titles(client, "bitcoin halving") == {ON_BTC, SAYS_BITCOIN}
    assert titles(client, "bitcoin supply") == {ON_BTC}
    assert titles(client, "bitcoin iCloud") == set()


def test_words_that_are_no_name_search_as_before(client, board):
    assert titles(client, "curve") == {UNRELATED}
    assert titles(client, "btc") == {ON_BTC}  # the ticker itself, as before


def test_api_search_uses_the_synonyms_too(client, board):
    response = client.get("/api/v1/posts", query_string={"search": "bitcoin"})
    assert response.status_code == 200
    assert {p["title"] for p in response.get_json()["items"]} == {ON_BTC, SAYS_BITCOIN}
    assert response.get_json()["total"] == 2


def test_the_synonym_table_is_safe_to_embed():
    assert all(name.isalpha() and name.islower() for name in SEARCH_SYNONYMS)
    assert sqlite_fts_query('bitcoin "x') == '("bitcoin" OR "btc") AND "x"'
    sql = pg_search_tsquery("%s")
    assert sql.count("%s") == 1 and ":" not in sql
