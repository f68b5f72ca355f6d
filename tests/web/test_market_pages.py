"""The market features in the browser: sentiment and disclosure on posts, cashtag pages with
their charts, following tickers, the watchlist and its feed, RSS/Atom feeds, cashtag links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from finboard.contract.notifications import NotificationQuery
from finboard.core import content_writes, moderation_transitions, notification_service
from finboard.core.models import Category, Post, PostCashtag, TickerFollow, User, utcnow
from finboard.extensions import cache, db
from tests.helpers import body, doc, field_error, flashes, form_value, location_path, post_titles, sign_in, text

ATOM = "{http://www.w3.org/2005/Atom}"


# --- helpers ----------------------------------------------------------------------


def write(make, author_id: int, title: str, body_text: str = "Body.", category: str = "stocks", **market) -> int:
    """A post through the app's write function (sentiment and positions as the API takes them)."""
    with make.app.app_context():
        author = db.session.get(User, author_id)
        cat = db.session.scalars(select(Category).where(Category.slug == category)).one()
        post = content_writes.create_post(db.session, author, cat, title, body_text, **market)
        db.session.commit()
        cache.invalidate()
        return post.id


def backdate(make, post_id: int, days: int) -> None:
    """Move a post (and its cashtag rows, which repeat its time) to noon UTC ``days`` days before today.

    Noon, not "now minus N days": run in the first minutes after midnight UTC, the latter landed
    on the day before the one the tests expect (CI failed so at 00:05)."""
    with make.app.app_context():
        when = datetime.combine(utcnow().date() - timedelta(days=days), time(12), tzinfo=UTC)
        db.session.execute(update(Post).where(Post.id == post_id).values(created_at=when, updated_at=when))
        db.session.execute(update(PostCashtag).where(PostCashtag.post_id == post_id).values(created_at=when))
        db.session.commit()
        cache.invalidate()


def hide(make, post_id: int) -> None:
    with make.app.app_context():
        moderation_transitions.hide_post(db.session, db.session.get(Post, post_id))
        db.session.commit()
        cache.invalidate()


def follows(make, user_id: int) -> list[str]:
    with make.app.app_context():
        return list(
            db.session.scalars(
                select(TickerFollow.ticker).where(TickerFollow.user_id == user_id).order_by(TickerFollow.ticker)
            )
        )


def csrf(client, path: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body(client.get(path)))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def new_post(client, **fields):
    """The new-post form; ``tickers=""`` is what the page's hidden field sends before it shows any row
    (without it, the form is saved as sent, like a script's)."""
    data = {"title": "Buying more $NVDA", "body": "Long **$NVDA**, watching $amd.", "category": "stocks"}
    data.update(fields)
    data = {name: value for name, value in data.items() if value is not None}
    return client.post("/posts/new", data={**data, "csrf_token": csrf(client, "/posts/new")})


def follow(client, ticker: str, action: str = "follow", **extra):
    return client.post(f"/t/{ticker}/{action}", data={"csrf_token": csrf(client, "/"), **extra})


def by_id(response, element_id: str) -> str:
    """The visible text of the element with that id (flat markup only)."""
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</(?:span|div|p)>', body(response), re.S)
    assert match, f"no #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def daily_counts(response) -> dict[str, int]:
    """The chart's bars as {day: posts} (each bar carries its day and count)."""
    return {
        attrs["data-day"]: int(attrs["data-posts"])
        for tag, attrs in map(lambda e: (e[0], dict(e[1])), doc(response).elements)
        if tag == "rect" and "data-day" in attrs
    }


def split_text(response, days: int) -> str:
    match = re.search(rf'<div class="split" id="sentiment-{days}d">(.*?)</div>', body(response), re.S)
    assert match
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def feed_items(response) -> list[dict]:
    """Entries of an Atom feed or items of an RSS feed, parsed with the standard library."""
    root = ET.fromstring(response.get_data())  # noqa: S314 - the app's own output
    if root.tag == f"{ATOM}feed":
        return [
            {
                "title": e.findtext(f"{ATOM}title"),
                "link": e.find(f"{ATOM}link").get("href"),
                "summary": e.findtext(f"{ATOM}summary"),
                "categories": [c.get("term") for c in e.findall(f"{ATOM}category")],
            }
            for e in root.findall(f"{ATOM}entry")
        ]
    assert root.tag == "rss"
    return [
        {
            "title": i.findtext("title"),
            "link": i.findtext("link"),
            "summary": i.findtext("description"),
            "categories": [c.text for c in i.findall("category")],
        }
        for i in root.iter("item")
    ]


