"""Per-account allowances through the API: stricter for new accounts, counted in the database.

The forum pages go through the same rules (finboard.core.api_service); these
tests pin the rule itself on both databases: the limit, the message, and that a
refused write leaves nothing behind.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finboard.core.models import Comment, Post, User, utcnow
from finboard.extensions import db

P = "/api/v1"
PASSWORD = "antispam-pass-1"


@pytest.fixture
def limits(app):
    """Small allowances so a test reaches them quickly (the defaults are 3/10 new, 20/60 established)."""
    settings = app.config["FINBOARD_SETTINGS"]
    app.config["FINBOARD_SETTINGS"] = settings.replace(
        new_account_posts_per_hour=2, posts_per_hour=4, new_account_comments_per_hour=3, comments_per_hour=5
    )


def _member(client, name: str) -> dict[str, str]:
    assert client.post(f"{P}/auth/register", json={"username": name, "email": f"{name}@x.io", "password": PASSWORD})
    token = client.post(f"{P}/auth/login", json={"username": name, "password": PASSWORD}).get_json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _age(app, name: str, days: int, confirmed: bool = True) -> None:
    """Make the account ``days`` old (and its address confirmed, unless not ``confirmed``)."""
    created = utcnow() - timedelta(days=days)
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.username == name)
            .values(created_at=created, email_verified_at=created if confirmed else None)
        )
        db.session.commit()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _post(client, headers, n: int):
    return client.post(f"{P}/posts", json={"title": f"Idea {n}", "body": "Buy $SPY", "category": "stocks"},
                       headers=headers)  # fmt: skip


def test_a_new_account_gets_the_small_allowance_and_a_clear_429(app, client, limits):
    headers = _member(client, "fresh_fred")
    assert [_post(client, headers, n).status_code for n in range(2)] == [201, 201]
    refused = _post(client, headers, 3)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == {
        "code": "rate_limited",
        "message": "New accounts can write 2 posts an hour. Try again later.",
        "fields": {},
    }
    assert _count(app, Post) == 2, "the refused post left nothing behind"


def test_an_established_account_gets_the_larger_allowance(app, client, limits):
    headers = _member(client, "old_olga")
    _age(app, "old_olga", days=2)
    assert [_post(client, headers, n).status_code for n in range(5)] == [201, 201, 201, 201, 429]
    assert "Each account can write 4 posts an hour" in _post(client, headers, 6).get_json()["error"]["message"]
    # Posts older than an hour no longer count.
    with app.app_context():
        db.session.execute(update(Post).values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    assert _post(client, headers, 7).status_code == 201


def test_an_old_account_with_an_unconfirmed_address_keeps_the_small_allowance(app, client, limits):
    headers = _member(client, "quiet_quinn")
    _age(app, "quiet_quinn", days=30, confirmed=False)
    assert [_post(client, headers, n).status_code for n in range(3)] == [201, 201, 429]
    assert _post(client, headers, 4).get_json()["error"]["message"] == (
        "Until you confirm your email address you can write 2 posts an hour. "
        "Follow the link we mailed you to write more."
    )


def test_comments_have_their_own_allowance(app, client, limits):
    author = _member(client, "author_al")
    _age(app, "author_al", days=2)
    post_id = _post(client, author, 1).get_json()["id"]
    fresh = _member(client, "chatty_cy")
    statuses = [
        client.post(f"{P}/posts/{post_id}/comments", json={"body": f"take {n}"}, headers=fresh).status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert _count(app, Comment) == 3
    assert client.get(f"{P}/posts/{post_id}").get_json()["comment_count"] == 3


def test_a_suspension_is_checked_before_the_allowance(app, client, limits):
    headers = _member(client, "sus_sam")
    with app.app_context():
        until = utcnow() + timedelta(days=1)
        db.session.execute(update(User).where(User.username == "sus_sam").values(suspended_until=until))
        db.session.commit()
    refused = _post(client, headers, 1)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "suspended"
    assert f"suspended until {until:%Y-%m-%d %H:%M} UTC" in refused.get_json()["error"]["message"]
    assert _count(app, Post) == 0


def _at_once(app, count: int, send) -> list[int]:
    """``count`` requests released together, each from its own thread and test client."""
    import threading

    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def worker(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(send(client, n).status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_concurrent_posts_cannot_overrun_the_allowance(app, client):
    """8 posts sent at once by a new account (3 an hour): exactly 3 get in, on both databases."""
    headers = _member(client, "burst_bo")
    statuses = _at_once(app, 8, lambda c, n: _post(c, headers, n))
    assert statuses == [201] * 3 + [429] * 5
    assert _count(app, Post) == 3


def test_concurrent_comments_cannot_overrun_the_allowance(app, client):
    author = _member(client, "host_hal")
    _age(app, "host_hal", days=2)
    post_id = _post(client, author, 1).get_json()["id"]
    fresh = _member(client, "burst_cat")  # 10 comments an hour while new
    statuses = _at_once(
        app, 14, lambda c, n: c.post(f"{P}/posts/{post_id}/comments", json={"body": f"take {n}"}, headers=fresh)
    )
    assert statuses == [201] * 10 + [429] * 4
    assert _count(app, Comment) == 10
    assert client.get(f"{P}/posts/{post_id}").get_json()["comment_count"] == 10
