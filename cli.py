"""FinBoard's command line, registered on Flask's CLI (``flask <command>``).

``flask db ...`` comes from Flask-Migrate; this module adds ``seed``,
``create-user``, ``set-role``, ``worker`` (the background jobs), ``digests send``, ``accounts purge`` and (from
finboard.bench) ``bench``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from finboard.contract.users import UserCreate
from finboard.core import account_queries
from finboard.core.security import hash_password

NON_NEGATIVE = click.IntRange(min=0, max=10_000_000)
LARGE_SEED = 100_000  # posts + comments from which `flask seed` reports its progress


@click.command("seed")
@click.option("--users", type=NON_NEGATIVE, default=50, show_default=True, help="Accounts to create.")
@click.option("--posts", type=NON_NEGATIVE, default=500, show_default=True, help="Posts to create.")
@click.option("--comments", type=NON_NEGATIVE, default=1500, show_default=True, help="Comments to create.")
@click.option("--seed", "seed_value", type=int, default=42, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing when posts already exist (safe to repeat).")
@click.option(
    "--anchor",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    default=None,
    help="The newest moment of the data, UTC (every post is from the year before it) [default: now]. "
    "Fixed, the same --seed writes the same rows on every run.",
)
@click.option(
    "--demo/--no-demo",
    default=True,
    show_default=True,
    help="Also make the first two accounts demo_admin and demo_mod, pin posts and file open reports.",
)
@click.option(
    "--progress/--quiet",
    default=None,
    help=f"Report each phase with its time [default: --progress from {LARGE_SEED:,} posts + comments].",
)
@with_appcontext
def seed_command(
    users: int,
    posts: int,
    comments: int,
    seed_value: int,
    if_empty: bool,
    anchor: datetime | None,
    demo: bool,
    progress: bool | None,
) -> None:
    """Load deterministic demo data (accounts share the password 'finboard-demo'), dated up to now.

    All of it is written in one transaction: on an error nothing is.
    """
    from sqlalchemy import exists, select

    from finboard.core.models import Post
    from finboard.core.seeding import seed
    from finboard.extensions import cache, db

    if comments and not posts:
        raise click.BadParameter(
            "comments need posts: use --posts 1 or more, or --comments 0", param_hint="'--comments'"
        )
    if if_empty and db.session.scalar(select(exists().where(Post.id.isnot(None)))):
        click.echo("Posts already exist: nothing seeded (--if-empty).")
        return

    if posts and comments and not (users or _has_users(db)):
        raise click.BadParameter("posts need authors: use --users 1 or more", param_hint="--users")
    if progress is None:
        progress = posts + comments >= LARGE_SEED
    if progress:
        click.echo(f"Seeding {users:,} users, {posts:,} posts, {comments:,} comments (seed {seed_value})...")
    started = time.perf_counter()
    try:
        result = seed(
            db.session,
            users=users,
            posts=posts,
            comments=comments,
            seed=seed_value,
            anchor=anchor.replace(tzinfo=UTC) if anchor else None,
            progress=click.echo if progress else None,
            demo=demo,
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException(
            "seeding clashed with existing rows (was this seed already loaded?); nothing was written"
        ) from exc
    except (RuntimeError, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except BaseException:
        db.session.rollback()
        raise
    cache.invalidate()
    click.echo(
        f"Seeded {result.users} users, {result.posts} posts, {result.comments} comments "
        f"in {time.perf_counter() - started:.1f}s." + (f" {result.demo.summary()}" if result.demo else "")
    )


def _has_users(db) -> bool:
    from sqlalchemy import func, select

    from finboard.core.models import User

    return bool(db.session.scalar(select(func.count()).select_from(User)))


@click.command("create-user")
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(["member", "moderator", "admin"]), default="member", show_default=True)
@click.option(
    "--verified/--unverified",
    default=False,
    show_default=True,
    help="Take the address as confirmed (the operator vouches for it); else the account is asked to confirm it.",
)
@with_appcontext
def create_user_command(username: str, email: str, password: str, role: str, verified: bool) -> None:
    """Create an account (validated like the registration form)."""
    from pydantic import ValidationError

    from finboard.contract.errors import first_error_fields
    from finboard.extensions import db

    try:
        data = UserCreate(username=username, email=email, password=password)
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in first_error_fields(exc.errors()).items())
        raise click.BadParameter(problems) from exc
    taken = account_queries.username_taken(db.session, data.username)
    if taken or account_queries.email_in_use(db.session, data.email):  # the operator may be told
        raise click.ClickException("that username or email is already registered")
    try:
        user = account_queries.create_user(db.session, data.username, data.email, hash_password(data.password), role)
        if verified:
            user.email_verified_at = user.created_at
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException("that username or email is already registered") from exc
    click.echo(f"Created {role} {user.username!r} (id {user.id}).")


@click.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["member", "moderator", "admin"]), metavar="ROLE")
@with_appcontext
def set_role_command(username: str, role: str) -> None:
    """Make USERNAME a member, a moderator or an admin (moderators and admins moderate the forum)."""
    from sqlalchemy import func, select

    from finboard.core.models import User
    from finboard.extensions import db

    user = db.session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None:
        raise click.BadParameter(f"no account is called {username!r}", param_hint="'USERNAME'")
    if user.role == role:
        click.echo(f"{user.username} is already {_with_article(role)}.")
        return
    previous, user.role = user.role, role
    db.session.commit()
    click.echo(f"{user.username} is now {_with_article(role)} (was {_with_article(previous)}).")


def _with_article(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


@click.command("worker")
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=None, help="Jobs run at once [default: JOBS_CONCURRENCY, 4]."
)
@click.option("--exit-when-empty", is_flag=True, help="Stop once the queue is empty instead of waiting for jobs.")
@with_appcontext
def worker_command(concurrency: int | None, exit_when_empty: bool) -> None:
    """Run the background jobs (notification fan-out) queued in PostgreSQL, until SIGTERM/Ctrl-C.

    A thin wrapper over Procrastinate's worker (finboard.core.worker); on SQLite there is
    no queue: jobs run in the writing process after each commit.
    """
    import logging

    from flask import current_app

    from finboard.core.worker import run_worker
    from finboard.settings import ConfigError

    settings = current_app.config["FINBOARD_SETTINGS"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_worker(settings, concurrency=concurrency or settings.jobs_concurrency, wait=not exit_when_empty)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("digests")
def digests_group() -> None:
    """Daily and weekly notification digests by e-mail."""


@digests_group.command("send")
@click.option("--period", type=click.Choice(["daily", "weekly"]), required=True, help="Which digest.")
@with_appcontext
def digests_send_command(period: str) -> None:
    """Send this period's digests now (for cron; the worker's scheduler does it on PostgreSQL).

    Safe to repeat and to run beside the scheduler: a member's digest of one period is sent once.
    """
    from flask import current_app

    from finboard.core import digests
    from finboard.extensions import db

    run = digests.send_all(db.engine, current_app.config["FINBOARD_SETTINGS"], period)
    click.echo(f"{period} digests: {run.sent} sent, {run.skipped} skipped, {run.failed} failed (sent by the next run)")
    if run.failed:
        raise SystemExit(1)


@click.group("accounts")
def accounts_group() -> None:
    """Accounts whose members asked to delete them."""


@accounts_group.command("purge")
@with_appcontext
def accounts_purge_command() -> None:
    """Anonymise the accounts whose grace period is over (for cron; the worker does it hourly)."""
    from flask import current_app

    from finboard.core import account_deletion
    from finboard.extensions import cache, db

    done = account_deletion.purge_due(db.engine, current_app.config["FINBOARD_SETTINGS"])
    if done:
        cache.invalidate()  # pages showing their names or content (Redis: every backend's)
    click.echo(f"{done} accounts anonymised")


def init_app(app: Flask) -> None:
    app.cli.add_command(accounts_group)
    app.cli.add_command(digests_group)
    app.cli.add_command(seed_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(set_role_command)
    from finboard.bench.cli import bench  # stdlib, click and psycopg only: no benchmark extras

    app.cli.add_command(bench)
