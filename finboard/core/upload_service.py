"""Uploading an image (the forum's upload page, the Flask and FastAPI ``POST /uploads``),
and a moderator deleting one.

The order of checks is the contract's, on every backend: a suspended account is refused
(403), then the hourly allowance (429), then the image itself (422 on ``file``); only an
image that passed all three is written, then its row is added (ON CONFLICT DO NOTHING:
the same picture twice, or a double submit, is one file and one row).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from finboard.contract.permissions import require_acting_moderator, require_writer
from finboard.contract.uploads import (
    UploadPublic,
    check_upload_allowance,
    markdown_snippet,
    media_url,
    refused_file,
)
from finboard.core import media
from finboard.core.images import ImageRefused
from finboard.core.models import User, utcnow
from finboard.core.upload_models import Upload
from finboard.core.watches import insert_if_absent
from finboard.settings import Settings


def check_upload_rate(session: Session, settings: Settings, user: User) -> None:
    limit = settings.uploads_per_hour
    since = utcnow() - timedelta(hours=1)
    recent = select(Upload.id).where(Upload.user_id == user.id, Upload.created_at > since).limit(limit + 1).subquery()
    check_upload_allowance(session.scalar(select(func.count()).select_from(recent)), limit)


def encode_or_refuse(data: bytes) -> media.EncodedImage:
    try:
        return media.reencode(data)
    except ImageRefused as exc:
        raise refused_file(str(exc)) from exc


def check_may_upload(session: Session, settings: Settings, user: User) -> None:
    """403 for a suspended account, 429 past the hourly allowance: checked before any pixel is read."""
    require_writer(user)
    check_upload_rate(session, settings, user)


def store_image(settings: Settings, image: media.EncodedImage) -> None:
    """Write the file (disk or S3: I/O, so FastAPI runs it in a thread)."""
    media.media_storage(settings).put(image.sha256, image.data)


def record_upload(session: Session, user: User, image: media.EncodedImage, alt: str) -> UploadPublic:
    """The uploads row (one per member and image, races included), committed."""
    insert_if_absent(
        session,
        Upload,
        user_id=user.id,
        sha256=image.sha256,
        size=len(image.data),
        width=image.width,
        height=image.height,
        created_at=utcnow(),
    )
    session.commit()
    return upload_public(image.sha256, alt, image.width, image.height, len(image.data))


def upload_image(session: Session, settings: Settings, user: User, data: bytes, alt: str) -> UploadPublic:
    """Store ``data`` as a re-encoded image of ``user`` and say how to embed it (committed)."""
    check_may_upload(session, settings, user)
    image = encode_or_refuse(data)
    store_image(settings, image)
    return record_upload(session, user, image, alt)


def upload_public(digest: str, alt: str, width: int, height: int, size: int) -> UploadPublic:
    return UploadPublic(
        url=media_url(digest),
        markdown=markdown_snippet(digest, alt),
        sha256=digest,
        width=width,
        height=height,
        size=size,
    )


def recent_uploads(session: Session, limit: int = 50) -> list[tuple[Upload, str]]:
    """The newest uploads with their uploader's name, for the moderators' page."""
    rows = session.execute(
        select(Upload, User.username).join(User, User.id == Upload.user_id).order_by(Upload.id.desc()).limit(limit)
    )
    return [(upload, username) for upload, username in rows]


def delete_image(session: Session, settings: Settings, moderator: User, digest: str) -> bool:
    """A moderator removes an image: its file and every row naming it (committed). False if unknown."""
    require_acting_moderator(moderator)
    removed = session.execute(delete(Upload).where(Upload.sha256 == digest)).rowcount
    session.commit()
    if removed:
        media.media_storage(settings).delete(digest)
    return bool(removed)
