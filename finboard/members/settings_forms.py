"""The settings page's forms (Flask-WTF: each carries a ``csrf_token``); bounds from the contract."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from finboard.contract.limits import BIO_MAX, PASSWORD_MAX, TWO_FACTOR_CODE_MAX
from finboard.core.account_models import DELIVERIES

# The notification kinds (finboard.contract.notifications) as the settings page names them.
NOTIFICATION_KINDS = {
    "mention": "Someone @mentions you",
    "reply": "A comment on your post",
    "comment_reply": "A reply to your comment",
    "comment": "A comment on a post you watch",
    "new_post": "A new post in a category you watch",
    "ticker": "A new post on a ticker you follow",
}
DELIVERY_LABELS = {
    "in_app": "In the app",
    "email": "E-mail, immediately",
    "daily": "Daily digest",
    "weekly": "Weekly digest",
    "off": "Off",
}
assert set(DELIVERY_LABELS) == set(DELIVERIES)


class CodeForm(FlaskForm):
    code = StringField(
        "Authenticator code or recovery code",
        validators=[InputRequired("Enter the 6-digit code."), Length(max=TWO_FACTOR_CODE_MAX)],
    )


class DisableTwoFactorForm(CodeForm):
    password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=PASSWORD_MAX)]
    )


class ProfileForm(FlaskForm):
    bio = TextAreaField(
        "About you (Markdown)",
        validators=[Length(max=BIO_MAX, message=f"At most {BIO_MAX} characters.")],
    )
    avatar = FileField("Avatar (PNG, JPEG, GIF or WebP, up to 2 MB)")


class NotificationsForm(FlaskForm):
    """One select per kind, built from NOTIFICATION_KINDS (fields named ``kind_<kind>``)."""


for _kind, _label in NOTIFICATION_KINDS.items():
    setattr(
        NotificationsForm,
        f"kind_{_kind}",
        SelectField(_label, choices=[SelectChoice(v, label) for v, label in DELIVERY_LABELS.items()], default="in_app"),
    )
