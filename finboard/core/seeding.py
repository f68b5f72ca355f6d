"""Deterministic, realistic demo data, bulk-inserted.

The same ``--seed`` gives the same users, posts and comments on every run and
every database (the benchmark relies on that). Rows are generated in Python
with their derived columns (cashtags, comment counts) already right and
inserted in large batches; no per-row ORM work, no per-user password hashing
(every seeded account shares one hash of ``DEMO_PASSWORD``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from finboard.core.models import Category, Comment, Post, PostCashtag, User
from finboard.core.security import hash_password
from finboard.core.text import extract_cashtags

DEMO_PASSWORD = "finboard-demo"
BATCH = 5000

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


@dataclass(frozen=True)
class SeedResult:
    users: int
    posts: int
    comments: int


def _fill(template: str, rng: random.Random, tickers: list[str]) -> str:
    t, u = rng.sample(tickers, 2) if len(tickers) > 1 else (tickers[0], "SPY")
    return (
        template.replace("{t}", t)
        .replace("{u}", u)
        .replace("{n}", str(rng.randint(2, 36)))
        .replace("{g}", str(rng.randint(1, 40)))
        .replace("{c}", f"{rng.uniform(1.1, 3.5):.1f}")
        .replace("{pe}", str(rng.randint(9, 45)))
        .replace("{m}", str(rng.randint(2, 90)))
    )


def _post_body(rng: random.Random, tickers: list[str]) -> str:
    points = "\n".join(f"- {_fill(p, rng, tickers)}" for p in rng.sample(POINTS, rng.randint(2, 4)))
    return f"{_fill(rng.choice(OPENERS), rng, tickers)}\n\n{points}\n\n> {_fill(rng.choice(CLOSERS), rng, tickers)}\n"


def _spread(rng: random.Random, anchor: datetime, days: int) -> datetime:
    return anchor - timedelta(seconds=rng.randint(0, days * 86400))


def _batches(rows: list[dict], size: int = BATCH) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed(
    session: Session,
    *,
    users: int,
    posts: int,
    comments: int,
    seed: int = 42,
    anchor: datetime | None = None,
) -> SeedResult:
    """Insert deterministic demo data; the caller commits."""
    rng = random.Random(seed)
    anchor = anchor or datetime(2026, 11, 1, tzinfo=UTC)
    categories = session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    if not categories:
        raise RuntimeError("no categories: run `flask db upgrade` first")
    password_hash = hash_password(DEMO_PASSWORD)

    user_rows = []
    for i in range(users):
        name = f"{rng.choice(USER_PREFIXES)}_{rng.choice(USER_SUFFIXES)}{i + 1}"
        user_rows.append(
            {
                "username": name,
                "email": f"{name}@example.com",
                "password_hash": password_hash,
                "role": "member",
                "token_version": 0,
                "created_at": _spread(rng, anchor - timedelta(days=365), 365),
            }
        )
    user_ids: list[int] = []
    for batch in _batches(user_rows):
        user_ids += session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), batch).all()
    if not user_ids:
        user_ids = list(session.scalars(select(User.id)).all())
    if not user_ids and posts:
        raise RuntimeError("no users to author posts: seed with --users > 0")

    # Comments are assigned to posts first, so each post row carries its count.
    post_of_comment = [rng.randrange(posts) for _ in range(comments)] if posts else []
    counts = [0] * posts
    for index in post_of_comment:
        counts[index] += 1

    post_rows, post_tags = [], []
    for i in range(posts):
        category = rng.choice(categories)
        tickers = TICKERS.get(category.slug, ["SPY", "BTC"])
        title = _fill(rng.choice(TITLE_TEMPLATES), rng, tickers)[:200]
        body = _post_body(rng, tickers)
        created = _spread(rng, anchor, 365)
        tags = extract_cashtags(title, body)
        post_tags.append(tags)
        post_rows.append(
            {
                "author_id": rng.choice(user_ids),
                "category_id": category.id,
                "title": title,
                "body": body,
                "cashtags": " ".join(tags),
                "comment_count": counts[i],
                "created_at": created,
                "updated_at": created,
            }
        )
    post_ids: list[int] = []
    for batch in _batches(post_rows):
        post_ids += session.scalars(insert(Post).returning(Post.id, sort_by_parameter_order=True), batch).all()

    tag_rows = [
        {"ticker": t, "post_id": pid, "created_at": row["created_at"]}
        for pid, tags, row in zip(post_ids, post_tags, post_rows, strict=True)
        for t in tags
    ]
    for batch in _batches(tag_rows):
        session.execute(insert(PostCashtag), batch)

    comment_rows = []
    for index in post_of_comment:
        tickers = post_tags[index] or ["SPY", "BTC"]
        comment_rows.append(
            {
                "post_id": post_ids[index],
                "author_id": rng.choice(user_ids),
                "body": _fill(rng.choice(COMMENTS), rng, tickers if len(tickers) > 1 else tickers + ["SPY"]),
                "created_at": min(
                    anchor, post_rows[index]["created_at"] + timedelta(minutes=rng.randint(1, 60 * 24 * 14))
                ),
            }
        )
    for batch in _batches(comment_rows):
        session.execute(insert(Comment), batch)
    session.flush()
    return SeedResult(users=len(user_rows), posts=len(post_rows), comments=len(comment_rows))
