"""Uploads on the Django ORM, as finboard.core.upload_service: the same order of checks
(403 suspended, 429 hourly allowance, then the image), the shared re-encoding and storage
(finboard.core.media), and one row per member and image (``ignore_conflicts``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from finboard.contract.permissions import require_writer
from finboard.contract.uploads import UploadPublic, check_upload_allowance
from finboard.core import upload_service
from finboard.settings import Settings

from .models import Upload, User


def upload_image(settings: Settings, user: User, data: bytes, alt: str) -> UploadPublic:
    require_writer(user)
    limit = settings.uploads_per_hour
    since = timezone.now() - timedelta(hours=1)
    recent = Upload.objects.filter(user_id=user.id, created_at__gt=since).values("id")[: limit + 1]
    check_upload_allowance(len(recent), limit)
    image = upload_service.encode_or_refuse(data)
    upload_service.store_image(settings, image)
    row = Upload(user_id=user.id, sha256=image.sha256, size=len(image.data), width=image.width, height=image.height)
    Upload.objects.bulk_create([row], ignore_conflicts=True)
    return upload_service.upload_public(image.sha256, alt, image.width, image.height, len(image.data))
