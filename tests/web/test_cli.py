"""``flask seed`` and ``flask create-user`` through Flask's CLI runner."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from finboard.contract.cashtags import TICKER_RE, extract_cashtags
from finboard.core.models import Comment, Post, PostCashtag, Report, User
from finboard.core.security import verify_password
from finboard.extensions import db
from tests.databases import empty_tables
from tests.helpers import flashes, location_path, text

SMALL = ["--users", "4", "--posts", "15", "--comments", "40"]


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def counts(make) -> tuple[int, int, int, int]:
    return make.count(User), make.count(Post), make.count(Comment), make.count(PostCashtag)


def seeded_state(make) -> dict:
    """What a seed produced, without ids: users, posts (with their comments) in insertion order."""
    with make.app.app_context():
        users = {u.id: u.username for u in db.session.scalars(select(User).order_by(User.id))}
        posts = []
        for post in db.session.scalars(select(Post).order_by(Post.id)):
            comments = db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.id))
            posts.append(
                (
                    post.title,
                    post.body,
                    users[post.author_id],
                    post.category_id,
                    post.cashtags,
                    post.comment_count,
                    post.created_at.isoformat(),
                    [(c.body, users[c.author_id], c.created_at.isoformat()) for c in comments],
                )
            )
        return {"users": sorted(users.values()), "posts": posts}


# --- seed -----------------------------------------------------------------------


def test_seed_writes_consistent_data(client, runner, make):
    assert "0 posts" in text(client.get("/"))  # warms the cache: the seed must retire it
    result = runner.invoke(args=["seed", "--users", "6", "--posts", "40", "--comments", "120", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Seeded 6 users, 40 posts, 120 comments in ")
    assert counts(make)[:3] == (6, 40, 120)
    with make.app.app_context():
        real = dict(db.session.execute(select(Comment.post_id, func.count()).group_by(Comment.post_id)).all())
        tags: dict[int, set[str]] = {}
        for ticker, post_id in db.session.execute(select(PostCashtag.ticker, PostCashtag.post_id)):
            tags.setdefault(post_id, set()).add(ticker)
        posts = db.session.scalars(select(Post)).all()
        for post in posts:
            assert post.comment_count == real.get(post.id, 0), post.id
            assert post.cashtags.split() == extract_cashtags(post.title, post.body), post.id
            assert set(post.cashtags.split()) == tags.get(post.id, set()), post.id
            assert post.cashtags and all(TICKER_RE.match(t) for t in post.cashtags.split())
        assert sum(p.comment_count for p in posts) == 120
        assert sum(len(t) for t in tags.values()) == make.count(PostCashtag)
    home = client.get("/")
    assert "40 posts" in text(home)
    with make.app.app_context():
        newest = db.session.scalars(select(Post.title).order_by(Post.created_at.desc(), Post.id.desc())).first()
    assert newest in text(home)


def test_seeded_accounts_can_log_in(client, runner, make, auth):
    assert runner.invoke(args=["seed", *SMALL]).exit_code == 0
    with make.app.app_context():
        username = db.session.scalars(select(User.username).order_by(User.id)).first()
    response = auth.login(username, "finboard-demo")
    assert response.status_code == 302
    assert flashes(client.get("/")) == [f"Logged in as {username}."]


def test_seed_is_deterministic(runner, make):
    """The same --seed and --anchor write the same rows (the benchmark passes a fixed anchor)."""
    url = make.app.config["SQLALCHEMY_DATABASE_URI"]
    fixed = ["--anchor", "2026-11-01"]
    assert runner.invoke(args=["seed", *SMALL, *fixed, "--seed", "5"]).exit_code == 0
    first = seeded_state(make)
    empty_tables(url)
    assert runner.invoke(args=["seed", *SMALL, *fixed, "--seed", "5"]).exit_code == 0
    assert seeded_state(make) == first
    empty_tables(url)
    assert runner.invoke(args=["seed", *SMALL, *fixed, "--seed", "6"]).exit_code == 0
    other = seeded_state(make)
    assert [p[0] for p in other["posts"]] != [p[0] for p in first["posts"]]
    assert len(other["posts"]) == len(first["posts"]) == 15


def test_seed_dates_end_now_by_default_and_at_the_anchor_when_given(runner, make):
    now = datetime.now(UTC)
    assert runner.invoke(args=["seed", *SMALL]).exit_code == 0
    with make.app.app_context():
        newest, oldest = db.session.execute(select(func.max(Post.created_at), func.min(Post.created_at))).one()
        recent = db.session.scalar(select(func.count()).where(Post.created_at >= now - timedelta(days=30)))
    newest, oldest = (as_utc(newest), as_utc(oldest))
    assert now - timedelta(days=366) <= oldest <= newest <= now
    assert newest >= now - timedelta(days=30) and recent >= 2, "the last 30 days have posts to show"
    empty_tables(make.app.config["SQLALCHEMY_DATABASE_URI"])
    assert runner.invoke(args=["seed", *SMALL, "--anchor", "2025-03-01T12:00:00"]).exit_code == 0
    with make.app.app_context():
        newest = as_utc(db.session.scalar(select(func.max(Post.created_at))))
    anchor = datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert anchor - timedelta(days=30) < newest <= anchor


def test_bad_anchor_is_a_usage_error(runner, make):
    result = runner.invoke(args=["seed", *SMALL, "--anchor", "yesterday"])
    assert result.exit_code == 2 and "--anchor" in result.output
    assert counts(make) == (0, 0, 0, 0)


def test_the_demo_has_staff_pinned_posts_and_open_reports(client, runner, make, auth):
    result = runner.invoke(args=["seed", "--users", "6", "--posts", "40", "--comments", "120"])
    assert result.exit_code == 0, result.output
    assert "Demo staff: demo_admin (admin), demo_mod (moderator). 3 pinned posts, 3 open reports," in result.output
    with make.app.app_context():
        roles = dict(db.session.execute(select(User.username, User.role).where(User.role != "member")).all())
        pinned = db.session.scalars(select(Post.category_id).where(Post.pinned)).all()
        reports = db.session.execute(select(Report.status, Report.target_type, Report.reporter_id)).all()
    assert roles == {"demo_admin": "admin", "demo_mod": "moderator"}
    assert len(pinned) == len(set(pinned)) == 3, "one pinned post in each of three categories"
    assert sorted(r[:2] for r in reports) == [("open", "comment"), ("open", "post"), ("open", "post")]
    assert auth.login("demo_mod", "finboard-demo").status_code == 302
    queue = client.get("/moderation")
    assert queue.status_code == 200
    assert "Pump and dump: the same ticker pushed in every thread." in text(queue)


def test_the_demo_has_reactions_and_threaded_replies_with_their_counters(runner, make):
    """Issue 18: reactions and replies on the demo, so Hot, the counts and the threads have something to show."""
    from finboard.core.reaction_models import PostReaction

    result = runner.invoke(args=["seed", "--users", "8", "--posts", "40", "--comments", "120"])
    assert result.exit_code == 0, result.output
    reactions, replies = map(int, re.search(r"(\d+) reactions, (\d+) replies", result.output).groups())
    with make.app.app_context():
        rows = db.session.execute(select(PostReaction.post_id, PostReaction.user_id)).all()
        counted = dict(db.session.execute(select(Post.id, Post.reaction_count).where(Post.reaction_count > 0)).all())
        threaded = db.session.scalars(select(Comment).where(Comment.parent_id.is_not(None))).all()
        parents = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.parent_id.is_(None)))}
        authors = {p.id: p.author_id for p in db.session.scalars(select(Post))}
    assert len(threaded) == replies >= 3 and reactions > len(rows) >= 10
    assert counted == {pid: sum(1 for p, _ in rows if p == pid) for pid in counted}, "counts kept by the triggers"
    assert all(user != authors[post] for post, user in rows), "nobody reacts to their own post"
    for reply in threaded:
        parent = parents[reply.parent_id]
        assert reply.post_id == parent.post_id and reply.created_at >= parent.created_at
        assert reply.author_id != parent.author_id


def test_no_demo_leaves_the_generated_rows_alone(runner, make):
    result = runner.invoke(args=["seed", *SMALL, "--no-demo"])
    assert result.exit_code == 0 and "Demo staff" not in result.output
    with make.app.app_context():
        assert db.session.scalar(select(func.count()).where(User.role != "member")) == 0
        assert db.session.scalar(select(func.count()).where(Post.pinned)) == 0
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_seeding_the_same_seed_twice_writes_nothing_the_second_time(runner, make):
    assert runner.invoke(args=["seed", *SMALL]).exit_code == 0
    before = counts(make)
    result = runner.invoke(args=["seed", *SMALL])
    assert result.exit_code == 1
    assert "seeding clashed with existing rows (was this seed already loaded?); nothing was written" in result.output
    assert counts(make) == before


def test_seed_with_existing_users_only(runner, make):
    alice = make.user("alice")
    result = runner.invoke(args=["seed", "--users", "0", "--posts", "5", "--comments", "10"])
    assert result.exit_code == 0, result.output
    assert counts(make)[:3] == (1, 5, 10)
    with make.app.app_context():
        assert set(db.session.scalars(select(Post.author_id))) == {alice}


@pytest.mark.parametrize(
    ("option", "value"),
    [("--users", "-1"), ("--posts", "-5"), ("--comments", "-1"), ("--posts", "abc"), ("--users", "10000001")],
)
def test_seed_refuses_bad_options_and_writes_nothing(runner, make, option, value):
    result = runner.invoke(args=["seed", *SMALL, option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert counts(make) == (0, 0, 0, 0)


def test_seed_refuses_posts_without_authors(runner, make):
    result = runner.invoke(args=["seed", "--users", "0", "--posts", "5", "--comments", "5"])
    assert result.exit_code == 2
    assert "posts need authors: use --users 1 or more" in result.output
    result = runner.invoke(args=["seed", "--users", "0", "--posts", "3", "--comments", "0"])
    assert result.exit_code == 1
    assert "no users to author posts" in result.output
    assert counts(make) == (0, 0, 0, 0)


# --- create-user ----------------------------------------------------------------

PASSWORD = "cli-password-1"


def create_user(runner, *extra, username="dave", email="Dave@Example.com", password=PASSWORD):
    return runner.invoke(args=["create-user", "--username", username, "--email", email, "--password", password, *extra])


def only_user(make) -> User:
    with make.app.app_context():
        user = db.session.scalars(select(User)).one()
        db.session.expunge(user)
        return user


def test_create_user(client, runner, make, auth):
    result = create_user(runner)
    assert result.exit_code == 0, result.output
    user = only_user(make)
    assert result.output.strip() == f"Created member 'dave' (id {user.id})."
    assert (user.username, user.email, user.role) == ("dave", "dave@example.com", "member")
    assert user.email_verified_at is None  # asked to confirm it, unless --verified
    assert verify_password(user.password_hash, PASSWORD)
    response = auth.login("dave", PASSWORD)
    assert response.status_code == 302 and location_path(response) == "/"


def test_create_user_with_a_role(runner, make):
    assert create_user(runner, "--role", "admin", "--verified").exit_code == 0
    assert only_user(make).role == "admin" and only_user(make).email_verified_at is not None
    result = create_user(runner, "--role", "king", username="erin", email="erin@example.com")
    assert result.exit_code == 2 and "Invalid value for '--role'" in result.output
    assert make.count(User) == 1


def test_create_user_through_the_prompts(runner, make):
    result = runner.invoke(args=["create-user"], input=f"frank\nfrank@example.com\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created member 'frank'" in result.output
    assert make.count(User) == 1


@pytest.mark.parametrize(
    "changes",
    [{"username": "DAVE", "email": "other@example.com"}, {"username": "other", "email": "DAVE@example.com"}],
)
def test_create_user_refuses_duplicates_and_writes_nothing(runner, make, changes):
    assert create_user(runner).exit_code == 0
    result = create_user(runner, **changes)
    assert result.exit_code == 1
    assert "Error: that username or email is already registered" in result.output
    assert make.count(User) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "dave@"}, "email"),
        ({"username": "da ve"}, "username"),
        ({"username": "x" * 33}, "username"),
        ({"password": "short"}, "password"),
    ],
)
def test_create_user_refuses_invalid_values_and_writes_nothing(runner, make, changes, field):
    result = create_user(runner, **changes)
    assert result.exit_code == 2
    assert f"{field}: " in result.output
    assert make.count(User) == 0


def test_flask_db_commands_work_from_the_command_line_only(tmp_path):
    """Flask-Migrate is registered for the ``flask`` command, not for a web worker's app."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "SECRET_KEY": "cli-test-secret"}
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
    current = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"], env=env, capture_output=True, text=True
    )
    assert "(head)" in current.stdout
    probe = "import sys, wsgi; print('flask_migrate' in sys.modules, 'migrate' in wsgi.app.extensions)"
    worker = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
    )
    assert worker.stdout.strip() == "False False", worker.stderr[-2000:]