def feed_titles(response) -> list[str]:
    return [item["title"] for item in feed_items(response)]


@pytest.fixture
def alice(client, make):
    user = make.user("alice")
    sign_in(client, user)
    return user


# --- the post form: a view and a position per detected cashtag ----------------------------


def row_fields(response) -> dict[str, str | None]:
    """The control per ticker the page shows: {"view-NVDA": selected, "position-NVDA": selected, ...}."""
    return {name: value for name, value in doc(response).values.items() if name.startswith(("view-", "position-"))}


def test_a_new_post_form_has_no_rows_until_it_mentions_a_ticker(client, alice):
    response = client.get("/posts/new")
    assert response.status_code == 200
    assert row_fields(response) == {} and form_value(response, "tickers") == ""
    assert "Mention tickers as $AAPL or $BTC in the title or body" in text(response)
    assert "sentiment" not in doc(response).values and "positions" not in doc(response).values


def test_submitting_text_with_new_tickers_shows_one_row_per_ticker_and_saves_nothing(client, make, alice):
    response = new_post(client, tickers="")
    assert response.status_code == 200 and make.count(Post) == 0
    assert row_fields(response) == {"view-NVDA": "", "position-NVDA": "", "view-AMD": "", "position-AMD": ""}
    assert form_value(response, "tickers") == "NVDA AMD"  # the rows this page shows, in the post's order
    assert flashes(response) == [
        "Your post mentions $NVDA, $AMD: state your view and position on each (or leave them empty), "
        "then publish again."
    ]
    html = body(response)
    for option in ('value="bullish"', 'value="bearish"', 'value="neutral"', 'value="long"', 'value="short"'):
        assert option in html
    assert '<label class="visually-hidden" for="view-NVDA">View on $NVDA</label>' in html
    # what was typed stays
    assert form_value(response, "title") == "Buying more $NVDA" and form_value(response, "body").startswith("Long")


def test_create_post_with_a_different_view_per_ticker(client, make, alice):
    rows = {"tickers": "NVDA AMD", "view-NVDA": "bullish", "position-NVDA": "long", "view-AMD": "neutral",
            "position-AMD": "none"}  # fmt: skip
    response = new_post(client, **rows)
    assert response.status_code == 302, body(response)[:2000]
    post_id = int(location_path(response).rsplit("/", 1)[1])
    post = make.get(Post, post_id)
    assert post.sentiments == "NVDA:bullish AMD:neutral"
    assert post.positions == "NVDA:long AMD:none"
    assert post.sentiment is None  # bullish and neutral: no common view
    page = client.get(f"/posts/{post_id}")
    assert "Views: ▲ bullish on $NVDA · ● neutral on $AMD" in text(page)
    assert "Disclosure: long $NVDA · no position $AMD" in text(page)
    card = body(client.get("/"))
    assert 'class="view-mark view-bullish" title="Bullish on $NVDA"' in card
    assert 'class="view-mark view-neutral" title="Neutral on $AMD"' in card


def test_rows_left_empty_state_nothing(client, make, alice):
    response = new_post(client, tickers="NVDA AMD")
    assert response.status_code == 302
    post = make.get(Post, int(location_path(response).rsplit("/", 1)[1]))
    assert (post.sentiment, post.sentiments, post.positions) == (None, "", "")
    page = client.get(location_path(response))
    assert "Disclosure" not in text(page) and "Views:" not in text(page) and "Bullish" not in text(page)


