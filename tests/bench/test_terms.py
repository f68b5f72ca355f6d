"""Search terms by document frequency: bands, ranking, combined rare queries, and the fallbacks."""

from __future__ import annotations

import pytest

from finboard.bench.terms import BANDS, combinations, pick, pick_from_sample, rank, rank_rare, rare_band, shape

COMMON, MID = BANDS
# A corpus like the seeded one at 100,000 posts: template words, tickers and "$14M"-style numbers.
STATS = [
    ("year", 66_000),
    ("hold", 25_000),
    ("want", 25_000),  # the same opener as "hold"
    ("revenu", 37_000),
    ("averag", 48_000),
    ("amd", 2_600),
    ("2030", 37_000),
    ("12m", 300),
    ("7m", 290),
    ("66m", 320),
    ("14m", 220),
    ("26x", 1_000),
    ("2.3", 1_500),
]
TOTAL = 100_000


def always(word: str) -> bool:
    return True


def test_bands_and_the_rare_band_below_the_mid_band():
    assert (COMMON.low, MID.low, MID.high) == (0.10, 0.001, 0.01)
    assert rare_band(1000) == (1, 20)  # too small for a band of its own
    assert rare_band(2000) == (1, 1)
    assert rare_band(10_000) == (1, 9)  # mid starts at 10 posts
    assert rare_band(1_000_000) == (1, 20)


def test_common_terms_are_plain_words_closest_to_a_quarter_of_the_posts():
    ranked = rank(STATS, TOTAL, COMMON)
    assert [w for w, _, _ in ranked[:3]] == ["hold", "want", "revenu"]
    assert all(in_band for _, _, in_band in ranked)
    assert "amd" not in [w for w, _, _ in ranked]  # 2.6 %: not common
    assert [w for w, _, _ in ranked][-1] == "2030"  # a number comes after every word


def test_mid_terms_are_in_a_tenth_to_one_percent():
    ranked = rank(STATS, TOTAL, MID)
    assert [w for w, _, _ in ranked] == ["12m", "7m", "66m", "14m", "26x"]  # 0.3 % first
    assert {n for _, n, _ in ranked} <= {300, 290, 320, 220, 1_000}


def test_a_band_with_nothing_in_it_ranks_everything_and_says_so():
    ranked = rank([("year", 66_000), ("amd", 2_600)], TOTAL, MID)
    assert [(w, in_band) for w, _, in_band in ranked] == [("amd", False), ("year", False)]


def test_shapes_keep_one_template_slot_apart():
    assert shape("14m") == shape("7m") == "#m"
    assert shape("2.3") == "#.#"
    groups = combinations(STATS, TOTAL)
    assert groups, "some pair is expected near 5 posts"
    assert all(len({shape(w) for w in group}) == len(group) for group in groups)
    assert ("12m", "7m") not in groups and ("7m", "12m") not in groups


def test_pick_measures_combined_rare_queries_and_keeps_words_distinct():
    # posts that have all words of a query: a made-up count, small for pairs with "26x"
    def count(query: str) -> int:
        words = query.split()
        return 4 if "26x" in words else 0

    picked = pick(STATS, TOTAL, always, count)
    assert [t.query for t in picked["common"]] == ["hold", "revenu", "averag"]  # "want" has hold's count
    assert [t.query for t in picked["mid"]] == ["12m", "7m", "66m"]
    assert picked["mid"][0].fraction == pytest.approx(0.003)
    [rare] = picked["rare"]  # one query with "26x": the words of a pick are not reused
    assert "26x" in rare.query.split() and rare.posts == 4 and rare.in_band
    assert rare.fraction == pytest.approx(4 / TOTAL)


def test_pick_prefers_a_single_rare_lexeme_and_drops_those_that_do_not_survive_parsing():
    stats = [*STATS, ("onc", 5), ("twice", 3), ("zzz", 6)]
    picked = pick(stats, TOTAL, survives=lambda w: w != "zzz", count=lambda q: 0)
    assert [(t.query, t.posts) for t in picked["rare"]] == [("onc", 5), ("twice", 3)]


def test_nothing_rare_falls_back_to_the_least_frequent_lexeme():
    stats = [("year", 66_000), ("hold", 25_000)]
    picked = pick(stats, TOTAL, always, count=lambda q: 0)
    [rare] = picked["rare"]
    assert (rare.query, rare.posts, rare.in_band) == ("hold", 25_000, False)


def test_rank_rare_orders_by_closeness_to_a_handful():
    assert rank_rare([("a1", 20), ("b2", 5), ("c3", 2), ("d4", 30)], TOTAL) == [("b2", 5), ("c3", 2), ("a1", 20)]


def test_terms_from_a_sample_of_titles_for_a_target():
    titles = ["Dividend safety check"] * 30 + ["Covered calls weekly"] * 60 + ["Rate cuts priced"] * 10
    picked = pick_from_sample(titles, 1000)
    assert picked["common"][0].query in {"dividend", "safety", "check"}  # 30 %: closest to 25 %
    assert picked["rare"][0].query in {"rate", "cuts", "priced"} and not picked["rare"][0].in_band


def test_at_a_million_posts_the_rare_query_is_three_lexemes_of_different_shapes():
    # 89 lexemes like '14m' in ~0.41 % of the posts, numbers in ~0.9 %, '15x'-like in ~1 % (the seeded text)
    stats = [(f"{m}m", 4100 + m) for m in range(2, 91)] + [("40", 9211), ("37", 9227), ("15x", 9855), ("12x", 9969)]
    total = 1_000_000
    assert combinations(stats, total, 2) == []  # every pair is expected in ~38 posts: not a handful
    triples = combinations(stats, total, 3, pool=40)
    assert triples and all({shape(w) for w in t} == {"#m", "#", "#x"} for t in triples)
    measured = {" ".join(triples[0]): 3}
    picked = pick(stats, total, always, count=lambda q: measured.get(q, 0))
    assert [(t.query, t.posts, t.in_band) for t in picked["rare"]] == [(" ".join(triples[0]), 3, True)]
