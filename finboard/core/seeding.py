"""Deterministic, realistic demo data, bulk-loaded.

The same ``--seed`` gives the same users, posts and comments on every run and
every database (the benchmark relies on that): rows come from one generator,
with random streams of their own per table, and their derived columns
(cashtags, comment counts, ``post_cashtags``) computed as they are made. Ids
are assigned here (above the current maximum), so rows can reference each
other without a round trip; no per-row ORM work and no per-user password
hashing (every seeded account shares one hash of ``DEMO_PASSWORD``).

Two writers take the same rows:

- PostgreSQL: ``COPY ... FROM STDIN`` in large text chunks, streamed while the
  rows are generated. A large load (``BULK_ROWS``) also switches the counter
  triggers off and recomputes the counters with ``counters.rebuild``, drops the
  foreign keys and secondary indexes of a table that is empty or small next
  to the load and adds them back afterwards (one validating join, one sort),
  loads empty tables with ``COPY FREEZE``, and
  ``ANALYZE``\\s — all in the caller's transaction, so a failure (a clash with
  existing rows, say) leaves the database as it was. The seeded tables are
  locked against concurrent writes meanwhile.
- Anything else (SQLite): batched multi-row INSERTs; the database's own
  triggers keep the counters and the full-text index.
"""

from __future__ import annotations

import random
import re
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from finboard.contract.cashtags import MAX_CASHTAGS_PER_POST
from finboard.core import counters
from finboard.core.models import Category, Comment, Post, PostCashtag, User
from finboard.core.security import hash_password

DEMO_PASSWORD = "finboard-demo"
BATCH = 5000  # rows per INSERT statement (generic writer)
COPY_CHUNK = 4000  # rows per COPY write (PostgreSQL)
NULL = "\\N"  # COPY text format's NULL
SEEDED_POST_COLUMNS = (
    *("id", "author_id", "category_id", "title", "body", "cashtags", "comment_count", "created_at", "updated_at"),
    *("sentiment", "positions"),
)
# From this many posts + comments on, PostgreSQL loads in bulk mode (triggers
# off, counters rebuilt, indexes rebuilt when that pays, ANALYZE).
BULK_ROWS = 50_000
# A table's foreign keys and secondary indexes are dropped, and put back after
# the load, when at least this many rows are loaded into it and it held fewer
# rows than that before.
REINDEX_ROWS = 100_000
# The counter triggers of migration 0002, switched off during a bulk load.
COUNTER_TRIGGERS = {
    "posts": ("posts_counters", "posts_counters_update"),
    "comments": ("comments_counters",),
    "post_cashtags": ("post_cashtags_counters",),
}
Progress = Callable[[str], None]