def test_a_script_posting_the_form_without_its_rows_is_saved_as_sent(client, make, alice):
    """No ``tickers`` field: not the page (a script): nothing to review."""
    response = new_post(client, **{"view-NVDA": "bearish"})
    assert response.status_code == 302
    assert make.get(Post, int(location_path(response).rsplit("/", 1)[1])).sentiments == "NVDA:bearish"


def test_a_post_without_tickers_is_published_at_once(client, make, alice):
    response = new_post(client, title="Rates and the curve", body="No tickers here.")
    assert response.status_code == 302
    assert make.count(Post) == 1


def test_check_tickers_shows_the_rows_again_without_saving(client, make, alice):
    response = new_post(client, **{"tickers": "NVDA AMD", "view-NVDA": "bearish", "refresh-tickers": "1"})
    assert response.status_code == 200 and make.count(Post) == 0
    assert row_fields(response)["view-NVDA"] == "bearish"  # kept


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"view-NVDA": "sideways"}, "Choose bullish, bearish, neutral or no view on $NVDA."),
        ({"position-AMD": "hodl"}, "Choose long, short, no position or not stated on $AMD."),
    ],
)
def test_a_bad_row_value_is_an_error_on_its_row_and_nothing_is_saved(client, make, alice, rows, message):
    response = new_post(client, tickers="NVDA AMD", **rows)
    assert response.status_code == 422
    ticker = "NVDA" if "view-NVDA" in rows else "AMD"
    assert field_error(response, f"ticker-{ticker}") == message
    assert make.count(Post) == 0 and make.count(PostCashtag) == 0


def test_edit_prefills_the_rows_and_changes_the_views(client, make, alice):
    post_id = write(make, alice, "On $NVDA and $AMD", sentiments={"NVDA": "bullish"}, positions={"NVDA": "long"})
    form = client.get(f"/posts/{post_id}/edit")
    assert row_fields(form) == {"view-NVDA": "bullish", "position-NVDA": "long", "view-AMD": "", "position-AMD": ""}
    assert form_value(form, "tickers") == "NVDA AMD"
    data = {"title": "On $NVDA and $AMD", "body": "Changed my mind.", "category": "stocks", "tickers": "NVDA AMD"}
    token = csrf(client, f"/posts/{post_id}/edit")
    saved = client.post(f"/posts/{post_id}/edit", data={**data, "view-NVDA": "bearish", "view-AMD": "bullish",
                                                        "position-AMD": "short", "csrf_token": token})  # fmt: skip
    assert saved.status_code == 302
    post = make.get(Post, post_id)
    assert (post.sentiment, post.sentiments, post.positions) == (None, "NVDA:bearish AMD:bullish", "AMD:short")
    # a new ticker in the body: shown as a new row first, nothing saved
    more = {**data, "body": "And $TSLA too.", "view-NVDA": "bearish", "csrf_token": token}
    review = client.post(f"/posts/{post_id}/edit", data=more)
    assert review.status_code == 200 and "view-TSLA" in row_fields(review)
    assert make.get(Post, post_id).body == "Changed my mind."
    saved = client.post(f"/posts/{post_id}/edit", data={**more, "tickers": "NVDA AMD TSLA", "view-TSLA": "bearish"})
    assert saved.status_code == 302
    post = make.get(Post, post_id)
    assert (post.sentiment, post.sentiments, post.positions) == ("bearish", "NVDA:bearish TSLA:bearish", "")


def test_cards_show_pinned_and_sentiment_badges(client, make):
    alice = make.user("alice")
    pinned = write(make, alice, "Read this first $SPY", sentiment="bearish")
    write(make, alice, "A plain post $SPY")
    with make.app.app_context():
        moderation_transitions.set_post_flag(db.session, db.session.get(Post, pinned), "pinned", True)
        db.session.commit()
        cache.invalidate()
    html = body(client.get("/"))
    cards = re.findall(r'<article class="post-card( pinned)?".*?</article>', html, re.S)
    assert len(cards) == 2
    pinned_card = next(c for c in re.findall(r"<article.*?</article>", html, re.S) if "Read this first" in c)
    plain_card = next(c for c in re.findall(r"<article.*?</article>", html, re.S) if "A plain post" in c)
    assert "Pinned" in pinned_card and "sentiment-bearish" in pinned_card and "Bearish" in pinned_card
    assert "Pinned" not in plain_card and "sentiment-" not in plain_card


