""" "Download my data": asked on /settings, built by the job, mailed as a link only its member can use.

The mail arrives at a real SMTP server in the test process; the ZIP it links holds the
member's profile, posts with revisions, comments, watches, follows, notifications, blocks
and mutes; another member, a visitor, a wrong name or an expired link get a 404; asking
again within the hour is refused with a message and no second job.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finboard.core import mail_jobs
from finboard.core.account_data_models import DataExport
from finboard.core.models import (
    CategoryWatch,
    PostRevision,
    PostWatch,
    TickerFollow,
    User,
    UserBlock,
    UserMute,
    utcnow,
)
from finboard.extensions import db
from tests.helpers import body, flashes, sign_in
from tests.mail_support import SmtpServer, link

SQLITE_AND_PG = pytest.mark.parametrize("database_kind", ["sqlite", "postgres"])


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def export_app(app, smtp, tmp_path):
    smtp.clear()
    settings = app.config["FINBOARD_SETTINGS"]
    app.config["FINBOARD_SETTINGS"] = settings.replace(
        mail_url=smtp.url, site_url="http://forum.test", export_dir=str(tmp_path / "exports")
    )
    return app


def _csrf(client) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', body(client.get("/settings"))).group(1)


def _ask(client):
    return client.post("/settings/export", data={"csrf_token": _csrf(client)})


@pytest.fixture
def alice_data(export_app, make):
    alice, bob = make.user("alice"), make.user("bob")
    post_id = make.post(alice, title="My $AAPL thesis", body="Long, final.")
    make.comment(post_id, bob, body="Bob disagrees.")
    make.comment(post_id, alice, body="Alice answers.")
    with export_app.app_context():
        db.session.add(PostRevision(post_id=post_id, editor_id=alice, title="My $AAPL thesis", body="Long, draft."))
        db.session.add_all(
            [
                PostWatch(user_id=alice, post_id=post_id),
                CategoryWatch(user_id=alice, category_id=1),
                TickerFollow(user_id=alice, ticker="AAPL"),
                UserBlock(blocker_id=alice, blocked_id=bob),
                UserMute(user_id=alice, kind="word", term="moon"),
                UserMute(user_id=alice, kind="ticker", term="GME"),
            ]
        )
        db.session.execute(update(User).where(User.id == alice).values(bio="Value investor."))
        db.session.commit()
    return {"alice": alice, "bob": bob, "post_id": post_id}


@SQLITE_AND_PG
def test_the_export_is_mailed_and_holds_the_members_data(export_app, client, smtp, alice_data):
    sign_in(client, alice_data["alice"])
    asked = _ask(client)
    assert asked.status_code == 302
    assert flashes(client.get("/settings"))[0].startswith("Your data is being gathered")
    mail_jobs.wait_idle()
    (message,) = smtp.wait_for("alice@example.com")
    assert message["Subject"] == "Your FinBoard data is ready" and message["List-Unsubscribe"] is None
    url = link(message, "/settings/export/")
    path = url.removeprefix("http://forum.test")
    with export_app.app_context():
        (export,) = db.session.scalars(select(DataExport)).all()
        assert path.endswith(export.file_name) and len(export.file_name) == 64
        assert export.expires_at - export.ready_at == timedelta(days=7)

    download = client.get(path)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "no-store" in download.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert sorted(archive.namelist()) == sorted(
        ["profile.json", "posts.json", "comments.json", "watches.json", "follows.json",
         "notifications.json", "blocks.json", "preferences.json"]
    )  # fmt: skip
    read = lambda name: json.loads(archive.read(name))  # noqa: E731
    profile = read("profile.json")
    assert (profile["username"], profile["email"], profile["bio"]) == ("alice", "alice@example.com", "Value investor.")
    (post,) = read("posts.json")
    assert (post["title"], post["body"]) == ("My $AAPL thesis", "Long, final.")
    assert [r["body"] for r in post["revisions"]] == ["Long, draft."]
    assert [c["body"] for c in read("comments.json")] == ["Alice answers."]  # only hers
    assert read("watches.json")["posts"] == [alice_data["post_id"]]
    assert read("follows.json") == {"tickers": ["AAPL"]}
    assert read("blocks.json") == {"blocked_members": ["bob"], "muted_words": ["moon"], "muted_tickers": ["GME"]}
    assert read("preferences.json")["mention"] == "in_app"

    other = export_app.test_client()
    sign_in(other, alice_data["bob"])
    assert other.get(path).status_code == 404  # bob knows the link: not his
    visitor = export_app.test_client().get(path)
    assert visitor.status_code == 302 and "/auth/login" in visitor.headers["Location"]
    assert client.get(path[:-4] + "0000").status_code == 404

    with export_app.app_context():
        db.session.execute(update(DataExport).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(path).status_code == 404


def test_asking_again_within_the_hour_is_refused(export_app, client, smtp, alice_data):
    sign_in(client, alice_data["alice"])
    _ask(client)
    again = _ask(client)
    assert again.status_code == 302
    assert "less than an hour ago" in flashes(client.get("/settings"))[-1]
    mail_jobs.wait_idle()
    with export_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1
    assert len(smtp.wait_for("alice@example.com")) == 1
    assert 'id="data"' in body(client.get("/settings")) and "Download my data" in body(client.get("/settings"))