TICKERS = {
    "stocks": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "NFLX", "INTC", "BRK.B"],
    "crypto": ["BTC", "ETH", "SOL", "ADA", "DOGE", "XRP", "LINK"],
    "dividends": ["KO", "PEP", "JNJ", "O", "SCHD", "VZ", "T", "PG", "MO"],
    "options": ["SPY", "QQQ", "TSLA", "NVDA", "AAPL", "IWM"],
    "macro": ["SPY", "TLT", "GLD", "DXY", "VIX", "UUP"],
    "personal-finance": ["VTI", "VOO", "VXUS", "BND", "SCHD"],
    "earnings": ["AAPL", "MSFT", "NVDA", "AMZN", "JPM", "WMT", "COST", "ORCL"],
    "off-topic": ["BTC", "SPY"],
}
DEFAULT_TICKERS = ["SPY", "BTC"]  # a category not listed above
FALLBACK_TICKER = "SPY"  # the "other" ticker when only one is at hand
TITLE_TEMPLATES = [
    "${t} after earnings: what the guidance really says",
    "Is ${t} still a buy at these levels?",
    "Why I trimmed my ${t} position this week",
    "${t} vs ${u}: which one for the next five years?",
    "Thoughts on ${t} breaking its 200-day moving average",
    "Bear case for ${t} nobody talks about",
    "Dollar-cost averaging into ${t} — month {n} update",
    "${t} dividend safety check",
    "What would make you sell ${t}?",
    "Weekly ${t} covered calls: {n} weeks in",
    "Rate cuts and ${t}: priced in or not?",
    "${t} short interest is climbing again",
]
OPENERS = [
    "I've been holding ${t} for a while and want a sanity check.",
    "Quick write-up after reading the latest filing for ${t}.",
    "Long-time lurker, first post. Curious how people here see ${t}.",
    "Putting my notes on ${t} here so you can poke holes in them.",
]
POINTS = [
    "Revenue growth slowed to **{g}%** year over year, but margins held.",
    "Free cash flow covers the payout about **{c}x**, which looks comfortable.",
    "The valuation sits near **{pe}x** forward earnings, above the five-year average.",
    "Management guided to *low-single-digit* growth next quarter.",
    "Insiders sold roughly ${m}M worth of shares last month.",
    "Implied volatility is elevated into the next catalyst.",
    "Compare with ${u}, which trades at a discount on the same metrics.",
    "Debt matures mostly after 2030, so refinancing risk is limited.",
]
CLOSERS = [
    "Not advice — tell me where I'm wrong.",
    "What am I missing?",
    "Position: small, long-term. Happy to hear the bear case.",
    "Sources: the 10-Q and the earnings call transcript.",
]
COMMENTS = [
    "Good write-up. I'd watch the margin trend more than the headline number.",
    "Agree on ${t}, but the valuation leaves little room for a miss.",
    "I sold half last quarter and sleep better.",
    "The options market is pricing a bigger move than you think.",
    "Have you compared this with ${u}? Similar story, cheaper.",
    "Dividend looks safe to me, payout ratio is fine.",
    "This is why I just buy the index.",
    "Interesting, thanks. Bookmarking this thread.",
    "Rates matter more here than the company itself right now.",
    "Careful with leverage on this one.",
]
USER_PREFIXES = ["value", "dividend", "macro", "theta", "hodl", "quant", "index", "growth", "bond", "chart"]
USER_SUFFIXES = ["investor", "hunter", "watcher", "trader", "saver", "nerd", "fan", "bull", "bear", "guy"]

DAY = 86_400
YEAR = 365 * DAY
POINTS_PER_POST = (2, 4)
COMMENT_DELAY_MINUTES = (1, 60 * 24 * 14)


@dataclass(frozen=True)
class SeedResult:
    users: int
    posts: int
    comments: int


# --- templates -------------------------------------------------------------------
# A template is compiled once into literal parts, ticker slots (T, U) and number
# slots (a tuple of the strings to choose from). Each "${t}" / "${u}" becomes a
# "$TICKER" that ``extract_cashtags`` finds (tests/contract/test_seed_templates.py checks every
# template with every ticker), so a post's cashtags are the tickers it was
# filled with, in order of first appearance: no regex per row.

T, U = 0, 1
NUMBERS = {
    "n": tuple(str(v) for v in range(2, 37)),
    "g": tuple(str(v) for v in range(1, 41)),
    "c": tuple(f"{v / 10:.1f}" for v in range(11, 36)),
    "pe": tuple(str(v) for v in range(9, 46)),
    "m": tuple(str(v) for v in range(2, 91)),
}
_SLOT = re.compile(r"\{(t|u|n|g|c|pe|m)\}")


@dataclass(frozen=True)
class Template:
    parts: tuple  # str literals, T/U ticker slots, tuples of number strings
    tickers: tuple[int, ...]  # the ticker slots in order of appearance
    constant: str | None  # the text, when the template has no slot at all

    @classmethod
    def compile(cls, source: str) -> Template:
        if any(c in source for c in "\\\t\r\n"):
            raise ValueError(f"templates are single-line plain text: {source!r}")
        parts: list = []
        position = 0
        for match in _SLOT.finditer(source):
            if match.start() > position:
                parts.append(source[position : match.start()])
            name = match.group(1)
            parts.append(T if name == "t" else U if name == "u" else NUMBERS[name])
            position = match.end()
        if position < len(source):
            parts.append(source[position:])
        tickers = tuple(p for p in parts if isinstance(p, int))
        constant = source if len(parts) == 1 and isinstance(parts[0], str) else None
        return cls(tuple(parts), tickers, constant)

    def render(self, rnd: Callable[[], float], t: str | None, u: str | None) -> str:
        if self.constant is not None:
            return self.constant
        out = []
        for part in self.parts:
            if part.__class__ is str:
                out.append(part)
            elif part.__class__ is int:
                out.append(t if part == T else u)
            else:
                out.append(part[int(rnd() * len(part))])
        return "".join(out)


