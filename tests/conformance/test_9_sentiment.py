"""Per-ticker views and search synonyms give the same answers on every backend that writes, and the right ones.

One scripted sequence: a post with a view per ticker (bullish on one, neutral on the
other), a post of an older client with only the post-level ``sentiment`` (which means that
view on every cashtag), bad views, edits that change, keep and clear the views, and the
cashtag statistics, which count only the views stated on their own ticker. Runs per backend
on its own database (finboard.contract.ticker_views holds the rules).
"""

from __future__ import annotations

import re

from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_2_writes import bearer

P = "/api/v1"
NOW = re.compile(r'"(created_at|updated_at)":"(202[5-9]|20[3-9]\d)-[^"]+"')
DAY = re.compile(r'"day":"\d{4}-\d{2}-\d{2}"')
PASSWORD = "sentiment-pass-1"
MEMBER = "snt_ann"


def normalise(content: bytes) -> bytes:
    return DAY.sub('"day":"<day>"', NOW.sub(lambda m: f'"{m.group(1)}":"<now>"', content.decode())).encode()


def _member(backend) -> dict[str, str]:
    account = {"username": MEMBER, "email": f"{MEMBER}@example.com", "password": PASSWORD}
    assert backend.request("POST", f"{P}/auth/register", json=account).status_code == 201
    response = backend.request("POST", f"{P}/auth/login", json={"username": MEMBER, "password": PASSWORD})
    return bearer(response.json()["access_token"])


def run_sequence(backend) -> list:
    log: list = []
    ann = _member(backend)
    step = recorder(backend, log, normalise)
    posts, one = f"{P}/posts", f"{P}/posts/{{post_id}}"
    stats = f"{P}/cashtags/{{ticker}}"
    mixed = {
        "title": "Long $SNTX, $SNTY in passing",
        "body": "Data centres buy $SNTX; $SNTY is fine.",
        "category": "stocks",
        "sentiments": {"$sntx": "bullish", "SNTY": "neutral"},
        "positions": {"SNTX": "long"},
    }
    first = step("create-per-ticker", "POST", posts, posts, 201, json=mixed, headers=ann).json()["id"]
    legacy = {"title": "Both $SNTY and $SNTX look tired", "body": "Sell.", "category": "stocks", "sentiment": "bearish"}
    second = step("create-legacy", "POST", posts, posts, 201, json=legacy, headers=ann).json()["id"]
    step("create-bad-view", "POST", posts, posts, 422, json={**mixed, "sentiments": {"SNTX": "moon"}}, headers=ann)
    step("create-view-not-cashtag", "POST", posts, posts, 422, json={**mixed, "sentiments": {"SNTZ": "bullish"}},
         headers=ann)  # fmt: skip
    step("stats-x", "GET", f"{P}/cashtags/sntx", stats, 200)
    step("stats-y", "GET", f"{P}/cashtags/SNTY", stats, 200)
    step("read-per-ticker", "GET", f"{posts}/{first}", one, 200)
    step("list-by-ticker", "GET", f"{posts}?cashtag=SNTY", posts, 200)
    first_one = f"{posts}/{first}"
    step("patch-views", "PATCH", first_one, one, 200, json={"sentiments": {"SNTX": "bearish"}}, headers=ann)
    step("patch-title-keeps", "PATCH", first_one, one, 200, json={"title": "Short $SNTX now"}, headers=ann)
    step("patch-legacy-clears", "PATCH", f"{posts}/{second}", one, 200, json={"sentiment": None}, headers=ann)
    step("stats-x-after", "GET", f"{P}/cashtags/SNTX", stats, 200)
    step("stats-y-after", "GET", f"{P}/cashtags/SNTY", stats, 200)
    # Search knows common names of tickers (finboard.contract.search_synonyms), the same everywhere.
    step("search-synonym", "GET", f"{posts}?search=bitcoin&per_page=100", posts, 200)
    step("search-synonym-any-case", "GET", f"{posts}?search=BitCoin&per_page=100", posts, 200)
    return log


def test_per_ticker_sentiment_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, log in logs.items():
        check_data(name, {label: response.json() if response.content else None for label, _, _, response in log})


def _split(stats: dict) -> tuple[dict, dict]:
    return stats["sentiment_7d"], stats["sentiment_30d"]


def check_data(name: str, r: dict) -> None:
    """The sequence's answers are right, not only the same."""
    created = r["create-per-ticker"]
    assert created["sentiments"] == [
        {"ticker": "SNTX", "sentiment": "bullish"},
        {"ticker": "SNTY", "sentiment": "neutral"},
    ], name
    assert created["sentiment"] is None, "bullish and neutral have no common view"
    assert created["positions"] == [{"ticker": "SNTX", "position": "long"}]
    assert r["read-per-ticker"]["sentiments"] == created["sentiments"]
    legacy = r["create-legacy"]
    assert legacy["sentiment"] == "bearish"
    assert legacy["sentiments"] == [
        {"ticker": "SNTY", "sentiment": "bearish"},
        {"ticker": "SNTX", "sentiment": "bearish"},
    ]
    assert set(r["create-bad-view"]["error"]["fields"]) == {"sentiments.SNTX"}
    assert r["create-view-not-cashtag"]["error"]["fields"] == {"sentiments": "$SNTZ is not a cashtag of this post."}
    # $SNTX: bullish (the first post) and bearish (the legacy one); $SNTY: only the legacy bearish,
    # the first post's neutral view on it counts for neither side.
    assert _split(r["stats-x"]) == ({"bullish": 1, "bearish": 1}, {"bullish": 1, "bearish": 1}), name
    assert _split(r["stats-y"]) == ({"bullish": 0, "bearish": 1}, {"bullish": 0, "bearish": 1}), name
    listed = {p["id"]: p["sentiments"] for p in r["list-by-ticker"]["items"]}
    assert listed[created["id"]] == created["sentiments"] and listed[legacy["id"]] == legacy["sentiments"]
    assert r["patch-views"]["sentiments"] == [{"ticker": "SNTX", "sentiment": "bearish"}]
    assert r["patch-views"]["sentiment"] == "bearish", "the only stated view is the common one"
    kept = r["patch-title-keeps"]
    assert kept["cashtags"] == ["SNTX", "SNTY"] and kept["sentiments"] == [{"ticker": "SNTX", "sentiment": "bearish"}]
    cleared = r["patch-legacy-clears"]
    assert cleared["sentiment"] is None and cleared["sentiments"] == []
    assert _split(r["stats-x-after"]) == ({"bullish": 0, "bearish": 1}, {"bullish": 0, "bearish": 1}), name
    assert _split(r["stats-y-after"]) == ({"bullish": 0, "bearish": 0}, {"bullish": 0, "bearish": 0}), name
    found = r["search-synonym"]["items"]
    assert found, "the seeded data has posts on $BTC"
    assert all("BTC" in p["cashtags"] or "bitcoin" in (p["title"] + p["body"]).lower() for p in found), name
    assert r["search-synonym"]["total"] == len(found) == len(r["search-synonym-any-case"]["items"])
