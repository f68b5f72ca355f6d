"""Copy FinBoard's seeded board into FlaskBB, through FlaskBB's own models (issue 19's side-by-side).

Runs in FlaskBB's venv (Python 3.12), after ``flaskbb install``. Why a copy rather than a seed of
its own: both boards then hold the *same* rows — the same 100 members, the same 10,000 threads
with the same titles, bodies and dates, the same 30,000 replies — so a page on one has its exact
counterpart on the other (a FinBoard post is the FlaskBB topic with the same id, its comments are
the topic's replies in time order; a FinBoard category is a FlaskBB forum of the same name).

How, and why it is still FlaskBB's own data: members, the category and its forums are FlaskBB
model objects saved with their ``save()`` (a forum's ``save`` grants it to every group, guests
included). Topics and posts go in as two bulk INSERTs through the ``Topic`` and ``Post`` models
(FlaskBB's own ``flaskbb populate --bulk-data`` bulk-saves too: 40,000 ``Post.save()`` calls
would each commit). The derived columns are then computed the way FlaskBB computes them: each
topic's first post, last post, post count and last update (one set-based UPDATE equal to
``Topic.recalculate`` plus what ``Post.save`` sets), then ``Forum.recalculate(last_post=True)``
and ``User.recalculate()`` themselves. ``check()`` recounts everything with independent queries
and fails the run on any difference. The welcome forum ``flaskbb install`` creates is deleted
(``Category.delete``), so FlaskBB holds exactly the copied threads.

    python seed_flaskbb.py --config flaskbb.cfg --source postgresql://root@127.0.0.1/finboard_db
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC

import sqlalchemy as sa

TOPICS_PER_PAGE = 20  # FinBoard's listing shows 20 cards; FlaskBB's default is 10 (see README)


def read_source(url: str) -> dict:
    """FinBoard's visible rows, in a driver-neutral shape (read with plain SQL)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = lambda q: [r._asdict() for r in conn.execute(sa.text(q))]  # noqa: E731 - local shorthand
        data = {
            "categories": rows("SELECT id, slug, name, description, position FROM categories ORDER BY position, id"),
            "users": rows("SELECT id, username, email, created_at FROM users ORDER BY id"),
            "posts": rows(
                "SELECT id, author_id, category_id, title, body, created_at FROM posts "
                "WHERE hidden_at IS NULL ORDER BY id"
            ),
            "comments": rows(
                "SELECT c.id, c.post_id, c.author_id, c.body, c.created_at FROM comments c "
                "JOIN posts p ON p.id = c.post_id WHERE c.hidden_at IS NULL AND p.hidden_at IS NULL ORDER BY c.id"
            ),
        }
    engine.dispose()
    return data


def utc(value):
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def seed(data: dict) -> dict:
    """Write ``data`` into FlaskBB (inside its app context); returns what was written."""
    from flaskbb.extensions import cache, db
    from flaskbb.forum.models import Category, Forum, Post, Topic
    from flaskbb.settings.models import Setting
    from flaskbb.user.models import Group, User
    from werkzeug.security import generate_password_hash

    # The welcome category/forum/topic of `flaskbb install`: gone, so the copy is all there is.
    for category in db.session.scalars(sa.select(Category)).all():
        category.delete(users=db.session.scalars(sa.select(User)).all())

    member = Group.get_member_group()
    shared_hash = generate_password_hash("finboard-demo")  # one hash for all: 100 scrypt runs cost ~10 s
    users = {}
    for row in data["users"]:
        user = User(username=row["username"], email=row["email"], primary_group_id=member.id, activated=True)
        user._password = shared_hash
        user.date_joined = user.lastseen = utc(row["created_at"])
        db.session.add(user)
        users[row["id"]] = user
    db.session.commit()

    board = Category(title="FinBoard", description="The FinBoard categories, copied.", position=1)
    board.save()
    forums = {}
    for row in data["categories"]:
        forum = Forum(title=row["name"], description=row["description"], category_id=board.id, position=row["position"])
        forum.save()  # grants the forum to every group (guests included), as the admin panel does
        forums[row["id"]] = forum

    topic_rows = []
    for p in data["posts"]:
        author = users[p["author_id"]]
        created = utc(p["created_at"])
        topic_rows.append(
            {
                "id": p["id"],
                "forum_id": forums[p["category_id"]].id,
                "title": p["title"],
                "user_id": author.id,
                "username": author.username,
                "date_created": created,
                "last_updated": created,
                "locked": False,
                "important": False,
                "views": 0,
                "post_count": 0,
                "hidden": False,
            }
        )
    db.session.execute(sa.insert(Topic), topic_rows)

    # Post ids in time order, so "ORDER BY posts.id" (the topic page) is the conversation's order.
    entries = [(utc(p["created_at"]), 0, p["id"], p["id"], p["author_id"], p["body"]) for p in data["posts"]]
    entries += [(utc(c["created_at"]), 1, c["id"], c["post_id"], c["author_id"], c["body"]) for c in data["comments"]]
    entries.sort()
    post_rows = [
        {
            "id": n,
            "topic_id": topic_id,
            "user_id": users[author_id].id,
            "username": users[author_id].username,
            "content": body,
            "date_created": created,
            "hidden": False,
        }
        for n, (created, _kind, _source_id, topic_id, author_id, body) in enumerate(entries, start=1)
    ]
    db.session.execute(sa.insert(Post), post_rows)
    db.session.commit()

    # What Post.save sets on its topic, and Topic.recalculate's count, for every topic at once.
    posts_of_topic = lambda column: sa.select(column).where(Post.topic_id == Topic.id).scalar_subquery()  # noqa: E731
    db.session.execute(
        sa.update(Topic).values(
            first_post_id=posts_of_topic(sa.func.min(Post.id)),
            last_post_id=posts_of_topic(sa.func.max(Post.id)),
            post_count=posts_of_topic(sa.func.count(Post.id)),
            last_updated=posts_of_topic(sa.func.max(Post.date_created)),
        )
    )
    for table in ("topics", "posts"):  # explicit ids: move the sequences past them (new posts keep working)
        db.session.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
    db.session.commit()

    for forum in forums.values():
        forum.recalculate(last_post=True)
    for user in db.session.scalars(sa.select(User)).all():
        user.recalculate()

    Setting.update("general", {"TOPICS_PER_PAGE": TOPICS_PER_PAGE})
    cache.clear()
    return {"users": len(users), "forums": len(forums), "topics": len(topic_rows), "posts": len(post_rows)}