def pick_tickers(rnd: Callable[[], float], template: Template, tickers: Sequence[str]) -> tuple[str, str]:
    """The tickers for a template's slots: two different ones when it has both."""
    if not template.tickers:
        return "", ""
    k = len(tickers)
    if k == 1:
        return tickers[0], FALLBACK_TICKER
    if T in template.tickers and U in template.tickers:
        i = int(rnd() * k)
        j = int(rnd() * (k - 1))
        return tickers[i], tickers[j + (j >= i)]
    one = tickers[int(rnd() * k)]
    return one, one


TITLES = tuple(Template.compile(s) for s in TITLE_TEMPLATES)
OPENER_TEMPLATES = tuple(Template.compile(s) for s in OPENERS)
POINT_TEMPLATES = tuple(Template.compile(s) for s in POINTS)
CLOSER_TEMPLATES = tuple(Template.compile(s) for s in CLOSERS)
COMMENT_TEMPLATES = tuple(Template.compile(s) for s in COMMENTS)


# --- the rows ----------------------------------------------------------------------


@dataclass
class Plan:
    """What to generate, and where the new ids start."""

    users: int
    posts: int
    comments: int
    seed: int
    anchor: int  # epoch seconds
    categories: list[tuple[int, str]]  # (id, slug), in display order
    user_base: int = 0
    post_base: int = 0
    comment_base: int = 0
    existing_authors: Sequence[int] = ()

    @property
    def authors(self) -> Sequence[int]:
        if self.users:
            return range(self.user_base + 1, self.user_base + self.users + 1)
        return self.existing_authors


@dataclass
class Generated:
    """Per post, what its cashtag rows and comments need (compact arrays)."""

    created: array = field(default_factory=lambda: array("q"))
    tags: array = field(default_factory=lambda: array("i"))  # index into tag_sets
    tag_sets: list[tuple[str, ...]] = field(default_factory=list)
    tag_text: list[str] = field(default_factory=list)
    post_of_comment: array = field(default_factory=lambda: array("i"))
    comment_counts: array = field(default_factory=lambda: array("i"))


BEARISH_TITLE_WORDS = ("bear case", "trimmed", "short interest")