# --- cashtag links in bodies and comments --------------------------------------------------


def test_cashtags_in_bodies_and_comments_link_to_their_pages(client, make):
    alice = make.user("alice")
    post = make.post(alice, title="Chips", body="Long $NVDA, not `$INTC` in code.")
    make.comment(post, alice, body="And $amd too.")
    html = body(client.get(f"/posts/{post}"))
    assert '<a href="/t/NVDA" class="cashtag">$NVDA</a>' in html
    assert '<a href="/t/AMD" class="cashtag">$amd</a>' in html
    markdown = re.findall(r'<div class="markdown">(.*?)</div>', html, re.S)
    assert "<code>$INTC</code>" in markdown[0] and 'href="/t/INTC"' not in "".join(markdown)


def test_every_cashtag_link_on_cards_points_to_the_cashtag_page(client, make):
    alice = make.user("alice")
    make.post(alice, title="On $BRK.B", body="Value.")
    html = body(client.get("/"))
    assert 'href="/t/BRK.B"' in html and "/search?cashtag=" not in html


# --- the cashtag page ---------------------------------------------------------------------


def test_cashtag_page_counts_posts_per_day_and_the_sentiment_split(client, make):
    alice = make.user("alice")
    today = utcnow().date()
    write(make, alice, "Today one $AAPL", sentiment="bullish")
    write(make, alice, "Today two $AAPL", sentiment="bullish")
    write(make, alice, "Today, no view $AAPL")
    three = write(make, alice, "Three days ago $AAPL", sentiment="bearish")
    ten = write(make, alice, "Ten days ago $AAPL", sentiment="bullish")
    ten_more = write(make, alice, "Also ten days ago $AAPL", sentiment="bearish")
    old = write(make, alice, "Forty days ago $AAPL", sentiment="bearish")
    write(make, alice, "Another ticker $MSFT", sentiment="bearish")
    backdate(make, three, 3)
    backdate(make, ten, 10)
    backdate(make, ten_more, 10)
    backdate(make, old, 40)

    response = client.get("/t/AAPL")
    assert response.status_code == 200
    assert "$AAPL" in text(response)
    assert by_id(response, "post-count") == "7 posts" and by_id(response, "follower-count") == "0 followers"
    counts = daily_counts(response)
    assert len(counts) == 30
    assert min(counts) == (today - timedelta(days=29)).isoformat() and max(counts) == today.isoformat()
    expected = {today: 3, today - timedelta(days=3): 1, today - timedelta(days=10): 2}
    assert {day: n for day, n in counts.items() if n} == {d.isoformat(): n for d, n in expected.items()}
    assert "The last 30 days (UTC): 6 posts, at most 3 a day." in text(response)
    # the same numbers as a table
    assert f'<td><time datetime="{today.isoformat()}">{today.isoformat()}</time></td><td>3</td>' in body(response)
    # 7 days: 2 bullish, 1 bearish; 30 days: 3 bullish, 2 bearish (the 40-day-old post and $MSFT don't count)
    assert split_text(response, 7) == "Last 7 days ▲ Bullish 2 (67%) ▼ Bearish 1 (33%)"
    assert split_text(response, 30) == "Last 30 days ▲ Bullish 3 (60%) ▼ Bearish 2 (40%)"
    bars = [dict(attrs) for tag, attrs in doc(response).elements if tag == "rect" and dict(attrs).get("class")]
    assert {"class": "bullish", "x": "0", "y": "0", "width": "67", "height": "10"} in bars
    # the posts themselves, newest first
    assert post_titles(response)[:3] == ["Today, no view $AAPL", "Today two $AAPL", "Today one $AAPL"]
    assert "Another ticker $MSFT" not in post_titles(response)


