"""The read requests every backend must answer identically (seeded data only).

Each case: (id, method, path, path template in the OpenAPI document, expected status).
The expected status guards against every backend being wrong the same way.
"""

from __future__ import annotations

P = "/api/v1"
LIST = "/api/v1/posts"
ONE = "/api/v1/posts/{post_id}"
COMMENTS = "/api/v1/posts/{post_id}/comments"
LONG = "x" * 10_240


def fill_placeholders(path: str, author: str, cursors: dict[str, str] | None = None) -> str:
    """A case's path with {AUTHOR} / {author} (the seeded author, upper / lower case) and the cursors filled in."""
    path = path.replace("{AUTHOR}", author.upper()).replace("{author}", author.lower())
    for name, cursor in (cursors or {}).items():
        path = path.replace("{" + name + "}", cursor)
    return path


READ_CASES = [
    ("list-default", "GET", f"{P}/posts", LIST, 200),
    ("list-page-2", "GET", f"{P}/posts?page=2&per_page=7", LIST, 200),
    ("list-last-page", "GET", f"{P}/posts?page=9&per_page=10", LIST, 200),
    ("list-past-end", "GET", f"{P}/posts?page=500", LIST, 200),
    ("list-numbered-too-deep", "GET", f"{P}/posts?page=501", LIST, 422),
    ("list-numbered-too-deep-per-page", "GET", f"{P}/posts?page=101&per_page=100", LIST, 422),
    ("cursor", "GET", f"{P}/posts?per_page=7&cursor=" + "{CURSOR_NEW}", LIST, 200),
    ("cursor-old", "GET", f"{P}/posts?sort=old&per_page=7&cursor=" + "{CURSOR_OLD}", LIST, 200),
    ("cursor-comments", "GET", f"{P}/posts?sort=comments&per_page=7&cursor=" + "{CURSOR_COMMENTS}", LIST, 200),
    ("cursor-filtered", "GET", f"{P}/posts?category=crypto&cashtag=BTC&per_page=3&cursor=" + "{CURSOR_NEW}", LIST, 200),
    ("cursor-cashtag", "GET", f"{P}/posts?cashtag=BTC&per_page=3&cursor=" + "{CURSOR_NEW}", LIST, 200),
    ("cursor-garbage", "GET", f"{P}/posts?cursor=not-a-cursor", LIST, 422),
    ("cursor-forged", "GET", f"{P}/posts?cursor=bi45OTk5OTk5OTk5OTk5OTk5OTk5OTk5Ljk5", LIST, 422),
    ("cursor-wrong-sort", "GET", f"{P}/posts?sort=old&cursor=" + "{CURSOR_NEW}", LIST, 422),
    ("cursor-with-page", "GET", f"{P}/posts?page=2&cursor=" + "{CURSOR_NEW}", LIST, 422),
    ("cursor-empty", "GET", f"{P}/posts?cursor=", LIST, 200),
    ("cursor-too-long", "GET", f"{P}/posts?cursor={'A' * 300}", LIST, 422),
    ("list-per-page-100", "GET", f"{P}/posts?per_page=100", LIST, 200),
    ("list-per-page-1", "GET", f"{P}/posts?per_page=1", LIST, 200),
    ("list-per-page-0", "GET", f"{P}/posts?per_page=0", LIST, 422),
    ("list-per-page-101", "GET", f"{P}/posts?per_page=101", LIST, 422),
    ("list-page-0", "GET", f"{P}/posts?page=0", LIST, 422),
    ("list-page-not-int", "GET", f"{P}/posts?page=abc", LIST, 422),
    ("list-page-float", "GET", f"{P}/posts?page=1.5", LIST, 422),
    ("list-page-huge", "GET", f"{P}/posts?page=99999999999999999999", LIST, 422),
    ("list-repeated-param", "GET", f"{P}/posts?per_page=5&per_page=50", LIST, 200),
    ("list-unknown-param", "GET", f"{P}/posts?foo=bar&per_page=3", LIST, 200),
    ("sort-old", "GET", f"{P}/posts?sort=old&per_page=5", LIST, 200),
    ("sort-comments", "GET", f"{P}/posts?sort=comments&per_page=5", LIST, 200),
    ("sort-bogus", "GET", f"{P}/posts?sort=popular", LIST, 422),
    ("category", "GET", f"{P}/posts?category=crypto", LIST, 200),
    ("category-unknown", "GET", f"{P}/posts?category=no-such-thing", LIST, 404),
    ("category-unknown-with-cashtag", "GET", f"{P}/posts?category=no-such-thing&cashtag=BTC", LIST, 404),
    ("category-known-empty-page", "GET", f"{P}/posts?category=crypto&page=400", LIST, 200),
    ("category-bad-slug", "GET", f"{P}/posts?category=Not%20A%20Slug", LIST, 422),
    ("author", "GET", f"{P}/posts?author=" + "{AUTHOR}", LIST, 200),
    ("author-unknown", "GET", f"{P}/posts?author=nobody_here", LIST, 404),
    ("author-known-nothing-found", "GET", f"{P}/posts?author=" + "{AUTHOR}" + "&search=zzqxnotaword", LIST, 200),
    ("cashtag-unknown", "GET", f"{P}/posts?cashtag=ZZZQ", LIST, 200),
    ("author-too-long", "GET", f"{P}/posts?author={'a' * 40}", LIST, 422),
    ("cashtag-lower", "GET", f"{P}/posts?cashtag=aapl", LIST, 200),
    ("cashtag-dollar", "GET", f"{P}/posts?cashtag=%24BTC", LIST, 200),
    ("cashtag-class", "GET", f"{P}/posts?cashtag=BRK.B", LIST, 200),
    ("cashtag-bad", "GET", f"{P}/posts?cashtag=1ABC", LIST, 422),
    ("since", "GET", f"{P}/posts?since=2023-06-01", LIST, 200),
    ("until", "GET", f"{P}/posts?until=2023-03-01T00:00:00Z", LIST, 200),
    ("since-until-offset", "GET", f"{P}/posts?since=2023-02-01T00:00:00%2B02:00&until=2023-09-01", LIST, 200),
    ("since-bad", "GET", f"{P}/posts?since=yesterday", LIST, 422),
    ("since-overflow", "GET", f"{P}/posts?since=9999-12-31T23:00:00-05:00", LIST, 422),
    ("search-nul", "GET", f"{P}/posts?search=a%00b", LIST, 422),
    ("author-nul", "GET", f"{P}/posts?author=%00", LIST, 422),
    ("search", "GET", f"{P}/posts?search=dividend", LIST, 200),
    ("search-phrase", "GET", f"{P}/posts?search=%22covered%20calls%22", LIST, 200),
    ("search-exclude", "GET", f"{P}/posts?search=earnings%20-guidance", LIST, 200),
    ("search-or", "GET", f"{P}/posts?search=bitcoin%20or%20ethereum", LIST, 200),
    (
        "search-all-filters",
        "GET",
        f"{P}/posts?search=valuation&category=stocks&cashtag=NVDA&since=2023-01-01&until=2024-01-01&sort=comments&per_page=5",
        LIST,
        200,
    ),
    ("search-sql-injection", "GET", f"{P}/posts?search=%27%3B%20drop%20table%20posts%3B%20--", LIST, 200),
    ("search-percent", "GET", f"{P}/posts?search=%25", LIST, 200),
    ("search-quotes", "GET", f"{P}/posts?search=%22%27%22%27", LIST, 200),
    ("search-unicode", "GET", f"{P}/posts?search=%C3%BCn%C3%AFc%C3%B6d%C3%A9%20%F0%9F%92%B9", LIST, 200),
    ("search-10kb", "GET", f"{P}/posts?search={LONG}", LIST, 422),
    ("author-injection", "GET", f"{P}/posts?author=%27%20OR%201%3D1%20--", LIST, 404),  # nobody has that name
    ("detail", "GET", f"{P}/posts/1", ONE, 200),
    ("detail-last", "GET", f"{P}/posts/90", ONE, 200),
    ("detail-missing", "GET", f"{P}/posts/99999", ONE, 404),
    ("detail-zero", "GET", f"{P}/posts/0", ONE, 404),
    ("detail-negative", "GET", f"{P}/posts/-1", ONE, 404),
    ("detail-not-int", "GET", f"{P}/posts/abc", ONE, 404),
    ("detail-overflow", "GET", f"{P}/posts/2147483648", ONE, 404),
    ("detail-unicode-digits", "GET", f"{P}/posts/%C2%B2", ONE, 404),
    ("comments", "GET", f"{P}/posts/3/comments", COMMENTS, 200),
    ("comments-page", "GET", f"{P}/posts/3/comments?page=2&per_page=2", COMMENTS, 200),
    ("comments-bad-page", "GET", f"{P}/posts/3/comments?per_page=0", COMMENTS, 422),
    ("comments-missing-post", "GET", f"{P}/posts/99999/comments", COMMENTS, 404),
    ("categories", "GET", f"{P}/categories", "/api/v1/categories", 200),
    ("stats", "GET", f"{P}/stats/categories", "/api/v1/stats/categories", 200),
    ("health", "GET", f"{P}/healthz", "/api/v1/healthz", 200),
]

# Requests outside the documented operations: same error shape and status everywhere.
UNDOCUMENTED_CASES = [
    ("unknown-route", "GET", f"{P}/nope", 404),
    ("unknown-nested", "GET", f"{P}/posts/1/likes", 404),
    ("method-not-allowed", "PUT", f"{P}/posts", 405),
    ("method-not-allowed-item", "POST", f"{P}/posts/1", 405),
    ("method-not-allowed-stats", "DELETE", f"{P}/stats/categories", 405),
]

# Statements per request allowed by the issue (the same SQL shape everywhere).
STATEMENT_BUDGET = [
    ("list", f"{P}/posts?per_page=20", 2),
    ("list-filtered", f"{P}/posts?category=stocks&sort=comments&author=" + "{author}", 2),
    ("search", f"{P}/posts?search=dividend&cashtag=KO", 2),
    ("detail", f"{P}/posts/5", 2),
    ("comments", f"{P}/posts/5/comments", 2),
    ("stats", f"{P}/stats/categories", 1),
    ("categories", f"{P}/categories", 1),
]