def seeded_view(mood: Callable[[], float], tickers: tuple[str, ...], title: str = "") -> tuple[str | None, str]:
    """A post's sentiment and disclosure: 30% bullish, 15% bearish (bearish whenever the title reads so);
    most of them state a position on their first ticker (bulls mostly long, bears mostly short), as
    ``posts.positions`` stores it."""
    roll = mood()
    sentiment = "bullish" if roll < 0.30 else "bearish" if roll < 0.45 else None
    if sentiment and any(word in title.lower() for word in BEARISH_TITLE_WORDS):
        sentiment = "bearish"
    if sentiment is None or not tickers:
        return sentiment, ""
    held = mood()
    if sentiment == "bullish":
        position = "long" if held < 0.7 else "none"
    else:
        position = "short" if held < 0.5 else "none"
    return sentiment, f"{tickers[0]}:{position}"


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

    def posts(self) -> Iterator[tuple[int, int, int, str, str, str, int, int, str | None, str]]:
        """(id, author_id, category_id, title, body, cashtags, comment_count, created_at, sentiment, positions).

        Sentiment and disclosure come from a stream of their own, so adding them left
        every other seeded value as it was.
        """
        plan, out, nl = self.plan, self.out, self.nl
        rnd = self._rng("posts")
        mood = self._rng("sentiment")
        categories = [(cid, TICKERS.get(slug, DEFAULT_TICKERS)) for cid, slug in plan.categories]
        authors = plan.authors
        if plan.posts and not authors:
            raise RuntimeError("no users to author posts: seed with --users > 0")
        nc, na, nt, no, nclose = len(categories), len(authors), len(TITLES), len(OPENER_TEMPLATES), len(CLOSERS)
        low, high = POINTS_PER_POST
        point_order = list(range(len(POINT_TEMPLATES)))
        counts, created_out, tags_out = out.comment_counts, out.created, out.tags
        tag_index: dict[tuple[str, ...], int] = {}
        points_sep, closer_sep = nl + "- ", nl + nl + "> "
        closers = [closer_sep + c + nl for c in CLOSERS]
        for i in range(plan.posts):
            category_id, tickers = categories[int(rnd() * nc)]
            seen: list[str] = []
            template = TITLES[int(rnd() * nt)]
            t, u = pick_tickers(rnd, template, tickers)
            title = template.render(rnd, t, u)
            seen += [t if s == T else u for s in template.tickers]
            template = OPENER_TEMPLATES[int(rnd() * no)]
            t, u = pick_tickers(rnd, template, tickers)
            body = [template.render(rnd, t, u), nl]
            seen += [t if s == T else u for s in template.tickers]
            # k different points, in random order (a partial Fisher-Yates shuffle).
            k = low + int(rnd() * (high - low + 1))
            for j in range(k):
                swap = j + int(rnd() * (len(point_order) - j))
                point_order[j], point_order[swap] = point_order[swap], point_order[j]
                template = POINT_TEMPLATES[point_order[j]]
                t, u = pick_tickers(rnd, template, tickers)
                body += (points_sep, template.render(rnd, t, u))
                if template.tickers:
                    seen += [t if s == T else u for s in template.tickers]
            body.append(closers[int(rnd() * nclose)])
            tags = tuple(dict.fromkeys(seen))[:MAX_CASHTAGS_PER_POST]
            slot = tag_index.get(tags)
            if slot is None:
                slot = tag_index[tags] = len(out.tag_sets)
                out.tag_sets.append(tags)
                out.tag_text.append(" ".join(tags))
            created = plan.anchor - int(rnd() * (YEAR + 1))
            created_out.append(created)
            tags_out.append(slot)
            sentiment, positions = seeded_view(mood, tags, title)
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
            )

    def cashtags(self) -> Iterator[tuple[str, int, int]]:
        """(ticker, post_id, created_at), from what ``posts()`` recorded."""
        base, tag_sets, created = self.plan.post_base, self.out.tag_sets, self.out.created
        for i, slot in enumerate(self.out.tags):
            post_id, at = base + i + 1, created[i]
            for ticker in tag_sets[slot]:
                yield ticker, post_id, at

    def comments(self) -> Iterator[tuple[int, int, int, str, int]]:
        """(id, post_id, author_id, body, created_at): after its post, never after the anchor."""
        plan, out = self.plan, self.out
        rnd = self._rng("comments")
        authors = plan.authors
        if plan.comments and not authors:
            raise RuntimeError("no users to author comments: seed with --users > 0")
        na, nt = len(authors), len(COMMENT_TEMPLATES)
        low, high = COMMENT_DELAY_MINUTES
        span = high - low + 1
        anchor, created, tags, tag_sets = plan.anchor, out.created, out.tags, out.tag_sets
        for n, index in enumerate(out.post_of_comment):
            template = COMMENT_TEMPLATES[int(rnd() * nt)]
            if template.constant is not None:
                body = template.constant
            else:
                t, u = pick_tickers(rnd, template, tag_sets[tags[index]] or DEFAULT_TICKERS)
                body = template.render(rnd, t, u)
            at = created[index] + 60 * (low + int(rnd() * span))
            yield (
                plan.comment_base + n + 1,
                plan.post_base + index + 1,
                authors[int(rnd() * na)],
                body,
                at if at < anchor else anchor,
            )


# --- entry point -------------------------------------------------------------------


