"""Auth forms (Flask-WTF: every form carries a ``csrf_token``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Regexp

from finboard.contract.fields import USERNAME_PATTERN
from finboard.contract.limits import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            InputRequired("Choose a username."),
            Length(max=USERNAME_MAX, message=f"At most {USERNAME_MAX} characters."),
            Regexp(USERNAME_PATTERN, message="3–32 letters, digits or underscores."),
        ],
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter your email address."),
            Length(max=EMAIL_MAX, message=f"At most {EMAIL_MAX} characters."),
            Email(message="Enter a valid email address.", check_deliverability=False),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Choose a password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Between {PASSWORD_MIN} and {PASSWORD_MAX} characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[InputRequired("Repeat your password."), EqualTo("password", "Passwords differ.")],
    )


class LoginForm(FlaskForm):
    username = StringField(
        "Username or email",
        validators=[InputRequired("Enter your username or email."), Length(max=EMAIL_MAX)],
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=PASSWORD_MAX)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=PASSWORD_MAX)]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            InputRequired("Choose a new password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Between {PASSWORD_MIN} and {PASSWORD_MAX} characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired("Repeat your new password."), EqualTo("new_password", "Passwords differ.")],
    )
