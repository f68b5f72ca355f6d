""" "Download my data": a ZIP of JSON files built by a background job and mailed as a link.

The member asks (the settings page; the API of every backend): a ``data_exports`` row with
an unguessable ``file_name`` is committed with its job (finboard.core.jobs: queued on
PostgreSQL, the mail thread when embedded). The job writes ``<EXPORT_DIR>/<file_name>.zip``
(to a temporary name first, then renamed: a half-written file is never served), marks the
row ready with an expiry (``EXPORT_DAYS``) and mails the link. The link works only for the
member who asked, signed in, until it expires: the download checks the row's owner and
expiry, so knowing the name is not enough. One export per hour (:data:`EVERY`).

The ZIP holds ``profile.json``, ``posts.json`` (with every revision), ``comments.json``,
``watches.json``, ``follows.json``, ``notifications.json``, ``blocks.json`` (blocks and
mutes) and ``preferences.json`` — what the member wrote and chose, never others' data
beyond the usernames they interacted with.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import zipfile
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError
from finboard.core import account_settings, mail_jobs
from finboard.core.account_data_models import DataExport
from finboard.core.account_models import TwoFactor
from finboard.core.mail import deliver, render
from finboard.core.models import (
    Category,
    CategoryWatch,
    Comment,
    Notification,
    Post,
    PostRevision,
    PostWatch,
    TickerFollow,
    User,
    UserBlock,
    UserMute,
    utcnow,
)
from finboard.settings import Settings

log = logging.getLogger("finboard.mail")

EXPORT_TASK = "finboard.data_export"
EVERY = timedelta(hours=1)
TOO_SOON = "You asked for your data less than an hour ago; its link is on its way to you."


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def request_export(session: Session, settings: Settings, user: User) -> DataExport:
    """Record the request and its job (committed together); 429 within an hour of the last one."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update())  # one request at a time
    last = session.scalar(select(DataExport.created_at).where(DataExport.user_id == user.id).order_by(
        DataExport.id.desc()).limit(1))  # fmt: skip
    if last is not None and utcnow() - last < EVERY:
        session.rollback()
        raise ApiError(429, "rate_limited", {"export": TOO_SOON})
    export = DataExport(user_id=user.id, file_name=secrets.token_hex(32), created_at=utcnow())
    session.add(export)
    session.flush()
    from finboard.core import jobs  # jobs imports this module: the job it runs

    jobs.enqueue_export(session, settings, export.id)
    session.commit()
    return export


def archive_path(settings: Settings, export: DataExport) -> Path:
    return Path(settings.export_dir) / f"{export.file_name}.zip"