def seed(
    session: Session,
    *,
    users: int,
    posts: int,
    comments: int,
    seed: int = 42,
    anchor: datetime | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Insert deterministic demo data in the session's transaction; the caller commits.

    Raises ValueError for impossible counts (negative, or comments without
    posts), RuntimeError when the database isn't ready (no categories, no
    authors) and sqlalchemy's IntegrityError when the rows clash with existing
    ones (this seed already loaded); roll back on any of them.
    """
    if min(users, posts, comments) < 0:
        raise ValueError("users, posts and comments can't be negative")
    if comments and not posts:
        raise ValueError("comments need posts")
    anchor = anchor or datetime(2026, 11, 1, tzinfo=UTC)
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    categories = session.execute(select(Category.id, Category.slug).order_by(Category.position, Category.id)).all()
    if not categories:
        raise RuntimeError("no categories: run `flask db upgrade` first")
    plan = Plan(
        users=users,
        posts=posts,
        comments=comments,
        seed=seed,
        anchor=int(anchor.timestamp()),
        categories=[(cid, slug) for cid, slug in categories],
    )
    report = _Reporter(progress)
    if session.get_bind().dialect.name == "postgresql":
        _PostgresLoader(session, plan, report).load()
    else:
        _load_generic(session, plan, report)
    return SeedResult(users=users, posts=posts, comments=comments)


class _Reporter:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.started = self.last = time.perf_counter()

    def __call__(self, what: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        if self.progress:
            count = f"{rows:,} rows " if rows is not None else ""
            self.progress(f"  {what}: {count}in {now - self.last:.1f}s (total {now - self.started:.1f}s)")
        self.last = now


def _resolve_authors(session: Session, plan: Plan) -> None:
    """Seeded posts are by the seeded users or, with ``users=0``, by the existing ones."""
    if not plan.users and plan.posts:
        plan.existing_authors = array("i", session.scalars(select(User.id).order_by(User.id)))
        if not plan.existing_authors:
            raise RuntimeError("no users to author posts: seed with --users > 0")


# --- generic writer (SQLite and anything else) ---------------------------------------


def _at(epoch: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)


def _insert(session: Session, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    batch: list[dict] = []
    written = 0
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= BATCH:
            session.execute(insert(model), batch)
            written += len(batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)
        written += len(batch)
    return written


def _load_generic(session: Session, plan: Plan, report: _Reporter) -> None:
    plan.user_base = session.scalar(select(func.coalesce(func.max(User.id), 0)))
    plan.post_base = session.scalar(select(func.coalesce(func.max(Post.id), 0)))
    plan.comment_base = session.scalar(select(func.coalesce(func.max(Comment.id), 0)))
    _resolve_authors(session, plan)
    gen = Generator(plan)
    gen.assign_comments()
    password_hash = hash_password(DEMO_PASSWORD) if plan.users else ""
    n = _insert(
        session,
        User,
        ("id", "username", "email", "password_hash", "role", "token_version", "created_at"),
        ((uid, name, email, password_hash, "member", 0, _at(at)) for uid, name, email, at in gen.users()),
    )
    report("users", n)
    n = _insert(
        session,
        Post,
        SEEDED_POST_COLUMNS,
        ((*row[:7], _at(row[7]), _at(row[7]), row[8], row[9]) for row in gen.posts()),
    )
    report("posts", n)
    n = _insert(
        session, PostCashtag, ("ticker", "post_id", "created_at"), ((t, p, _at(at)) for t, p, at in gen.cashtags())
    )
    report("post_cashtags", n)
    n = _insert(
        session,
        Comment,
        ("id", "post_id", "author_id", "body", "created_at"),
        ((*row[:4], _at(row[4])) for row in gen.comments()),
    )
    report("comments", n)
    session.flush()


# --- PostgreSQL writer ---------------------------------------------------------------


class _Timestamps:
    """Epoch seconds as COPY text ("2026-05-01 13:45:07+00") by two table lookups."""

    def __init__(self, oldest: int, newest: int) -> None:
        self.base = oldest - oldest % DAY
        start = _at(self.base)
        days = (newest - self.base) // DAY + 1
        self.days = [(start + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)]
        self.times = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]

    def formatter(self) -> Callable[[int], str]:
        base, days, times = self.base, self.days, self.times

        def fmt(epoch: int) -> str:
            d, s = divmod(epoch - base, DAY)
            return days[d] + times[s]

        return fmt


class _PostgresLoader:
    TABLES = ("users", "posts", "post_cashtags", "comments")

    def __init__(self, session: Session, plan: Plan, report: _Reporter) -> None:
        self.session, self.plan, self.report = session, plan, report
        self.raw = session.connection().connection.driver_connection  # psycopg.Connection
        self.statement = ""

    def sql(self, statement: str, params: tuple | None = None) -> list[tuple]:
        self.statement = statement
        with self.raw.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def load(self) -> None:
        import psycopg

        try:
            self._load()
        except psycopg.Error as exc:
            raise DBAPIError.instance(self.statement, None, exc, psycopg.Error) from exc

    def _load(self) -> None:
        plan, report = self.plan, self.report
        total = plan.posts + plan.comments
        bulk = total >= BULK_ROWS and total > 0
        # Writers wait until this transaction ends; readers too once a bulk load truncates or drops indexes.
        self.sql(f"LOCK TABLE {', '.join(self.TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        if bulk:
            self.sql("SET LOCAL maintenance_work_mem = '1GB'")
            self.sql("SET LOCAL statement_timeout = 0")
            self.sql("SET LOCAL synchronous_commit = off")
        plan.user_base = self._id_base("users")
        plan.post_base = self._id_base("posts")
        plan.comment_base = self._id_base("comments")
        _resolve_authors(self.session, plan)
        gen = Generator(plan, newline="\\n")
        gen.assign_comments()
        expected = {"posts": plan.posts, "comments": plan.comments, "post_cashtags": plan.posts * 2}
        freeze = bulk and plan.posts > 0 and self._truncate_if_empty()
        restore: list[str] = []
        triggers: dict[str, list[str]] = {}
        if bulk:
            triggers = self._counter_triggers()
            for table, names in triggers.items():
                self.sql(f"ALTER TABLE {table} " + ", ".join(f"DISABLE TRIGGER {n}" for n in names))
            for table in ("posts", "post_cashtags", "comments"):
                restore += self._set_aside(table, expected[table])
        report("prepare")

        ts = _Timestamps(plan.anchor - 2 * YEAR - DAY, plan.anchor).formatter()
        if plan.users:
            password_hash = hash_password(DEMO_PASSWORD).replace("\\", "\\\\")  # COPY text escapes "\"
            tail = f"\t{password_hash}\tmember\t0\t"
            n = self._copy(
                "users (id, username, email, password_hash, role, token_version, created_at)",
                (f"{uid}\t{name}\t{email}{tail}{ts(at)}\n" for uid, name, email, at in gen.users()),
            )
            report("users", n)
        n = self._copy(
            "posts (id, author_id, category_id, title, body, cashtags, comment_count, created_at, updated_at, "
            "sentiment, positions)",
            (
                f"{p}\t{a}\t{c}\t{t}\t{b}\t{tags}\t{count}\t{ts(at)}\t{ts(at)}\t{view or NULL}\t{held}\n"
                for p, a, c, t, b, tags, count, at, view, held in gen.posts()
            ),
            freeze,
        )
        report("posts", n)
        n = self._copy(
            "post_cashtags (ticker, post_id, created_at)",
            (f"{t}\t{p}\t{ts(at)}\n" for t, p, at in gen.cashtags()),
            freeze,
        )
        report("post_cashtags", n)
        n = self._copy(
            "comments (id, post_id, author_id, body, created_at)",
            (f"{c}\t{p}\t{a}\t{b}\t{ts(at)}\n" for c, p, a, b, at in gen.comments()),
            freeze,
        )
        report("comments", n)

        if restore:
            for statement in restore:
                self.sql(statement)
            report("foreign keys checked, indexes rebuilt")
        if bulk:
            if triggers:
                counters.rebuild(self.session.connection())
                for table, names in triggers.items():
                    self.sql(f"ALTER TABLE {table} " + ", ".join(f"ENABLE TRIGGER {n}" for n in names))
                report("counters")
            present = [t for t in (*self.TABLES, *counters.COUNTER_TABLES) if self._exists(t)]
            self.sql(f"ANALYZE {', '.join(present)}")
            report("analyze")
        # Last: setval is not undone by a rollback (a gap in the ids is all a later failure leaves).
        for table, base, count in (
            ("users", plan.user_base, plan.users),
            ("posts", plan.post_base, plan.posts),
            ("comments", plan.comment_base, plan.comments),
        ):
            if count:
                self._advance_sequence(table, base + count)

    # -- helpers --

    def _copy(self, target: str, lines: Iterable[str], freeze: bool = False) -> int:
        self.statement = f"COPY {target} FROM STDIN" + (" WITH (FREEZE)" if freeze else "")
        written = 0
        with self.raw.cursor() as cur, cur.copy(self.statement) as copy:
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= COPY_CHUNK:
                    copy.write("".join(chunk))
                    written += len(chunk)
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
                written += len(chunk)
        return written

    def _exists(self, table: str) -> bool:
        return self.sql("SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0]

    def _id_base(self, table: str) -> int:
        """Above both the largest id and anything the id sequence has handed out."""
        (highest,) = self.sql(f"SELECT coalesce(max(id), 0) FROM {table}")[0]  # nosec B608 - fixed table names
        (sequence,) = self.sql("SELECT pg_get_serial_sequence(%s, 'id')", (table,))[0]
        if sequence:
            last, called = self.sql(f"SELECT last_value, is_called FROM {sequence}")[0]  # nosec B608 - a name from pg_get_serial_sequence
            highest = max(highest, last if called else last - 1)
        return highest

    def _advance_sequence(self, table: str, last_id: int) -> None:
        (sequence,) = self.sql("SELECT pg_get_serial_sequence(%s, 'id')", (table,))[0]
        if sequence:
            self.sql("SELECT setval(%s, %s)", (sequence, last_id))

    def _counter_triggers(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for table, names in COUNTER_TRIGGERS.items():
            rows = self.sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal "
                "AND tgname = ANY(%s) ORDER BY tgname",
                (table, list(names)),
            )
            if rows:
                found[table] = [r[0] for r in rows]
        return found

    def _truncate_if_empty(self) -> bool:
        """Empty the (already empty) post tables in this transaction, so COPY FREEZE may load them.

        Frozen rows are visible to everyone without hint-bit writes and their
        pages are all-visible at once (index-only scans, no first VACUUM).
        Only when nothing else references these tables (TRUNCATE would refuse).
        """
        tables = ("posts", "post_cashtags", "comments")
        if any(self.sql(f"SELECT EXISTS (SELECT 1 FROM {t})")[0][0] for t in tables):  # nosec B608 - fixed table names
            return False
        others = self.sql(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY(%s::regclass[]) "
            "AND NOT conrelid = ANY(%s::regclass[])",
            (list(tables), list(tables)),
        )[0][0]
        if others:
            return False
        self.sql(f"TRUNCATE {', '.join(tables)}")
        return True

    def _set_aside(self, table: str, rows: int) -> list[str]:
        """Drop the table's foreign keys and plain secondary indexes when the load dwarfs the table.

        Checking a foreign key row by row costs more than the COPY itself, and
        so does inserting into indexes row by row: one validating
        ``ADD CONSTRAINT`` (a single join) and one ``CREATE INDEX`` (a sort)
        after the load are many times faster, and check and build exactly the
        same thing. Returns the statements that put them back, from their
        catalog definitions. Primary keys, unique indexes and indexes behind
        constraints stay (they catch clashes as rows arrive).
        """
        if rows < REINDEX_ROWS:
            return []
        (existing,) = self.sql(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) s", (rows,))[0]  # nosec B608 - fixed table names
        if existing >= rows:
            return []
        foreign_keys = self.sql(
            "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
            (table,),
        )
        indexes = self.sql(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary AND NOT i.indisunique "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid",
            (table,),
        )
        restore = []
        if foreign_keys:
            self.sql(f"ALTER TABLE {table} " + ", ".join(f"DROP CONSTRAINT {name}" for name, _ in foreign_keys))
            restore.append(
                f"ALTER TABLE {table} "
                + ", ".join(f"ADD CONSTRAINT {name} {definition}" for name, definition in foreign_keys)
            )
        for name, definition in indexes:
            self.sql(f"DROP INDEX {name}")
            restore.append(definition)
        return restore
