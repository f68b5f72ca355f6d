"""Issue 18's polish on the forum pages: the header and its user menu, confirmation before
destructive actions (without JavaScript), no default category, plain-text moderation excerpts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from finboard.core.models import Comment, Post, User, UserBlock
from finboard.extensions import db
from tests.helpers import body, field_error, form_value, location_path, sign_in, text


def set_role(make, user_id: int, role: str) -> None:
    with make.app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(role=role))
        db.session.commit()


def csrf(client, path: str = "/") -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body(client.get(path)))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def header(response) -> str:
    match = re.search(r'<header class="site-header">.*?</header>', body(response), re.S)
    assert match, "no site header"
    return match.group(0)


def menu_links(html: str) -> list[tuple[str, str]]:
    menu = re.search(r'<details class="user-menu">.*?</details>', html, re.S)
    assert menu, "no user menu"
    return [
        (href, re.sub(r"<[^>]+>", "", label).strip())
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', menu.group(0), re.S)
    ]


@pytest.fixture
def people(make):
    alice, mod = make.user("alice"), make.user("mod")
    set_role(make, mod, "moderator")
    return {"alice": alice, "mod": mod}


# --- header -------------------------------------------------------------------------------


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_the_header_puts_personal_links_in_a_user_menu(client, make, people):
    sign_in(client, people["mod"])
    html = header(client.get("/"))
    assert menu_links(html) == [
        ("/u/mod", "Profile"),
        ("/watchlist", "Watchlist"),
        ("/feed", "Feed"),
        ("/bookmarks", "Bookmarks"),
        ("/settings", "Settings"),
        ("/moderation", "Moderation"),
    ]
    menu = re.search(r'<details class="user-menu">.*?</details>', html, re.S).group(0)
    assert re.search(r'<form action="/auth/logout" method="post">\s*<input type="hidden" name="csrf_token"', menu)
    assert '<button type="submit" class="link">Log out</button>' in menu
    assert '<span class="user-menu-name">mod</span>' in menu
    # Outside the menu, only New post and the bell: one row at desktop widths.
    outside = html.replace(menu, "")
    account = re.search(r'<nav class="account".*?</nav>', outside, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', account) == ["/posts/new", "/notifications"]
    assert "Password" not in html
    assert 'placeholder="Search posts or $TICKER"' in html

    sign_in(client, people["alice"])  # a member: no Moderation
    assert ("/moderation", "Moderation") not in menu_links(header(client.get("/")))


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_a_visitor_gets_log_in_and_register_and_no_menu(client):
    html = header(client.get("/"))
    assert "user-menu" not in html
    assert re.findall(r'<a (?:class="[^"]+" )?href="(/auth/[^"?]+)', html) == ["/auth/login", "/auth/register"]


# --- confirmation before destructive actions ----------------------------------------------------


def test_deleting_a_post_needs_the_second_step(client, make, people):
    post = make.post(people["alice"], title="Keep me unless I confirm")
    sign_in(client, people["alice"])
    page = body(client.get(f"/posts/{post}"))
    # The page's button opens a <details> whose form carries confirm=yes.
    step = re.search(r'<details class="confirm">.*?</details>', page, re.S).group(0)
    assert "<summary" in step and "Delete post</summary>" in step
    assert f'action="/posts/{post}/delete"' in step and '<input type="hidden" name="confirm" value="yes">' in step

    # Without it (a stale page, a crafted request) nothing is deleted: the confirmation page answers.
    asked = client.post(f"/posts/{post}/delete", data={"csrf_token": csrf(client)})
    assert asked.status_code == 200
    assert make.get(Post, post) is not None
    assert "Delete “Keep me unless I confirm”?" in text(asked)
    assert '<input type="hidden" name="confirm" value="yes">' in body(asked)
    assert f'<form method="post" action="/posts/{post}/delete">' in body(asked)
    assert form_value(asked, "csrf_token")  # a fresh token: the second POST passes CSRF

    # A wrong answer is no answer; the confirmation page's own form deletes.
    client.post(f"/posts/{post}/delete", data={"csrf_token": csrf(client), "confirm": "no"})
    assert make.get(Post, post) is not None
    done = client.post(f"/posts/{post}/delete", data={"csrf_token": form_value(asked, "csrf_token"), "confirm": "yes"})
    assert done.status_code == 302 and location_path(done) == "/"
    assert make.get(Post, post) is None


def test_deleting_a_post_without_csrf_is_refused_even_when_confirmed(client, make, people):
    post = make.post(people["alice"])
    sign_in(client, people["alice"])
    assert client.post(f"/posts/{post}/delete", data={"confirm": "yes"}).status_code == 400
    assert make.get(Post, post) is not None


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_deleting_a_comment_needs_the_second_step(client, make, people):
    post = make.post(people["mod"])
    comment = make.comment(post, people["alice"], body="Still here")
    sign_in(client, people["alice"])
    asked = client.post(f"/comments/{comment}/delete", data={"csrf_token": csrf(client)})
    assert asked.status_code == 200 and "Delete your comment?" in text(asked)
    assert make.get(Comment, comment) is not None
    client.post(f"/comments/{comment}/delete", data={"csrf_token": csrf(client), "confirm": "yes"})
    assert make.get(Comment, comment) is None


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_a_moderators_delete_carries_the_reason_to_the_confirmation(client, make, people):
    post = make.post(people["alice"])
    sign_in(client, people["mod"])
    reason = "Duplicate of an <older> thread"
    asked = client.post(
        f"/moderation/posts/{post}", data={"action": "delete", "reason": reason, "csrf_token": csrf(client)}
    )
    assert asked.status_code == 200 and make.get(Post, post) is not None
    carried = dict(re.findall(r'<input type="hidden" name="(action|reason)" value="([^"]*)">', body(asked)))
    assert carried == {"action": "delete", "reason": "Duplicate of an &lt;older&gt; thread"}  # escaped, kept
    # Hide needs no confirmation: it can be undone.
    hidden = client.post(
        f"/moderation/posts/{post}", data={"action": "hide", "reason": reason, "csrf_token": csrf(client)}
    )
    assert hidden.status_code == 302
    confirmed = {"action": "delete", "reason": reason, "confirm": "yes", "csrf_token": csrf(client)}
    assert client.post(f"/moderation/posts/{post}", data=confirmed).status_code == 302
    assert make.get(Post, post) is None


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_unblock_and_sign_out_everywhere_need_the_second_step(client, make, people, app):
    sign_in(client, people["alice"])
    client.post("/u/mod/block", data={"csrf_token": csrf(client, "/u/mod")})
    asked = client.post("/u/mod/unblock", data={"csrf_token": csrf(client)})
    assert asked.status_code == 200 and "Unblock mod?" in text(asked)
    with app.app_context():
        assert db.session.scalars(select(UserBlock)).all() != []
    client.post("/u/mod/unblock", data={"csrf_token": csrf(client), "confirm": "yes"})
    with app.app_context():
        assert db.session.scalars(select(UserBlock)).all() == []

    version = make.get(User, people["alice"]).token_version
    asked = client.post("/settings/sessions/revoke-others", data={"csrf_token": csrf(client)})
    assert asked.status_code == 200 and "Sign out everywhere else?" in text(asked)
    assert make.get(User, people["alice"]).token_version == version
    client.post("/settings/sessions/revoke-others", data={"csrf_token": csrf(client), "confirm": "yes"})
    assert make.get(User, people["alice"]).token_version == version + 1


# --- new post: no default category; moderation excerpts as text -----------------------------------


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_a_new_post_has_no_default_category(client, make, people):
    sign_in(client, people["alice"])
    form = client.get("/posts/new")
    select_html = re.search(r'<select[^>]*id="category".*?</select>', body(form), re.S).group(0)
    assert "required" in select_html.split(">")[0]
    assert re.search(r'<option value="">Choose a category…</option>', select_html)
    assert "selected" not in select_html
    refused = client.post(
        "/posts/new",
        data={"title": "No home yet", "body": "Where does $AAPL go?", "csrf_token": csrf(client, "/posts/new")},
    )
    assert refused.status_code == 422
    assert field_error(refused, "category") == "Choose a category."
    assert form_value(refused, "title") == "No home yet" and form_value(refused, "body") == "Where does $AAPL go?"
    assert make.count(Post) == 0
    chosen = client.get("/posts/new?category=crypto")  # a category page's "New post" still preselects
    assert form_value(chosen, "category") == "crypto"


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_the_moderation_queue_shows_excerpts_as_text(client, make, people):
    post = make.post(people["alice"], title="Spammy", body="**Buy** [this coin](https://spam.example) now & `fast`")
    sign_in(client, people["mod"])
    client.post(
        f"/posts/{post}/report", data={"reason": "Referral spam", "csrf_token": csrf(client, f"/posts/{post}/report")}
    )
    queue = body(client.get("/moderation"))
    excerpt = re.search(r'<blockquote class="report-target">.*?</blockquote>', queue, re.S).group(0)
    assert "<p>Buy this coin now &amp; fast</p>" in excerpt
    assert "**" not in excerpt and "](" not in excerpt and "<strong>" not in excerpt and "spam.example" not in excerpt