def test_cashtag_page_counts_only_the_views_stated_on_its_ticker(client, make):
    """A post bullish on $NVDA that mentions $AMD in passing is not bullish on $AMD."""
    alice = make.user("alice")
    write(make, alice, "Long $NVDA, $AMD in passing", sentiments={"NVDA": "bullish"})
    write(make, alice, "$NVDA up, $AMD neutral", sentiments={"NVDA": "bullish", "AMD": "neutral"})
    write(make, alice, "Short $AMD vs $NVDA", sentiments={"AMD": "bearish", "NVDA": "bullish"})
    write(make, alice, "Old client: $XAMD and $AMDX", sentiment="bullish")  # legacy: every ticker
    assert split_text(client.get("/t/NVDA"), 7) == "Last 7 days ▲ Bullish 3 (100%) ▼ Bearish 0 (0%)"
    assert split_text(client.get("/t/AMD"), 30) == "Last 30 days ▲ Bullish 0 (0%) ▼ Bearish 1 (100%)"
    # $XAMD and $AMDX contain "AMD" but are other tickers, each bullish once
    assert split_text(client.get("/t/XAMD"), 7) == "Last 7 days ▲ Bullish 1 (100%) ▼ Bearish 0 (0%)"
    assert split_text(client.get("/t/AMDX"), 7) == "Last 7 days ▲ Bullish 1 (100%) ▼ Bearish 0 (0%)"


def test_cashtag_page_without_posts(client):
    response = client.get("/t/ZZZZ")
    assert response.status_code == 200
    assert "No posts mention $ZZZZ yet." in text(response)
    assert "No bullish or bearish posts in the last 7 days." in text(response)
    assert set(daily_counts(response).values()) == {0}


def test_cashtag_page_has_no_inline_style_or_script(client, make):
    alice = make.user("alice")
    write(make, alice, "Styled? $TSLA", sentiment="bullish")
    html = body(client.get("/t/TSLA"))
    assert "<svg" in html
    assert not re.search(r"\sstyle=", html) and "<style" not in html and "<script" not in html


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/t/aapl", "/t/AAPL"),
        ("/t/$AAPL", "/t/AAPL"),
        ("/t/%24aapl", "/t/AAPL"),
        ("/t/brk.b", "/t/BRK.B"),
        ("/t/aapl?page=2", "/t/AAPL?page=2"),
        ("/t/aapl?ticker=x&fmt=y", "/t/AAPL?fmt=y"),
        ("/t/aapl/feed.atom", "/t/AAPL/feed.atom"),
    ],
)
def test_cashtag_urls_redirect_to_the_canonical_ticker(client, path, target):
    response = client.get(path)
    assert response.status_code == 301
    assert location_path(response) == target


@pytest.mark.parametrize("path", ["/t/100", "/t/TOOLONGX", "/t/A-B", "/t/%24", "/t/100/feed.rss", "/t/AAPL/feed.json"])
def test_not_a_ticker_is_a_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Not found" in text(response)


def test_cashtag_page_pages_by_cursor(client, make):
    alice = make.user("alice")
    titles = [f"Post {i:02d} on $SPY" for i in range(25)]
    for title in titles:
        make.post(alice, title=title, body="Body.")
    first = client.get("/t/SPY")
    assert post_titles(first) == titles[::-1][:20]
    older = re.search(r'<a rel="next" href="([^"]+)">Older', body(first)).group(1).replace("&amp;", "&")
    assert older.startswith("/t/SPY?cursor=")
    second = client.get(older)
    assert second.status_code == 200
    assert post_titles(second) == titles[::-1][20:]
    assert not re.search(r'rel="next"', body(second))
    assert client.get("/t/SPY?cursor=garbage").status_code == 400


# --- following -----------------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_log_in_to_follow(client, make):
    response = client.get("/t/AAPL")
    assert "Log in to follow" in text(response)
    assert 'action="/t/AAPL/follow"' not in body(response)
    refused = client.post("/t/AAPL/follow", data={"csrf_token": csrf(client, "/auth/login")})
    assert refused.status_code == 302 and location_path(refused).startswith("/auth/login")


