"""The five pages of issue 19's table, on each board, and how to tell that a page is the right one.

Why it exists: a throughput number is only worth something if every answer was the page asked
for. Each target knows, from its board's own database, what the page must contain — the ids of
the rows it lists (FinBoard's ``/posts/<id>`` links, FlaskBB's ``/topic/<id>-`` links and
``pid<id>`` anchors), the thread's title, the index's totals — and ``verify`` fetches it once and
checks all of it before anything is measured. The last of those strings (``marker``), always a
row's link or anchor, is then checked on every answer during the measurement (measure.py's wrk
script counts the misses).

The two boards hold the same rows (seed_flaskbb.py copies FinBoard's): a FinBoard post is the
FlaskBB topic with the same id, a category the forum of the same name.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import psycopg
from markupsafe import escape

PER_PAGE = 20  # both boards (seed_flaskbb.py sets FlaskBB's topics_per_page)
PAGES = ("index", "category page 1", "deep category page", "post with 3 comments", "search")
BOARDS = ("flaskbb", "finboard-cached", "finboard-uncached")


class PageError(RuntimeError):
    """A page is not what it must be: the run stops before measuring anything."""


@dataclass
class Target:
    """One page on one board: the request wrk repeats and what every answer must contain."""

    page: str
    board: str
    path: str
    markers: list[str]  # all of them, in the one-shot check
    marker: str = ""  # the one wrk checks in every answer
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)  # what the page shows (ids, counts), for the results file

    def as_dict(self) -> dict:
        return {
            "page": self.page,
            "board": self.board,
            "method": self.method,
            "path": self.path,
            "marker": self.marker,
            "markers": self.markers,
            "facts": self.facts,
        }


def _rows(conn: psycopg.Connection, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def finboard_targets(dsn: str, term: str) -> list[Target]:
    """FinBoard's five pages (the same for the cached and the uncached server)."""
    with psycopg.connect(dsn) as conn:
        visible = "hidden_at IS NULL"
        newest = _rows(conn, f"SELECT id, title FROM posts WHERE {visible} ORDER BY created_at DESC, id DESC LIMIT 20")
        slug, name, category_id, size = _rows(
            conn,
            f"SELECT c.slug, c.name, c.id, count(*) FROM posts p JOIN categories c ON c.id = p.category_id "
            f"WHERE p.{visible} GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1",
        )[0]
        in_category = (
            f"SELECT id, title FROM posts WHERE {visible} AND category_id = %s ORDER BY created_at DESC, id DESC"
        )
        first_page = _rows(conn, in_category + " LIMIT 20", category_id)
        deep = size // PER_PAGE  # the deepest full page
        deep_rows = _rows(conn, in_category + " LIMIT 20 OFFSET %s", category_id, (deep - 1) * PER_PAGE)
        # A post with exactly three comments, from the middle of the ids (not the oldest, not the newest).
        post_id, title = _rows(
            conn,
            f"SELECT id, title FROM posts WHERE {visible} AND comment_count = 3 "
            "ORDER BY abs(id - (SELECT max(id) / 2 FROM posts)), id LIMIT 1",
        )[0]
        comments = [r[0] for r in _rows(conn, "SELECT id FROM comments WHERE post_id = %s ORDER BY id", post_id)]
    if len(comments) != 3:
        raise PageError(f"FinBoard post {post_id} has {len(comments)} comments, expected 3")
    card = lambda pid: f'/posts/{pid}"'  # noqa: E731 - a card's link to its post
    return [
        Target(
            "index",
            "finboard",
            "/",
            [str(escape(newest[0][1]))] + [card(i) for i, _ in newest],
            facts={"posts_listed": [i for i, _ in newest]},
        ),
        Target(
            "category page 1",
            "finboard",
            f"/c/{slug}",
            [str(escape(name))] + [card(i) for i, _ in first_page],
            facts={"category": slug, "posts_in_category": size, "posts_listed": [i for i, _ in first_page]},
        ),
        Target(
            "deep category page",
            "finboard",
            f"/c/{slug}?page={deep}",
            [card(i) for i, _ in deep_rows],
            facts={
                "category": slug,
                "page": deep,
                "rows_before": (deep - 1) * PER_PAGE,
                "posts_listed": [i for i, _ in deep_rows],
            },
        ),
        Target(
            "post with 3 comments",
            "finboard",
            f"/posts/{post_id}",
            [str(escape(title))] + [f'id="comment-{c}"' for c in comments],
            facts={"post": post_id, "comments": comments},
        ),
        Target("search", "finboard", "/search?" + urllib.parse.urlencode({"q": term}), [], facts={"term": term}),
    ]


