"""The upload form (the page that works without JavaScript, and the script's request)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length, Optional

from finboard.contract.uploads import ALT_MAX


class UploadForm(FlaskForm):
    image = FileField("Image (PNG, JPEG, GIF or WebP, up to 5 MB)")
    alt = StringField(
        "Describe the image (alt text, for readers who can't see it)",
        validators=[Optional(), Length(max=ALT_MAX, message=f"At most {ALT_MAX} characters.")],
    )


class DeleteImageForm(FlaskForm):
    """An empty form: the CSRF token behind a moderator's delete button."""