def test_follow_and_unfollow_a_ticker(client, make, alice):
    page = client.get("/t/AAPL")
    assert 'action="/t/AAPL/follow"' in body(page) and ">Follow</button>" in body(page)
    response = follow(client, "AAPL", next="/t/AAPL")
    assert response.status_code == 302 and location_path(response) == "/t/AAPL"
    assert follows(make, alice) == ["AAPL"]
    page = client.get("/t/AAPL")
    assert flashes(page) == ["You follow $AAPL: its new posts reach your notifications and your feed."]
    assert by_id(page, "follower-count") == "1 follower"
    assert 'action="/t/AAPL/unfollow"' in body(page) and "Following" in text(page)
    follow(client, "AAPL")  # again: still one row
    assert follows(make, alice) == ["AAPL"]

    response = follow(client, "AAPL", "unfollow")
    assert location_path(response) == "/t/AAPL"
    assert follows(make, alice) == []
    page = client.get("/t/AAPL")
    assert flashes(page) == ["You no longer follow $AAPL."]
    assert by_id(page, "follower-count") == "0 followers"


def test_follow_needs_the_csrf_token_and_a_ticker(client, make, alice):
    assert client.post("/t/AAPL/follow").status_code == 400
    assert follows(make, alice) == []
    assert follow(client, "100").status_code == 404
    assert client.get("/t/AAPL/follow").status_code == 405


def test_follow_normalises_the_ticker_and_never_redirects_off_site(client, make, alice):
    response = follow(client, "$brk.b", next="https://evil.example/")
    assert location_path(response) == "/t/BRK.B"
    assert response.headers["Location"].startswith("/") or "evil" not in response.headers["Location"]
    assert follows(make, alice) == ["BRK.B"]


def test_a_follower_is_notified_of_a_new_post_on_the_ticker(client, make):
    alice = make.user("alice")
    bob = make.user("bob")
    sign_in(client, bob)
    follow(client, "NVDA")
    sign_in(client, alice)
    response = new_post(client, title="More $NVDA", body="Long.")
    assert response.status_code == 302
    post_id = int(location_path(response).rsplit("/", 1)[1])
    with make.app.app_context():
        bobs = notification_service.notifications(db.session, db.session.get(User, bob), NotificationQuery())
        alices = notification_service.notifications(db.session, db.session.get(User, alice), NotificationQuery())
    assert [(n.kind, n.ticker, n.post_id, n.actor.username) for n in bobs.items] == [
        ("ticker", "NVDA", post_id, "alice")
    ]
    assert alices.items == []  # not for one's own post


# --- the watchlist and its feed -------------------------------------------------------------


def test_watchlist_needs_a_login(client):
    for path in ("/watchlist", "/feed"):
        response = client.get(path)
        assert response.status_code == 302 and location_path(response).startswith("/auth/login")


def test_watchlist_adds_lists_and_removes_tickers(client, make, alice):
    empty = client.get("/watchlist")
    assert empty.status_code == 200 and "You don't follow any tickers yet." in text(empty)
    token = csrf(client, "/watchlist")
    added = client.post("/watchlist", data={"ticker": " $tsla ", "csrf_token": token})
    assert added.status_code == 302 and location_path(added) == "/watchlist"
    client.post("/watchlist", data={"ticker": "AAPL", "csrf_token": token})
    write(make, alice, "On $TSLA")
    page = client.get("/watchlist")
    assert follows(make, alice) == ["AAPL", "TSLA"]
    assert "2 tickers followed" in text(page)
    assert re.search(r'href="/t/AAPL">\$AAPL</a>\s*<span class="meta">0 posts</span>', body(page))
    assert re.search(r'href="/t/TSLA">\$TSLA</a>\s*<span class="meta">1 post</span>', body(page))
    removed = follow(client, "TSLA", "unfollow", next="/watchlist")
    assert location_path(removed) == "/watchlist"
    assert follows(make, alice) == ["AAPL"]


@pytest.mark.parametrize(
    ("ticker", "message"),
    [
        ("", "Type a ticker to follow."),
        ("100", "A ticker looks like AAPL, $BTC or BRK.B."),
        ("TOOLONGX", "A ticker looks like AAPL, $BTC or BRK.B."),
        ("x" * 17, "A ticker looks like AAPL, $BTC or BRK.B."),
    ],
)
def test_watchlist_refuses_what_is_not_a_ticker(client, make, alice, ticker, message):
    response = client.post("/watchlist", data={"ticker": ticker, "csrf_token": csrf(client, "/watchlist")})
    assert response.status_code == 422
    assert field_error(response, "ticker") == message
    assert follows(make, alice) == []


