"""Moderation and report forms (Flask-WTF, so each carries a ``csrf_token``); bounds from the contract."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from finboard.contract.limits import REASON_MAX, SUSPENSION_DAYS_MAX

REASON_MIN = 3  # finboard.contract.fields.Reason


def _not_blank(_form, field) -> None:
    if field.data is not None and not field.data.strip():
        raise ValidationError("This field cannot be only spaces.")


def _reason(label: str, required: str, field=StringField):
    """A required reason of ``REASON_MIN`` to ``REASON_MAX`` characters, not only spaces."""
    return field(
        label,
        validators=[
            InputRequired(required),
            Length(min=REASON_MIN, max=REASON_MAX, message=f"Between {REASON_MIN} and {REASON_MAX} characters."),
            _not_blank,
        ],
    )


class ReportForm(FlaskForm):
    reason = _reason("What is wrong with it?", "Tell the moderators what is wrong.", TextAreaField)


class SuspendForm(FlaskForm):
    days = IntegerField(
        "Days",
        validators=[
            InputRequired("How many days?"),
            NumberRange(min=1, max=SUSPENSION_DAYS_MAX, message=f"From 1 to {SUSPENSION_DAYS_MAX} days."),
        ],
    )
    reason = _reason("Reason", "Give a reason: it goes in the moderation log.")


class UnsuspendForm(FlaskForm):
    reason = _reason("Reason", "Give a reason: it goes in the moderation log.")


class ResolveForm(FlaskForm):
    note = StringField(
        "Note",
        validators=[Optional(), Length(max=REASON_MAX, message=f"At most {REASON_MAX} characters.")],
    )
