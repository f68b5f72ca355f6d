"""The mute rule, exactly as the README states it: whole words or phrases, any case; tickers by tag."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from finboard.contract.blocks import MemberFilter, normalize_mute, normalize_word
from finboard.contract.errors import ApiError


@dataclass
class Post:
    title: str
    body: str = ""
    cashtags: list[str] = field(default_factory=list)
    author: object = None


MUTES = MemberFilter.of([7], [("word", "moon"), ("word", "to the moon"), ("word", "o'neil"), ("ticker", "GME")])


@pytest.mark.parametrize(
    ("title", "body", "muted"),
    [
        ("To the MOON!", "", True),
        ("", "moon-shot incoming", True),
        ("Moon.", "", True),
        ("", "_moon_", False),  # the underscore is a word character: not a whole word
        ("Moonlight", "honeymoon", False),
        ("", "to  the\nmoon", True),  # a phrase's spaces match any white space
        ("O'NEIL says", "", True),
        ("Nothing here", "Mooning", False),
    ],
)
def test_muted_words_match_whole_words_in_any_case(title, body, muted):
    assert MUTES.mutes(Post(title, body)) is muted


def test_a_muted_ticker_hides_posts_tagged_with_it_only():
    assert MUTES.mutes(Post("Squeeze", cashtags=["AMC", "GME"]))
    assert not MUTES.mutes(Post("GME without the dollar sign is not a tag"))


def test_blocks_collapse_but_only_the_api_drops_them():
    class Ref:
        def __init__(self, ident: int):
            self.id = ident

    posts = [Post("a"), Post("b")]
    posts[0].author = Ref(7)
    posts[1].author = Ref(8)
    assert MUTES.shown(posts) == posts and MUTES.kept(posts) == [posts[1]]
    assert MemberFilter().empty and not MUTES.empty


@pytest.mark.parametrize(
    ("raw", "stored"), [("  Moon ", "moon"), ("To   the\tMoon", "to the moon"), ("S&P", None), ("-x", None), ("", None)]
)
def test_words_are_stored_normalised_or_refused_with_the_field_named(raw, stored):
    if stored is None:
        with pytest.raises(ApiError) as refused:
            normalize_word(raw)
        assert refused.value.status == 422 and set(refused.value.fields) == {"word"}
    else:
        assert normalize_word(raw) == stored


def test_tickers_are_normalised_like_the_watchlist():
    assert normalize_mute("ticker", "$brk.b") == "BRK.B"
    with pytest.raises(ApiError) as refused:
        normalize_mute("ticker", "$100")
    assert set(refused.value.fields) == {"ticker"}
