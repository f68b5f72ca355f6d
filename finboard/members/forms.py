"""A member's profile form (Flask-WTF, so it carries a ``csrf_token``); bounds from the contract."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from finboard.contract.limits import BIO_MAX


class BioForm(FlaskForm):
    bio = TextAreaField(
        "About you (Markdown)",
        validators=[Length(max=BIO_MAX, message=f"At most {BIO_MAX} characters.")],
    )
