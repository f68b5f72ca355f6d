"""The account-mail forms (Flask-WTF: every form carries a ``csrf_token``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from finboard.contract.limits import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN


def _email_field(label: str) -> EmailField:
    return EmailField(
        label,
        validators=[
            InputRequired("Enter an email address."),
            Length(max=EMAIL_MAX, message=f"At most {EMAIL_MAX} characters."),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = _email_field("Your account's email address")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[
            InputRequired("Choose a new password."),
            Length(
                min=PASSWORD_MIN, max=PASSWORD_MAX, message=f"Between {PASSWORD_MIN} and {PASSWORD_MAX} characters."
            ),
        ],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired("Repeat your new password."), EqualTo("password", "Passwords differ.")],
    )


class EmailChangeForm(FlaskForm):
    email = _email_field("New email address")
    password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=PASSWORD_MAX)]
    )


# The change-of-address form's fields are "change-email" and "change-password": unique ids on a
# settings page that shows it next to other forms (templates/settings/_email.html).
EMAIL_FORM_PREFIX = "change"


def email_change_form() -> EmailChangeForm:
    """The form templates/settings/_email.html takes as ``email_form`` (posting to account.change_email)."""
    return EmailChangeForm(prefix=EMAIL_FORM_PREFIX)


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (confirming a link by POST, not on a mail scanner's GET)."""
