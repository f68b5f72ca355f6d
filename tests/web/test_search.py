"""/search: full text and filters, sorting, paging, invalid filters (400) and hostile strings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from finboard.core.models import Comment, Post, PostCashtag, User
from finboard.extensions import cache, db
from tests.helpers import body, element, field_error, form_value, post_titles, text, unsafe_markup

NVDA = "Nvidia earnings beat $NVDA"
BTC = "Bitcoin halving thoughts $BTC"
KO = "Coca-Cola dividend check $KO"


@pytest.fixture
def board(make) -> dict[str, int]:
    """Three posts from two authors, oldest first: NVDA (stocks), BTC (crypto), KO (dividends)."""
    alice = make.user("alice")
    bob = make.user("Bob_Trader")
    posts = {
        NVDA: make.post(alice, title=NVDA, body="Datacenter revenue doubled, guidance raised.", category="stocks"),
        BTC: make.post(bob, title=BTC, body="Supply shock or already priced in?", category="crypto"),
        KO: make.post(alice, title=KO, body="Payout ratio looks safe. Also holding $NVDA.", category="dividends"),
    }
    make.comment(posts[BTC], alice)
    make.comment(posts[BTC], alice)
    make.comment(posts[KO], bob)
    return posts


def search(client, **params):
    return client.get("/search", query_string=params)


def result_count(response) -> int | None:
    match = re.search(r'<p class="lede" role="status">(\d+) results?</p>', body(response))
    return int(match.group(1)) if match else None


def snapshot(make) -> tuple[int, int, int, int]:
    return make.count(User), make.count(Post), make.count(Comment), make.count(PostCashtag)


def set_created(make, post_id: int, when: datetime) -> None:
    with make.app.app_context():
        db.session.execute(update(Post).where(Post.id == post_id).values(created_at=when, updated_at=when))
        db.session.commit()
        cache.invalidate()


def test_search_page_without_filters(client, board):
    response = client.get("/search")
    assert response.status_code == 200
    assert "Type some words, pick a cashtag or a category." in text(response)
    assert result_count(response) is None and post_titles(response) == []
    assert form_value(response, "sort") == "new"


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"q": "earnings"}, [NVDA]),
        ({"q": "payout"}, [KO]),  # a word of the body
        ({"q": "dividend payout"}, [KO]),  # every word required
        ({"q": "DATACENTER"}, [NVDA]),
        ({"q": "  halving  "}, [BTC]),
        ({"q": "zzzzqqq"}, []),
        ({"category": "crypto"}, [BTC]),
        ({"category": "macro"}, []),
        ({"author": "alice"}, [KO, NVDA]),
        ({"author": "bob_trader"}, [BTC]),  # case-insensitive
        ({"cashtag": "NVDA"}, [KO, NVDA]),
        ({"cashtag": "$nvda"}, [KO, NVDA]),
        ({"cashtag": "btc"}, [BTC]),
        ({"cashtag": "TSLA"}, []),
        ({"q": "dividend", "cashtag": "NVDA"}, [KO]),
        ({"author": "alice", "category": "stocks"}, [NVDA]),
        ({"author": "alice", "cashtag": "BTC"}, []),
    ],
)
def test_search_filters(client, board, params, titles):
    response = search(client, **params)
    assert response.status_code == 200
    assert post_titles(response) == titles
    assert result_count(response) == len(titles)
    if not titles:
        assert "Nothing matches. Try fewer words or other filters." in text(response)
    for name, value in params.items():  # the form shows what was searched
        assert form_value(response, name) == value


@pytest.mark.parametrize(
    ("sort", "titles"),
    [("new", [KO, BTC, NVDA]), ("old", [NVDA, BTC, KO]), ("comments", [BTC, KO, NVDA]), ("", [KO, BTC, NVDA])],
)
def test_search_sort(client, board, sort, titles):
    response = search(client, since="2000-01-01", sort=sort)
    assert response.status_code == 200
    assert post_titles(response) == titles
    assert form_value(response, "sort") == (sort or "new")


def test_search_by_date(client, make, board):
    set_created(make, board[NVDA], datetime(2024, 1, 10, 9, 0, tzinfo=UTC))
    set_created(make, board[BTC], datetime(2024, 2, 15, 18, 30, tzinfo=UTC))
    set_created(make, board[KO], datetime(2024, 3, 20, 12, 0, tzinfo=UTC))
    assert post_titles(search(client, since="2024-02-01")) == [KO, BTC]
    assert post_titles(search(client, until="2024-02-14")) == [NVDA]
    # "until" a day includes that whole day (the post at 18:30 on the 15th).
    assert post_titles(search(client, until="2024-02-15")) == [BTC, NVDA]
    assert post_titles(search(client, since="2024-02-15", until="2024-02-15")) == [BTC]
    assert post_titles(search(client, since="2024-04-01")) == []
    assert post_titles(search(client, since="2024-03-01", until="2024-01-01")) == []


def test_search_until_today_finds_todays_posts(client, make):
    make.post(make.user("alice"), title="Posted today $SPY")
    today = datetime.now(UTC).date().isoformat()
    response = search(client, until=today)
    assert post_titles(response) == ["Posted today $SPY"]
    assert post_titles(search(client, since=today, until=today)) == ["Posted today $SPY"]
    assert post_titles(search(client, until=date(2000, 1, 1).isoformat())) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("q", "x" * 201, "Search text is limited to 200 characters."),
        ("category", "nope", "Unknown category."),
        ("category", "Not A Slug!", "Unknown category."),
        ("author", "a" * 33, "Usernames have at most 32 characters."),
        ("author", "nobody", "No member by that name."),  # as /u/nobody is a 404 and the API's filter too
        ("cashtag", "$$$", "A cashtag looks like $AAPL or BRK.B."),
        ("cashtag", "TOOLONGTICKER", "A cashtag looks like $AAPL or BRK.B."),
        ("cashtag", "'; drop table posts; --", "A cashtag looks like $AAPL or BRK.B."),
        ("since", "yesterday", "Use a date like 2024-01-31."),
        ("since", "2024-13-45", "Use a date like 2024-01-31."),
        ("until", "31/01/2024", "Use a date like 2024-01-31."),
        ("until", "2024-02-30", "Use a date like 2024-01-31."),
        ("sort", "random", "Sort by new, old or comments."),
        ("sort", "id; drop table posts", "Sort by new, old or comments."),
    ],
)
def test_invalid_filter_is_a_400_with_the_message_next_to_the_field(client, make, board, field, value, message):
    before = snapshot(make)
    response = search(client, **{field: value, "author": "alice"} if field != "author" else {field: value})
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert "Fix the highlighted filters and search again." in text(response)
    assert post_titles(response) == [] and result_count(response) is None
    assert element(response, field)["aria-invalid"] == "true"
    assert element(response, field)["aria-describedby"] == f"{field}-error"
    if field not in ("category", "sort"):  # text inputs keep what was typed
        assert form_value(response, field) == value
    if field != "author":
        assert form_value(response, "author") == "alice"  # the valid fields too
    assert snapshot(make) == before


def test_several_invalid_filters_are_all_reported(client, board):
    response = search(client, q="ok", since="never", until="later", sort="sideways")
    assert response.status_code == 400
    assert field_error(response, "since") == "Use a date like 2024-01-31."
    assert field_error(response, "until") == "Use a date like 2024-01-31."
    assert field_error(response, "sort") == "Sort by new, old or comments."
    assert field_error(response, "q") is None
    assert form_value(response, "q") == "ok"


HOSTILE = [
    "'",
    '"',
    "%",
    "%%",
    "_",
    "\\",
    "'; drop table posts; --",
    '"; DROP TABLE users; --',
    "1' OR '1'='1",
    "*",
    "NEAR(a b)",
    "AND OR NOT",
    "-",
    ":*",
    "!",
    "&|",
    "(",
    ")",
    "<>",
    "$",
    "€ 株 ü",
    "😀",
    '"><script>alert(1)</script>',
    "posts_fts MATCH '*'",
    "'); DELETE FROM comments; --",
]


def test_hostile_search_text_is_a_normal_search(client, make, board):
    before = snapshot(make)
    for query in HOSTILE:
        response = search(client, q=query)
        assert response.status_code == 200, query
        assert result_count(response) == 0 and post_titles(response) == [], query
        assert form_value(response, "q") == query, query  # echoed, as text
        assert unsafe_markup(body(response)) == [], query
    assert snapshot(make) == before
    assert post_titles(search(client, q="halving")) == [BTC]  # the tables still work


def test_hostile_author_is_matched_literally(client, make, board):
    before = snapshot(make)
    for query in ["'; drop table users; --", "%", "al%", "_lice", "alice' --", '"alice"', "ALICE "]:
        response = search(client, author=query)
        assert response.status_code == 400, query  # no wildcard, no injection: nobody has that name
        assert field_error(response, "author") == "No member by that name.", query
        assert post_titles(response) == [], query
        assert form_value(response, "author") == query, query
    assert snapshot(make) == before


def test_ten_kilobyte_values_are_refused_with_a_message(client, make, board):
    before = snapshot(make)
    huge = "'%\"; drop table posts; -- " * 400  # 10.4 kB
    for field in ("q", "author", "cashtag", "since", "until", "category", "sort"):
        response = search(client, **{field: huge})
        assert response.status_code == 400, field
        assert field_error(response, field), field
        if field not in ("category", "sort"):
            assert form_value(response, field) == huge, field
    assert snapshot(make) == before


def test_ten_kilobyte_plain_words(client, board):
    response = search(client, q="earnings " * 1200)
    assert response.status_code == 400
    assert field_error(response, "q") == "Search text is limited to 200 characters."


def test_nul_character_in_search_is_a_400_not_a_server_error(client, make, board):
    before = snapshot(make)
    for params in ({"q": "a\x00b"}, {"author": "alice\x00"}, {"q": "ok", "cashtag": "\x00"}):
        response = search(client, **params)
        assert response.status_code == 400
        assert "NUL character" in text(response)
    assert snapshot(make) == before


def test_search_results_are_paginated_and_keep_the_filters(client, make):
    alice = make.user("alice")
    for i in range(25):
        make.post(alice, title=f"Weekly covered calls {i:02d} $SPY", body="Theta gang.")
    first = search(client, q="weekly", cashtag="SPY")
    assert result_count(first) == 25
    assert post_titles(first) == [f"Weekly covered calls {i:02d} $SPY" for i in range(24, 4, -1)]
    next_links = re.findall(r'<a rel="next" href="([^"]+)"', body(first))
    assert len(next_links) == 1
    assert "q=weekly" in next_links[0] and "cashtag=SPY" in next_links[0] and "cursor=" in next_links[0]
    second = client.get(next_links[0].replace("&amp;", "&"))
    assert post_titles(second) == [f"Weekly covered calls {i:02d} $SPY" for i in range(4, -1, -1)]
    assert post_titles(search(client, q="weekly", page="abc")) == post_titles(first)
    assert post_titles(search(client, q="weekly", page="-3")) == post_titles(first)


def test_search_shows_hostile_titles_as_text(client, make):
    title = '<img src=x onerror=alert(1)> "quoted" & $NVDA'
    make.post(make.user("alice"), title=title, body="onerror")
    response = search(client, q="onerror")
    assert post_titles(response) == [title]
    assert unsafe_markup(body(response)) == []


NEGATION_RUNS = ["-" * 40, "a " + "- " * 20 + "b", "(-" * 20, "-|" * 20, "x " + "-" * 33 + "x", "-\u3000" * 20]


@pytest.mark.parametrize("q", NEGATION_RUNS)
def test_a_run_of_negations_is_a_400_with_a_message_not_a_server_error(client, make, board, q):
    """PostgreSQL's websearch_to_tsquery fails ("tsquery stack too small") past 32 stacked NOTs."""
    before = snapshot(make)
    response = search(client, q=q)
    assert response.status_code == 400
    assert field_error(response, "q") == "Search text can have at most 8 '-' in a row."
    assert snapshot(make) == before
    assert search(client, q="-" * 8 + "dividend").status_code == 200