def member_data(session: Session, user: User) -> dict[str, Any]:
    """File name → JSON-able content of the member's archive."""
    revisions: dict[int, list[dict]] = {}
    post_ids = select(Post.id).where(Post.author_id == user.id)
    chosen = select(PostRevision).where(PostRevision.post_id.in_(post_ids)).order_by(PostRevision.id)
    for rev in session.scalars(chosen):
        revisions.setdefault(rev.post_id, []).append(
            {"title": rev.title, "body": rev.body, "created_at": _iso(rev.created_at)}
        )
    slugs = dict(session.execute(select(Category.id, Category.slug)).all())
    posts = [
        {
            "id": p.id,
            "category": slugs.get(p.category_id),
            "title": p.title,
            "body": p.body,
            "created_at": _iso(p.created_at),
            "updated_at": _iso(p.updated_at),
            "revisions": revisions.get(p.id, []),
        }
        for p in session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id))
    ]
    comments = [
        {"id": c.id, "post_id": c.post_id, "body": c.body, "created_at": _iso(c.created_at)}
        for c in session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    ]
    blocked = session.scalars(
        select(User.username).join(UserBlock, UserBlock.blocked_id == User.id).where(UserBlock.blocker_id == user.id)
    ).all()
    mutes = session.execute(select(UserMute.kind, UserMute.term).where(UserMute.user_id == user.id)).all()
    actor_names = {
        row.id: row.username
        for row in session.execute(
            select(User.id, User.username).where(
                User.id.in_(select(Notification.actor_id).where(Notification.user_id == user.id))
            )
        )
    }
    notifications = [
        {
            "kind": n.kind,
            "actor": actor_names.get(n.actor_id),
            "post_id": n.post_id,
            "comment_id": n.comment_id,
            "ticker": n.ticker,
            "created_at": _iso(n.created_at),
            "read_at": _iso(n.read_at),
        }
        for n in session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    ]
    two_factor = session.scalar(select(TwoFactor.enabled_at).where(TwoFactor.user_id == user.id))
    return {
        "profile.json": {
            "username": user.username,
            "email": user.email,
            "email_verified_at": _iso(user.email_verified_at),
            "role": user.role,
            "bio": user.bio,
            "avatar": user.avatar,
            "created_at": _iso(user.created_at),
            "two_factor_enabled": two_factor is not None,
        },
        "posts.json": posts,
        "comments.json": comments,
        "watches.json": {
            "posts": list(session.scalars(select(PostWatch.post_id).where(PostWatch.user_id == user.id))),
            "categories": [
                slugs.get(category_id)
                for category_id in session.scalars(
                    select(CategoryWatch.category_id).where(CategoryWatch.user_id == user.id)
                )
            ],
        },
        "follows.json": {
            "tickers": sorted(session.scalars(select(TickerFollow.ticker).where(TickerFollow.user_id == user.id)))
        },
        "notifications.json": notifications,
        "blocks.json": {
            "blocked_members": sorted(blocked),
            "muted_words": sorted(term for kind, term in mutes if kind == "word"),
            "muted_tickers": sorted(term for kind, term in mutes if kind == "ticker"),
        },
        "preferences.json": account_settings.preferences(session, user).model_dump()["preferences"],
    }


def build(session: Session, settings: Settings, export: DataExport) -> None:
    """Write the archive (atomically) and mark the row ready; the caller commits."""
    user = session.get(User, export.user_id)
    path = archive_path(settings, export)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in member_data(session, user).items():
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False))
    os.replace(partial, path)
    now = utcnow()
    export.ready_at, export.expires_at = now, now + timedelta(days=settings.export_days)


def compose(settings: Settings, export: DataExport, user: User) -> EmailMessage:
    link = f"{settings.site_url}/settings/export/{export.file_name}"
    context = {"user": user, "link": link, "days": settings.export_days}
    return render(settings, "data_export", user.email, context)


def run_queued(session: Session, settings: Settings, export_id: int) -> bool:
    """The queued job: build once (committed), then mail once; MailError leaves ``mailed_at``
    unset and Procrastinate runs the job again (which does not build again)."""
    with session.begin():
        export = session.get(DataExport, export_id, with_for_update=True)
        if export is None:
            return False
        if export.ready_at is None:
            build(session, settings, export)
    with session.begin():
        export = session.get(DataExport, export_id, with_for_update=True)
        if export is None or export.mailed_at is not None:
            return False
        deliver(settings, compose(settings, export, session.get(User, export.user_id)))
        export.mailed_at = utcnow()
    return True


def _build_and_compose(bind: Engine, settings: Settings, export_id: int) -> EmailMessage | None:
    with Session(mail_jobs.thread_bind(bind)) as session, session.begin():
        export = session.get(DataExport, export_id)
        if export is None:
            return None
        if export.ready_at is None:
            build(session, settings, export)
        export.mailed_at = utcnow()  # handed to the mail thread, which retries it
        return compose(settings, export, session.get(User, export.user_id))


def send_later(bind: Engine, settings: Settings, export_id: int) -> None:
    """Embedded: the mail thread builds the archive and mails the link."""
    mail_jobs.send_later(settings, lambda: _build_and_compose(bind, settings, export_id))


def downloadable(session: Session, settings: Settings, user_id: int, file_name: str) -> Path | None:
    """The archive named ``file_name`` if it is this member's, ready and not expired; else None."""
    export = session.scalar(select(DataExport).where(DataExport.file_name == file_name))
    if export is None or export.user_id != user_id or export.ready_at is None or export.expires_at is None:
        return None
    if export.expires_at <= utcnow():
        return None
    path = archive_path(settings, export)
    return path if path.is_file() else None
