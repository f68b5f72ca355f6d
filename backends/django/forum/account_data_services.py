"""finboard.core's data_export and account_deletion requests in the Django ORM.

The same rows, answers and guards as the reference: the member's row is locked
(``select_for_update``) before the "one export an hour" and "already asked" checks, so
two requests at once make one row; the export's job is enqueued in the same transaction
(queued: Procrastinate's enqueue function through the cursor, run by ``flask worker``;
embedded: after the commit, the shared mail thread builds and mails it). The anonymisation
itself is the worker's (finboard.core.account_deletion.purge_due), whichever backend asked.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from finboard.contract.errors import ApiError
from finboard.core import account_deletion, data_export, mail_jobs
from finboard.core.security import verify_password
from finboard.rawsql import fanout
from finboard.settings import Settings

from . import two_factor_services
from .models import AccountDeletion, DataExport, User, UserSession


def _enqueue_export(settings: Settings, export_id: int) -> None:
    if settings.jobs_queued(connection.vendor):
        params = {
            "queue": mail_jobs.MAIL_QUEUE,
            "task": data_export.EXPORT_TASK,
            "args": json.dumps({"export_id": export_id}),
        }
        with connection.cursor() as cursor:
            cursor.execute(fanout.defer_statement(fanout.pyformat), params)
    else:
        engine = mail_jobs.url_engine(settings.database_url)
        transaction.on_commit(lambda: data_export.send_later(engine, settings, export_id))


def request_export(settings: Settings, user: User) -> None:
    with transaction.atomic():
        User.objects.select_for_update().filter(id=user.id).first()
        last = DataExport.objects.filter(user_id=user.id).order_by("-id").values_list("created_at", flat=True).first()
        if last is not None and timezone.now() - last < data_export.EVERY:
            raise ApiError(429, "rate_limited", {"export": data_export.TOO_SOON})
        export = DataExport.objects.create(user_id=user.id, file_name=secrets.token_hex(32), created_at=timezone.now())
        _enqueue_export(settings, export.id)


def request_deletion(
    settings: Settings,
    user: User,
    password: str,
    code: str | None,
    keep_content: bool,
    allow_attempt: Callable[[int], bool],
) -> AccountDeletion:
    if not allow_attempt(user.id):
        raise ApiError(429, "rate_limited")
    if not verify_password(user.password_hash, password):
        raise ApiError(422, "invalid", {"password": account_deletion.WRONG_PASSWORD})
    row = two_factor_services._enabled(user.id)
    if row is not None:
        if not code:
            raise ApiError(422, "invalid", {"code": account_deletion.CODE_NEEDED})
        with transaction.atomic():
            if not two_factor_services.verify(settings.secret_key, row, code):
                raise ApiError(422, "invalid", {"code": account_deletion.WRONG_CODE})
    with transaction.atomic():
        User.objects.select_for_update().filter(id=user.id).first()
        if AccountDeletion.objects.filter(user_id=user.id).exists():
            raise ApiError(409, "conflict", {"account": account_deletion.ALREADY})
        now = timezone.now()
        deletion = AccountDeletion.objects.create(
            user_id=user.id,
            requested_at=now,
            delete_after=now + timedelta(days=settings.account_deletion_grace_days),
            keep_content=keep_content,
        )
        UserSession.objects.filter(user_id=user.id, revoked_at__isnull=True).update(revoked_at=now)
        User.objects.filter(id=user.id).update(token_version=F("token_version") + 1)
    return deletion


def cancel_deletion(user: User) -> bool:
    deleted, _ = AccountDeletion.objects.filter(user_id=user.id).delete()
    return deleted == 1