def check(expected: dict) -> list[str]:
    """Recount with independent queries: what FlaskBB's pages print must match the rows."""
    from flaskbb.extensions import db

    q = lambda sql: db.session.execute(sa.text(sql)).all()  # noqa: E731
    problems = []
    ((topics, posts),) = q("SELECT (SELECT count(*) FROM topics), (SELECT count(*) FROM posts)")
    if (topics, posts) != (expected["topics"], expected["posts"]):
        problems.append(f"{topics} topics and {posts} posts, expected {expected['topics']} and {expected['posts']}")
    problems += [
        f"forum {r[0]}: counted {r[1:]}"
        for r in q(
            "WITH counted AS (SELECT f.id, f.topic_count, f.post_count, f.last_post_id, "
            " (SELECT count(*) FROM topics t WHERE t.forum_id = f.id) AS topics, "
            " (SELECT count(*) FROM posts p JOIN topics t ON t.id = p.topic_id WHERE t.forum_id = f.id) AS posts, "
            " (SELECT p.id FROM posts p JOIN topics t ON t.id = p.topic_id WHERE t.forum_id = f.id "
            "  ORDER BY p.date_created DESC, p.id DESC LIMIT 1) AS last_post FROM forums f) "
            "SELECT * FROM counted "
            "WHERE (topic_count, post_count) <> (topics, posts) OR last_post_id IS DISTINCT FROM last_post"
        )
    ]
    ((bad_topics,),) = q(
        "SELECT count(*) FROM topics t WHERE t.post_count <> (SELECT count(*) FROM posts p WHERE p.topic_id = t.id) "
        " OR t.first_post_id IS DISTINCT FROM (SELECT p.id FROM posts p WHERE p.topic_id = t.id "
        "  ORDER BY p.date_created, p.id LIMIT 1) "
        " OR t.last_post_id IS DISTINCT FROM (SELECT p.id FROM posts p WHERE p.topic_id = t.id "
        "  ORDER BY p.date_created DESC, p.id DESC LIMIT 1) "
        " OR t.last_updated <> (SELECT max(p.date_created) FROM posts p WHERE p.topic_id = t.id)"
    )
    if bad_topics:
        problems.append(f"{bad_topics} topics whose first/last post, count or last update is wrong")
    ((bad_users,),) = q(
        "SELECT count(*) FROM users u WHERE u.post_count <> (SELECT count(*) FROM posts p WHERE p.user_id = u.id)"
    )
    if bad_users:
        problems.append(f"{bad_users} users whose post count is wrong")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the flaskbb.cfg written by `flaskbb makeconfig`")
    parser.add_argument("--source", required=True, help="FinBoard's seeded database (SQLAlchemy URL)")
    args = parser.parse_args()

    from flaskbb.app import create_app

    started = time.perf_counter()
    data = read_source(args.source)
    app = create_app(args.config)
    with app.app_context():
        written = seed(data)
        problems = check(written)
    if problems:
        print("seed_flaskbb: the copy does not add up:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(
        f"seed_flaskbb: {written['users']} members, {written['forums']} forums, {written['topics']:,} topics, "
        f"{written['posts']:,} posts in {time.perf_counter() - started:.1f} s; counters checked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
