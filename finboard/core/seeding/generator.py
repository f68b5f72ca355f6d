"""The seeded rows, table by table, from one deterministic generator.

Each table draws from a random stream of its own (seeded by ``--seed`` and the table's name),
so adding a column's stream leaves every other seeded value as it was; derived columns
(cashtags, comment counts, ``post_cashtags``) are computed as the rows are made.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

from finboard.contract.cashtags import MAX_CASHTAGS_PER_POST
from finboard.core.seeding.catalogue import (
    BEARISH_TITLE_WORDS,
    CLOSERS,
    COMMENTS_BY_KIND,
    DEFAULT_TICKERS,
    FALLBACK_TICKER,
    KIND_OF,
    KINDS,
    OPENERS_BY_KIND,
    PAIR_OPENERS_BY_KIND,
    PEERS,
    POINTS_BY_KIND,
    TICKERS,
    TITLES_BY_KIND,
    USER_PREFIXES,
    USER_SUFFIXES,
    T,
    U,
)
from finboard.core.seeding.plan import YEAR, Plan

POINTS_PER_POST = (2, 4)


COMMENT_DELAY_MINUTES = (1, 60 * 24 * 14)
FRESHEST = 3600  # seconds: the newest post is an hour old at the anchor, so its comments spread over that hour


@dataclass
class Generated:
    """Per post, what its cashtag rows and comments need (compact arrays)."""

    created: array = field(default_factory=lambda: array("q"))
    tags: array = field(default_factory=lambda: array("i"))  # index into tag_sets
    tag_sets: list[tuple[str, ...]] = field(default_factory=list)
    tag_text: list[str] = field(default_factory=list)
    kinds: array = field(default_factory=lambda: array("b"))  # index into KINDS of the post's ticker
    post_of_comment: array = field(default_factory=lambda: array("i"))
    comment_counts: array = field(default_factory=lambda: array("i"))


def seeded_view(mood: Callable[[], float], tickers: tuple[str, ...], title: str = "") -> tuple[str | None, str, str]:
    """A post's view and disclosure, as ``(sentiment, positions, sentiments)`` are stored.

    30% bullish, 15% bearish (bearish whenever the title reads so), stated on the post's first
    ticker; one in five of those with a second ticker is neutral on it (which makes the
    post-level sentiment null, as finboard.contract.ticker_views.overall_sentiment rules).
    Most state a position on their first ticker (bulls mostly long, bears mostly short).
    """
    roll = mood()
    sentiment = "bullish" if roll < 0.30 else "bearish" if roll < 0.45 else None
    if sentiment and any(word in title.lower() for word in BEARISH_TITLE_WORDS):
        sentiment = "bearish"
    if sentiment is None or not tickers:
        return sentiment, "", ""
    held = mood()
    if sentiment == "bullish":
        position = "long" if held < 0.7 else "none"
    else:
        position = "short" if held < 0.5 else "none"
    if len(tickers) > 1 and held >= 0.8:
        return None, f"{tickers[0]}:{position}", f"{tickers[0]}:{sentiment} {tickers[1]}:neutral"
    return sentiment, f"{tickers[0]}:{position}", f"{tickers[0]}:{sentiment}"


KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}


@cache
def _peers(ticker: str, tickers: tuple[str, ...]) -> tuple[str, ...]:
    kind = KIND_OF[ticker]
    peers = [x for x in tickers if x != ticker and KIND_OF[x] == kind] or [x for x in PEERS[kind] if x != ticker]
    return tuple(peers) or (FALLBACK_TICKER,)


def other_ticker(rnd: Callable[[], float], ticker: str, tickers: tuple[str, ...]) -> str:
    """Another ticker of the same kind: from the category's when it has one, else from all of that kind."""
    peers = _peers(ticker, tickers)
    return peers[int(rnd() * len(peers))]


