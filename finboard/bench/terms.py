"""Search terms picked from the seeded data by how many posts contain them.

It exists because "search is fast" means little without saying for what: a
term in a third of the posts, one in a few hundredths of a percent and one in
a handful of posts stress different plans (a walk down the newest posts that
stops after 20 matches, a GIN bitmap of a few thousand rows, a lookup of a
few). The terms are picked by document frequency — PostgreSQL's own
``ts_stat`` over ``posts.search_vector``, so they are the lexemes the search
index holds — for each band, the ones closest to the band's target:

- ``common``: in at least 10 % of the posts (target 25 %);
- ``mid``: in 0.1–1 % (target 0.3 %);
- ``rare``: in a handful of posts (1–20, target 5). The seeded text is built
  from a small vocabulary, so at large sizes no single lexeme is that rare:
  then the rare query is two (or three) lexemes that must all occur —
  websearch syntax ``a b`` — whose actual count, measured, is a handful.

Every pick is checked to survive ``websearch_to_tsquery`` unchanged (a
lexeme is a stem; stemming a stem can change it) and its real number of
matching posts is measured, so the report states facts, not estimates. The
ranking is pure (``rank``, ``combinations``); ``pick_terms`` does the SQL.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

TERMS_PER_BAND = 3
RARE_MAX_DOCS = 20
RARE_TARGET_DOCS = 5
ALPHABETIC = re.compile(r"^[a-z]{3,}$")
WORDLIKE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
CHECKS = {2: 40, 3: 80}  # SQL counts tried for the combined rare queries, at most, by number of lexemes
EXPECTED_RANGE = (0.25, 12.0)
PER_SHAPE = 6  # posts a combined candidate is expected in (if its lexemes were independent)


@dataclass(frozen=True)
class Band:
    name: str
    low: float  # fraction of posts, inclusive
    high: float  # fraction of posts, inclusive
    target: float  # fraction of posts the picks should be closest to (log scale)
    description: str


BANDS = (
    Band("common", 0.10, 0.90, 0.25, "in ≥ 10% of the posts"),
    Band("mid", 0.001, 0.01, 0.003, "in 0.1–1% of the posts"),
)


@dataclass(frozen=True)
class Term:
    """A search query of one band and the posts it matches."""

    band: str
    query: str  # what goes into ?search= (one lexeme, or lexemes that must all occur)
    posts: int  # matching posts, measured (or ts_stat's ndoc for one lexeme)
    fraction: float  # posts / all posts
    in_band: bool  # False: nothing in the band, this is the closest there is

    def as_dict(self) -> dict:
        return asdict(self)


def rare_band(total: int) -> tuple[int, int]:
    """The rare band in posts: 1 … RARE_MAX_DOCS, kept below the mid band (0.1 %) from 2,000 posts up."""
    if total < 2000:
        return 1, RARE_MAX_DOCS
    return 1, max(1, min(RARE_MAX_DOCS, total // 1000 - 1))


def shape(word: str) -> str:
    """A lexeme with its digits folded: '14m' and '7m' share the shape '#m' (one template slot, rarely together)."""
    return re.sub(r"\d+", "#", word)


def distance(value: float, target: float) -> float:
    """How far a frequency is from the target, on a log scale (factors, not differences)."""
    return abs(math.log(max(value, 1e-12) / target))


def _preference(word: str) -> int:
    """Plain words first, then tokens such as '45m' or '2030', then anything else."""
    return 0 if ALPHABETIC.match(word) else 1 if WORDLIKE.match(word) else 2


def rank(stats: Sequence[tuple[str, int]], total: int, band: Band) -> list[tuple[str, int, bool]]:
    """Lexemes as (word, ndoc, in_band), best first: in the band and closest to its target.

    When nothing is in the band, every lexeme is ranked by closeness (in_band False).
    """
    if total <= 0:
        return []
    usable = [(w, n) for w, n in stats if n > 0 and _preference(w) < 2]
    inside = [(w, n) for w, n in usable if band.low <= n / total <= band.high]
    pool = inside or usable
    ordered = sorted(pool, key=lambda wn: (_preference(wn[0]), distance(wn[1] / total, band.target), wn[0]))
    return [(w, n, bool(inside)) for w, n in ordered]


def rank_rare(stats: Sequence[tuple[str, int]], total: int) -> list[tuple[str, int]]:
    """Single lexemes in the rare band, closest to RARE_TARGET_DOCS first (closeness before plain words)."""
    low, high = rare_band(total)
    inside = [(w, n) for w, n in stats if low <= n <= high and _preference(w) < 2]
    return sorted(inside, key=lambda wn: (distance(wn[1], RARE_TARGET_DOCS), _preference(wn[0]), wn[0]))


def combinations(stats: Sequence[tuple[str, int]], total: int, size: int = 2, pool: int = 400) -> list[tuple[str, ...]]:
    """Groups of lexemes of different shapes whose expected joint count (if independent) is nearest the target.

    Only groups expected in EXPECTED_RANGE posts are kept (a pair of 0.4 % lexemes at a million posts
    is expected in ~16 of them, rarely a handful: then triples are the candidates). The expectation
    only orders the candidates; ``pick`` measures each one.
    """
    if total <= 0:
        return []
    usable = sorted(
        ((w, n) for w, n in stats if n > 0 and _preference(w) < 2), key=lambda wn: (wn[1], _preference(wn[0]), wn[0])
    )
    per_shape: dict[str, int] = {}
    words = []  # the least frequent lexemes, at most PER_SHAPE of one shape (89 lexemes like '14m' crowd out the rest)
    for word, n in usable:
        if per_shape.get(shape(word), 0) < PER_SHAPE:
            per_shape[shape(word)] = per_shape.get(shape(word), 0) + 1
            words.append((word, n))
    words = words[:pool]
    candidates = []
    for group in itertools.combinations(words, size):
        if len({shape(w) for w, _ in group}) < size:
            continue
        expected = total * math.prod(n / total for _, n in group)
        if EXPECTED_RANGE[0] <= expected <= EXPECTED_RANGE[1]:
            candidates.append((distance(expected, RARE_TARGET_DOCS), tuple(sorted(w for w, _ in group))))
    return [words for _, words in sorted(candidates)]


def pick(
    stats: Sequence[tuple[str, int]],
    total: int,
    survives: Callable[[str], bool],
    count: Callable[[str], int],
    per_band: int = TERMS_PER_BAND,
) -> dict[str, list[Term]]:
    """The terms of every band: ``survives(query)`` checks the query parses to itself, ``count`` measures it."""
    picked: dict[str, list[Term]] = {}
    for band in BANDS:
        terms = []
        for word, ndoc, in_band in rank(stats, total, band):
            if len(terms) == per_band:
                break
            # the same count is most likely the same template phrase ('hold' and 'want' of one opener): skip it
            if ndoc not in {t.posts for t in terms} and survives(word):
                terms.append(Term(band.name, word, ndoc, ndoc / total, in_band))
        picked[band.name] = terms
    low, high = rare_band(total)
    rare = [Term("rare", w, n, n / total, True) for w, n in rank_rare(stats, total) if survives(w)][:per_band]
    for size, pool in ((2, 400), (3, 40)):
        checks = 0
        for group in combinations(stats, total, size, pool):
            if len(rare) >= per_band or checks >= CHECKS[size]:
                break
            used = {w for t in rare for w in t.query.split()}
            if used & set(group) or not all(survives(w) for w in group):  # distinct words make distinct queries
                continue
            query = " ".join(group)
            checks += 1
            found = count(query)
            if low <= found <= high:
                rare.append(Term("rare", query, found, found / total, True))
    if not rare:  # nothing rare at all: the least frequent lexeme there is
        fallback = sorted((n, w) for w, n in stats if n > 0 and survives(w))[:1]
        rare = [Term("rare", w, n, n / total, False) for n, w in fallback]
    picked["rare"] = rare
    return picked


def pick_terms(conn, total: int) -> dict[str, list[Term]]:
    """``pick`` on a psycopg connection to the seeded database (ts_stat over every post once)."""
    stats = conn.execute("SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM posts')").fetchall()
    survived: dict[str, bool] = {}

    def survives(word: str) -> bool:
        if word not in survived:
            parsed = conn.execute("SELECT websearch_to_tsquery('english', %s)::text", (word,)).fetchone()[0]
            survived[word] = parsed == f"'{word}'"
        return survived[word]

    def count(query: str) -> int:
        return conn.execute(
            "SELECT count(*) FROM posts WHERE search_vector @@ websearch_to_tsquery('english', %s)", (query,)
        ).fetchone()[0]

    return pick([(w, int(n)) for w, n in stats], total, survives, count)


def pick_from_sample(titles: Sequence[str], total: int) -> dict[str, list[Term]]:
    """For ``--target`` (no database access): words of a sample of titles, frequencies estimated from it."""
    frequency: dict[str, int] = {}
    for title in titles:
        for word in set(re.findall(r"[a-z]{4,}", title.lower())):
            frequency[word] = frequency.get(word, 0) + 1
    sample = len(titles)
    if not sample:
        return {"common": [], "mid": [], "rare": []}
    scaled = [(w, max(1, round(n * total / sample))) for w, n in frequency.items()]
    picked: dict[str, list[Term]] = {}
    for band in BANDS:
        picked[band.name] = [
            Term(band.name, w, n, n / total, in_band) for w, n, in_band in rank(scaled, total, band)[:TERMS_PER_BAND]
        ]
    least = sorted((n, w) for w, n in scaled)[:TERMS_PER_BAND]
    picked["rare"] = [Term("rare", w, n, n / total, False) for n, w in least]
    return picked