def test_watchlist_has_a_limit(client, make, alice):
    with make.app.app_context():
        db.session.add_all(TickerFollow(user_id=alice, ticker=f"T{i:03d}") for i in range(100))
        db.session.commit()
    response = client.post("/watchlist", data={"ticker": "AAPL", "csrf_token": csrf(client, "/watchlist")})
    assert response.status_code == 422
    assert field_error(response, "ticker") == "A watchlist holds at most 100 tickers."
    assert "AAPL" not in follows(make, alice)


def test_home_toggle_shows_only_posts_on_followed_tickers(client, make, alice):
    bob = make.user("bob")
    write(make, bob, "About $AAPL")
    write(make, bob, "About $MSFT")
    write(make, bob, "About $AAPL and $TSLA")
    write(make, bob, "No tickers at all")
    home = client.get("/")
    assert 'href="/feed"' in body(home) and "Followed tickers only" in text(home)
    empty = client.get("/feed")
    assert empty.status_code == 200
    assert "You don't follow any tickers yet." in text(empty) and post_titles(empty) == []
    follow(client, "AAPL")
    follow(client, "TSLA")
    feed = client.get("/feed")
    assert post_titles(feed) == ["About $AAPL and $TSLA", "About $AAPL"]  # once each, newest first
    assert "2 posts on $AAPL $TSLA" in text(feed)
    assert 'aria-current="page">Followed tickers only' in body(feed)
    follow(client, "AAPL", "unfollow")
    follow(client, "TSLA", "unfollow")
    follow(client, "GME")
    assert "No posts on your tickers yet." in text(client.get("/feed"))
    assert client.get("/feed?page=2").status_code == 404


def test_anonymous_home_has_no_toggle(client):
    assert "Followed tickers only" not in text(client.get("/"))


# --- feeds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feeds/posts.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/posts.rss", "application/rss+xml; charset=utf-8"),
        ("/c/crypto/feed.atom", "application/atom+xml; charset=utf-8"),
        ("/c/crypto/feed.rss", "application/rss+xml; charset=utf-8"),
        ("/t/BTC/feed.atom", "application/atom+xml; charset=utf-8"),
        ("/t/BTC/feed.rss", "application/rss+xml; charset=utf-8"),
    ],
)
def test_feeds_have_their_content_types_and_parse(client, make, path, content_type):
    alice = make.user("alice")
    make.post(alice, title="Stacking $BTC", body="**Long** $BTC <script>alert(1)</script>", category="crypto")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    (item,) = feed_items(response)
    assert item["title"] == "Stacking $BTC"
    assert re.fullmatch(r"http://localhost/posts/\d+", item["link"])
    assert "<strong>Long</strong>" in item["summary"]
    assert '<a href="http://localhost/t/BTC" class="cashtag">$BTC</a>' in item["summary"]  # absolute
    assert "<script" not in item["summary"]
    assert {"crypto", "Crypto"} & set(item["categories"]) and "$BTC" in item["categories"]  # RSS names it by label


def test_feeds_hold_the_twenty_newest_posts(client, make):
    alice = make.user("alice")
    titles = [f"Post {i:02d} $SPY" for i in range(25)]
    for title in titles:
        make.post(alice, title=title, body="Body.")
    assert feed_titles(client.get("/feeds/posts.atom")) == titles[::-1][:20]
    assert feed_titles(client.get("/feeds/posts.rss")) == titles[::-1][:20]


