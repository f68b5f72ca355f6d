"""What the fan-out's block check costs: one post to N ticker followers, three ways.

``no-check``: the INSERT ... SELECT as before issue 17 (no NOT EXISTS); ``check, 0 blocks``:
today's statement with ``user_blocks`` empty; ``check, N/10 blocks``: a tenth of the
followers block the author (they must be skipped). Each variant runs ``REPEATS`` times on
one PostgreSQL database (notifications deleted between runs), alternating variants so the
machine's noise spreads over all three; the median and the range are printed as JSON.

    flock /tmp/finboard-bench.lock env PYTHONPATH=. python docs/benchmarks/2026-12-07-blocks/fanout_blocks.py 20000 5
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from finboard.core import account_queries, content_writes, jobs
from finboard.core.models import Category
from finboard.rawsql import fanout
from tests.databases import postgres_database
from tests.jobs_support import add_followers

CHECK = "AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = a.user_id AND b.blocked_id = e.author_id) "


def main(followers: int, repeats: int) -> dict:
    with postgres_database("finboard_blocks_bench") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            author = account_queries.create_user(session, "author", "author@example.com", "x")
            add_followers(session, "AAPL", followers)
            category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
            post = content_writes.create_post(session, author, category, "On $AAPL", "Long.")
            session.commit()
            author_id, post_id = author.id, post.id
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        with_check = fanout._INSERT
        variants = {"no-check": with_check.replace(CHECK, ""), "check, 0 blocks": with_check,
                    f"check, {followers // 10} blocks": with_check}  # fmt: skip
        assert CHECK in with_check
        times: dict[str, list[float]] = {name: [] for name in variants}
        told: dict[str, int] = {}
        for _ in range(repeats):
            for name, statement in variants.items():
                with engine.begin() as conn:
                    conn.execute(text("DELETE FROM notifications"))
                    conn.execute(text("DELETE FROM user_blocks"))
                    if "blocks" in name and not name.endswith(" 0 blocks"):
                        conn.execute(
                            text("INSERT INTO user_blocks (blocker_id, blocked_id) SELECT id, :a FROM users "
                                 "WHERE username LIKE 'fan%' AND id % 10 = 0"),
                            {"a": author_id},
                        )  # fmt: skip
                fanout._INSERT = statement
                with Session(engine) as session, session.begin():
                    started = time.perf_counter()
                    told[name] = jobs.run_fanout(session, "post", post_id)
                    times[name].append(time.perf_counter() - started)
        fanout._INSERT = with_check
        engine.dispose()
    return {
        name: {"median_s": round(statistics.median(runs), 3), "min_s": round(min(runs), 3),
               "max_s": round(max(runs), 3), "notified": told[name]}
        for name, runs in times.items()
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps({"followers": int(sys.argv[1]), **main(int(sys.argv[1]), int(sys.argv[2]))}, indent=1))
