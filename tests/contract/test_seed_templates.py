"""The seed's post and comment templates agree with the contract's cashtag parser.

Seeded posts skip the regex, so their stored cashtags are right only if every template
yields exactly the tickers it was filled with. Pure: no database (the seeding itself is
tests/persistence/test_catalogue.py).
"""

from __future__ import annotations

from finboard.contract.cashtags import extract_cashtags
from finboard.contract.limits import TITLE_MAX
from finboard.core.seeding import catalogue


def test_every_template_yields_the_cashtags_it_was_filled_with():
    """Seeded posts skip the regex: the tickers put into a template are exactly what extract_cashtags finds."""
    import random

    rnd = random.Random(1).random
    tickers = sorted({t for group in catalogue.TICKERS.values() for t in group} | set(catalogue.DEFAULT_TICKERS))
    templates = [
        *catalogue.TITLES,
        *catalogue.OPENER_TEMPLATES,
        *catalogue.POINT_TEMPLATES,
        *catalogue.CLOSER_TEMPLATES,
        *catalogue.COMMENT_TEMPLATES,
    ]
    for template in templates:
        for t in tickers:
            for u in tickers:
                rendered = template.render(rnd, t, u)
                expected = list(dict.fromkeys(t if slot == catalogue.T else u for slot in template.tickers))
                assert extract_cashtags(rendered) == expected, rendered
    longest = max(len(t) for t in tickers)
    assert all(len(t.render(rnd, "X" * longest, "Y" * longest)) + 10 < TITLE_MAX for t in catalogue.TITLES)


# --- the generated posts are coherent per ticker (issue 18: "a demo that looks alive") -------------

ANCHOR = 1_793_491_200  # 2026-11-01T00:00:00Z
CATEGORIES = [(i + 1, slug) for i, slug in enumerate(catalogue.TICKERS)]


def _generated(posts: int = 3000, comments: int = 9000, seed: int = 42):
    from finboard.core.seeding.generator import Generator
    from finboard.core.seeding.plan import Plan

    plan = Plan(users=30, posts=posts, comments=comments, seed=seed, anchor=ANCHOR, categories=CATEGORIES)
    generator = Generator(plan)
    generator.assign_comments()
    rows = list(generator.posts())
    return rows, list(generator.comments())


def test_every_ticker_has_a_kind_and_every_kind_enough_templates():
    tickers = {t for group in catalogue.TICKERS.values() for t in group} | set(catalogue.DEFAULT_TICKERS)
    assert tickers <= set(catalogue.KIND_OF)
    for kind in catalogue.KINDS:
        assert catalogue.TITLES_BY_KIND[kind] and catalogue.OPENERS_BY_KIND[kind], kind
        assert len(catalogue.POINTS_BY_KIND[kind]) >= 4, kind  # POINTS_PER_POST draws up to 4 different ones
        assert catalogue.COMMENTS_BY_KIND[kind], kind
    assert all("${t}" in text for text, _ in catalogue.OPENER_SOURCES + catalogue.PAIR_OPENER_SOURCES)


def test_a_titles_tickers_appear_in_its_body():
    posts, _ = _generated()
    for post in posts:
        title, body = post[3], post[4]
        assert set(extract_cashtags(title)) <= set(extract_cashtags(body)), (title, body)


def test_crypto_is_talked_about_in_crypto_and_only_there():
    posts, _ = _generated()
    slug = dict(CATEGORIES)
    crypto = set(catalogue.PEERS[catalogue.CRYPTO])
    for post in posts:
        tags = set(post[5].split())
        if slug[post[2]] == "crypto":
            assert tags <= crypto, (post[3], post[5])
        else:
            assert not tags & crypto, (slug[post[2]], post[3])


def test_what_is_said_fits_the_ticker():
    """No "$ADA dividend safety check", no "$DOGE forward earnings", no "Bear case for $MO" about $KO."""
    posts, comments = _generated()
    kinds = catalogue.KIND_OF
    for post in posts:
        title, body, tags = post[3], post[4], post[5].split()
        first = tags[0]
        assert extract_cashtags(title)[0] == first
        assert {kinds[t] for t in tags} == {kinds[first]}, (title, tags)  # one kind per post
        if "dividend" in title.lower() or "payout" in body:
            assert kinds[first] == catalogue.DIVIDEND, title
        if "earnings" in body or "filing" in body or "Insiders" in body:
            assert kinds[first] in (catalogue.COMPANY, catalogue.DIVIDEND), title
        if "halving" in title or "On-chain" in body:
            assert kinds[first] == catalogue.CRYPTO, title
    tags_of = {post[0]: post[5].split() for post in posts}
    for comment in comments:
        if "Dividend" in comment[3]:
            assert kinds[tags_of[comment[1]][0]] == catalogue.DIVIDEND, comment[3]


def test_dates_end_at_the_anchor_lean_recent_and_comments_follow_their_post_spread_out():
    from collections import Counter

    from finboard.core.seeding.plan import YEAR

    posts, comments = _generated()
    created = {post[0]: post[7] for post in posts}
    assert all(ANCHOR - YEAR <= at < ANCHOR for at in created.values())
    recent = sum(1 for at in created.values() if at >= ANCHOR - 30 * 86_400)
    assert 0.2 < recent / len(posts) < 0.4, "about 29% of the posts in the last 30 days"
    assert all(created[c[1]] <= c[4] <= ANCHOR for c in comments), "a comment comes after its post"
    _, most_at_one_instant = Counter(c[4] for c in comments).most_common(1)[0]
    assert most_at_one_instant <= 3, "comments are spread, not piled up at one instant"