def flaskbb_targets(dsn: str, finboard: list[Target]) -> list[Target]:
    """FlaskBB's counterparts of FinBoard's pages (the same category, depth, thread and term)."""
    fb = {t.page: t for t in finboard}
    category, post = fb["category page 1"].facts, fb["post with 3 comments"].facts
    with psycopg.connect(dsn) as conn:
        forums = _rows(
            conn, "SELECT id, title, topic_count, post_count, last_post_id FROM forums ORDER BY position, id"
        )
        ((users,),) = _rows(conn, "SELECT count(*) FROM users")
        ((topics,),) = _rows(conn, "SELECT count(*) FROM topics")
        ((posts,),) = _rows(conn, "SELECT count(*) FROM posts")
        forum_id, title = _rows(
            conn,
            "SELECT forum_id, (SELECT title FROM forums f WHERE f.id = t.forum_id) FROM topics t WHERE t.id = %s",
            category["posts_listed"][0],
        )[0]
        listing = "SELECT id FROM topics WHERE forum_id = %s AND NOT hidden ORDER BY important DESC, last_updated DESC"
        first_page = [r[0] for r in _rows(conn, listing + " LIMIT 20", forum_id)]
        deep = fb["deep category page"].facts["page"]
        deep_rows = [r[0] for r in _rows(conn, listing + " LIMIT 20 OFFSET %s", forum_id, (deep - 1) * PER_PAGE)]
        thread = [r[0] for r in _rows(conn, "SELECT id FROM posts WHERE topic_id = %s ORDER BY id", post["post"])]
        ((topic_title,),) = _rows(conn, "SELECT title FROM topics WHERE id = %s", post["post"])
    if len(thread) != 4:
        raise PageError(f"FlaskBB topic {post['post']} has {len(thread)} posts, expected 4 (the post and 3 replies)")
    topic = lambda tid: f"/topic/{tid}-"  # noqa: E731 - a topic row's link (id, then the slug)
    totals = [
        f"Total number of topics: <strong>{topics}</strong>",
        f"Total number of posts: <strong>{posts}</strong>",
        f"Total number of registered users: <strong>{users}</strong>",
    ]
    index_markers = totals + [str(escape(t)) for _, t, *_ in forums] + [f'href="/post/{f[4]}"' for f in forums]
    return [
        Target(
            "index",
            "flaskbb",
            "/",
            index_markers,
            facts={
                "forums": [
                    dict(zip(("id", "title", "topic_count", "post_count", "last_post_id"), f, strict=True))
                    for f in forums
                ],
                "topics": topics,
                "posts": posts,
                "users": users,
            },
        ),
        Target(
            "category page 1",
            "flaskbb",
            f"/forum/{forum_id}",
            [str(escape(title))] + [topic(t) for t in first_page],
            facts={"forum": forum_id, "topics_listed": first_page},
        ),
        Target(
            "deep category page",
            "flaskbb",
            f"/forum/{forum_id}?page={deep}",
            [topic(t) for t in deep_rows],
            facts={"forum": forum_id, "page": deep, "topics_listed": deep_rows},
        ),
        Target(
            "post with 3 comments",
            "flaskbb",
            f"/topic/{post['post']}",
            [str(escape(topic_title))] + [f'id="pid{p}"' for p in thread],
            facts={"topic": post["post"], "posts": thread},
        ),
        Target("search", "flaskbb", "/search", [], method="POST", facts={"term": fb["search"].facts["term"]}),
    ]


def fetch(base: str, target: Target, timeout: float = 60) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - our own local servers, http only
        base + target.path,
        method=target.method,
        headers=target.headers,
        data=target.body.encode() if target.body is not None else None,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own local servers
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def prepare_flaskbb_search(base: str, target: Target) -> None:
    """FlaskBB's search is a POST of its form, CSRF token included: get one with its session cookie."""
    with urllib.request.urlopen(base + "/search", timeout=30) as response:  # noqa: S310 - our own local server
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        html = response.read().decode()
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    token = re.search(r'value="([^"]+)"', tag.group(0)) if tag else None
    if not token or not cookies:
        raise PageError(f"FlaskBB's search form: CSRF token {'found' if token else 'missing'}, cookies {cookies}")
    fields = {"search_query": target.facts["term"], "search_type": "forum", "content_type": "topic"}
    target.body = urllib.parse.urlencode({"csrf_token": token.group(1), **fields})
    target.headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies)}


def verify(base: str, target: Target, dsn: str) -> None:
    """Fetch the page once: 200 and every marker; for search, the results are checked against the rows."""
    status, html = fetch(base, target)
    if status != 200:
        raise PageError(f"{target.board} {target.page} {target.path}: HTTP {status}")
    if target.page == "search":
        _search_results(target, html, dsn)
    missing = [m for m in target.markers if m not in html]
    if missing:
        raise PageError(
            f"{target.board} {target.page} {target.path}: missing {missing[:5]} ({len(missing)} of "
            f"{len(target.markers)} expected strings)"
        )
    target.marker = target.markers[-1]


def _search_results(target: Target, html: str, dsn: str) -> None:
    """Which rows the result page shows; each must contain the term (title or text)."""
    term = target.facts["term"]
    if target.board == "flaskbb":  # topics: their title and opening post, like a FinBoard post
        ids = [int(i) for i in re.findall(r'<strong><a href="/topic/(\d+)-', html)]
        sql = (
            "SELECT count(*) FROM topics t JOIN posts p ON p.id = t.first_post_id WHERE t.id = ANY(%s) "
            "AND (p.content ILIKE %s OR t.title ILIKE %s)"
        )
        target.markers = [f"/topic/{i}-" for i in ids]
    else:
        ids = [int(i) for i in re.findall(r'id="post-(\d+)-title"', html)]
        sql = "SELECT count(*) FROM posts WHERE id = ANY(%s) AND (body ILIKE %s OR title ILIKE %s)"
        target.markers = [f'/posts/{i}"' for i in ids]
    if not ids:
        raise PageError(f"{target.board} search for {term!r} shows no results")
    with psycopg.connect(dsn) as conn:
        ((matching,),) = _rows(conn, sql, ids, f"%{term}%", f"%{term}%")
    if matching != len(ids):
        raise PageError(f"{target.board} search for {term!r}: {len(ids) - matching} of {len(ids)} results lack it")
    target.facts["results_shown"] = len(ids)
    target.facts["first_results"] = ids[:20]