def test_category_and_cashtag_feeds_hold_only_their_posts(client, make):
    alice = make.user("alice")
    make.post(alice, title="Coin $BTC", body="x", category="crypto")
    make.post(alice, title="Chip $NVDA", body="x", category="stocks")
    make.post(alice, title="Chip and coin $NVDA $BTC", body="x", category="stocks")
    assert feed_titles(client.get("/c/crypto/feed.atom")) == ["Coin $BTC"]
    assert feed_titles(client.get("/c/stocks/feed.rss")) == ["Chip and coin $NVDA $BTC", "Chip $NVDA"]
    assert feed_titles(client.get("/t/BTC/feed.atom")) == ["Chip and coin $NVDA $BTC", "Coin $BTC"]
    assert feed_titles(client.get("/t/NVDA/feed.rss")) == ["Chip and coin $NVDA $BTC", "Chip $NVDA"]
    assert feed_titles(client.get("/c/macro/feed.atom")) == []
    assert client.get("/c/nope/feed.atom").status_code == 404


def test_atom_feed_describes_itself_with_absolute_links(client, make):
    root = ET.fromstring(client.get("/t/BTC/feed.atom").get_data())  # noqa: S314 - the app's own output
    assert root.findtext(f"{ATOM}title") == "FinBoard — $BTC"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": "http://localhost/t/BTC", "self": "http://localhost/t/BTC/feed.atom"}


def test_characters_xml_cannot_hold_do_not_break_a_feed(client, make):
    alice = make.user("alice")
    make.post(alice, title="Bell\x07 and tab\x0b $BTC", body="Body\x01 with $BTC\x1f.", category="crypto")
    for path in ("/feeds/posts.atom", "/feeds/posts.rss", "/t/BTC/feed.atom"):
        response = client.get(path)
        assert response.status_code == 200
        (item,) = feed_items(response)
        assert item["title"] == "Bell and tab $BTC"
        assert "Body with" in item["summary"]


def test_a_write_refreshes_the_cached_feed(client, make):
    alice = make.user("alice")
    make.post(alice, title="First $ETH", body="x", category="crypto")
    assert feed_titles(client.get("/t/ETH/feed.atom")) == ["First $ETH"]
    make.post(alice, title="Second $ETH", body="x", category="crypto")  # the factory invalidates as the app does
    assert feed_titles(client.get("/t/ETH/feed.atom")) == ["Second $ETH", "First $ETH"]


def test_pages_link_their_feeds_in_the_head(client, make):
    def alternates(path: str) -> list[str]:
        head = body(client.get(path)).split("</head>")[0]
        return re.findall(r'<link rel="alternate" type="application/(?:atom|rss)\+xml" href="([^"]+)"', head)

    assert alternates("/") == ["/feeds/posts.atom", "/feeds/posts.rss"]
    assert alternates("/c/crypto")[:2] == ["/c/crypto/feed.atom", "/c/crypto/feed.rss"]
    assert alternates("/t/BTC")[:2] == ["/t/BTC/feed.atom", "/t/BTC/feed.rss"]


# --- hidden posts ---------------------------------------------------------------------------------


def test_hidden_posts_never_appear_in_feeds_or_cashtag_pages(client, make):
    alice = make.user("alice")
    write(make, alice, "Visible $AAPL", category="stocks", sentiment="bullish")
    hidden = write(make, alice, "Hidden $AAPL", category="stocks", sentiment="bearish")
    # cached before the moderator acts: hiding must retire the cached pages and feeds
    for path in ("/t/AAPL", "/feeds/posts.atom", "/c/stocks/feed.rss", "/t/AAPL/feed.atom"):
        assert "Hidden $AAPL" in body(client.get(path))
    hide(make, hidden)
    page = client.get("/t/AAPL")
    assert post_titles(page) == ["Visible $AAPL"]
    assert by_id(page, "post-count") == "1 post"
    assert sum(daily_counts(page).values()) == 1
    assert split_text(page, 7) == "Last 7 days ▲ Bullish 1 (100%) ▼ Bearish 0 (0%)"
    for path in ("/feeds/posts.atom", "/feeds/posts.rss", "/c/stocks/feed.atom", "/t/AAPL/feed.rss"):
        assert feed_titles(client.get(path)) == ["Visible $AAPL"], path
    bob = make.user("bob")
    sign_in(client, bob)
    follow(client, "AAPL")
    assert post_titles(client.get("/feed")) == ["Visible $AAPL"]