class Generator:
    """The seeded rows, table by table, as tuples (timestamps in epoch seconds).

    ``newline`` is what a line break in a post body is written as: "\\n" for
    the generic writer, the two characters backslash-n for PostgreSQL's COPY
    text format (template text holds no other character COPY would escape).
    """

    def __init__(self, plan: Plan, newline: str = "\n") -> None:
        self.plan = plan
        self.nl = newline
        self.out = Generated()

    def _rng(self, table: str) -> Callable[[], float]:
        return random.Random(f"finboard-seed:{self.plan.seed}:{table}").random

    def users(self) -> Iterator[tuple[int, str, str, int]]:
        """(id, username, email, created_at)."""
        rnd = self._rng("users")
        newest = self.plan.anchor - YEAR
        np, ns = len(USER_PREFIXES), len(USER_SUFFIXES)
        for i in range(self.plan.users):
            name = f"{USER_PREFIXES[int(rnd() * np)]}_{USER_SUFFIXES[int(rnd() * ns)]}{i + 1}"
            yield self.plan.user_base + i + 1, name, f"{name}@example.com", newest - int(rnd() * (YEAR + 1))

    def assign_comments(self) -> None:
        """Which post each comment belongs to, so every post row carries its count."""
        rnd, posts = self._rng("comment-posts"), self.plan.posts
        if self.plan.comments and not posts:
            raise ValueError("comments need posts")
        self.out.post_of_comment = array("i", (int(rnd() * posts) for _ in range(self.plan.comments)))
        counts = array("i", bytes(4 * posts))
        for index in self.out.post_of_comment:
            counts[index] += 1
        self.out.comment_counts = counts

    def posts(self) -> Iterator[tuple[int, int, int, str, str, str, int, int, str | None, str, str]]:
        """(id, author_id, category_id, title, body, cashtags, comment_count, created_at, sentiment, positions,
        sentiments).

        Coherent per ticker: the post is about one ticker of its category (``t``), its templates
        fit what that ticker is (``KIND_OF``: no dividend talk about a coin), the other ticker a
        template names (``u``) is of the same kind, and the body names the title's tickers.
        Dates lean to the recent (the square of a uniform draw over the year before the anchor:
        about 29% of the posts in the last 30 days), so the cashtag pages have something to show.
        Sentiment and disclosure come from a stream of their own.
        """
        plan, out, nl = self.plan, self.out, self.nl
        rnd = self._rng("posts")
        mood = self._rng("sentiment")
        categories = [(cid, tuple(TICKERS.get(slug, DEFAULT_TICKERS))) for cid, slug in plan.categories]
        authors = plan.authors
        if plan.posts and not authors:
            raise RuntimeError("no users to author posts: seed with --users > 0")
        nc, na, nclose = len(categories), len(authors), len(CLOSERS)
        low, high = POINTS_PER_POST
        point_orders = {kind: list(range(len(points))) for kind, points in POINTS_BY_KIND.items()}
        counts, created_out, tags_out, kinds_out = out.comment_counts, out.created, out.tags, out.kinds
        tag_index: dict[tuple[str, ...], int] = {}
        points_sep, closer_sep = nl + "- ", nl + nl + "> "
        closers = [closer_sep + c + nl for c in CLOSERS]
        for i in range(plan.posts):
            category_id, tickers = categories[int(rnd() * nc)]
            t = tickers[int(rnd() * len(tickers))]
            kind = KIND_OF[t]
            u = other_ticker(rnd, t, tickers)
            titles = TITLES_BY_KIND[kind]
            template = titles[int(rnd() * len(titles))]
            title = template.render(rnd, t, u)
            seen = [t if slot == T else u for slot in template.tickers]
            openers = (PAIR_OPENERS_BY_KIND if U in template.tickers else OPENERS_BY_KIND)[kind]
            template = openers[int(rnd() * len(openers))]
            body = [template.render(rnd, t, u), nl]
            seen += [t if slot == T else u for slot in template.tickers]
            # k different points, in random order (a partial Fisher-Yates shuffle).
            points, point_order = POINTS_BY_KIND[kind], point_orders[kind]
            k = low + int(rnd() * (high - low + 1))
            for j in range(k):
                swap = j + int(rnd() * (len(point_order) - j))
                point_order[j], point_order[swap] = point_order[swap], point_order[j]
                template = points[point_order[j]]
                body += (points_sep, template.render(rnd, t, u))
                if template.tickers:
                    seen += [t if slot == T else u for slot in template.tickers]
            body.append(closers[int(rnd() * nclose)])
            tags = tuple(dict.fromkeys(seen))[:MAX_CASHTAGS_PER_POST]
            slot = tag_index.get(tags)
            if slot is None:
                slot = tag_index[tags] = len(out.tag_sets)
                out.tag_sets.append(tags)
                out.tag_text.append(" ".join(tags))
            age = rnd()
            created = plan.anchor - FRESHEST - int(age * age * (YEAR - FRESHEST))
            created_out.append(created)
            tags_out.append(slot)
            kinds_out.append(KIND_INDEX[kind])
            sentiment, positions, sentiments = seeded_view(mood, tags, title)
            yield (
                plan.post_base + i + 1,
                authors[int(rnd() * na)],
                category_id,
                title,
                "".join(body),
                out.tag_text[slot],
                counts[i],
                created,
                sentiment,
                positions,
                sentiments,
            )

    def cashtags(self) -> Iterator[tuple[str, int, int]]:
        """(ticker, post_id, created_at), from what ``posts()`` recorded."""
        base, tag_sets, created = self.plan.post_base, self.out.tag_sets, self.out.created
        for i, slot in enumerate(self.out.tags):
            post_id, at = base + i + 1, created[i]
            for ticker in tag_sets[slot]:
                yield ticker, post_id, at

    def comments(self) -> Iterator[tuple[int, int, int, str, int]]:
        """(id, post_id, author_id, body, created_at): after its post, never after the anchor.

        A comment fits its post's ticker (``COMMENTS_BY_KIND``) and comes minutes to two weeks
        after it; on a post younger than that, at a point spread between the post and the anchor
        (never piled up at the anchor).
        """
        plan, out = self.plan, self.out
        rnd = self._rng("comments")
        authors = plan.authors
        if plan.comments and not authors:
            raise RuntimeError("no users to author comments: seed with --users > 0")
        na = len(authors)
        low, high = COMMENT_DELAY_MINUTES
        span = high - low + 1
        anchor, created, tags, tag_sets, kinds = plan.anchor, out.created, out.tags, out.tag_sets, out.kinds
        by_kind = [COMMENTS_BY_KIND[kind] for kind in KINDS]
        for n, index in enumerate(out.post_of_comment):
            templates = by_kind[kinds[index]]
            template = templates[int(rnd() * len(templates))]
            if template.constant is not None:
                body = template.constant
            else:
                post_tags = tag_sets[tags[index]]
                t = post_tags[0]
                u = post_tags[1] if len(post_tags) > 1 else other_ticker(rnd, t, ())
                body = template.render(rnd, t, u)
            delay = rnd()
            start = created[index]
            at = start + 60 * (low + int(delay * span))
            yield (
                plan.comment_base + n + 1,
                plan.post_base + index + 1,
                authors[int(rnd() * na)],
                body,
                at if at < anchor else start + int(delay * (anchor - start)),
            )
