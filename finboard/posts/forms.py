"""Post, comment and search forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from finboard.contract.limits import COMMENT_BODY_MAX, POST_BODY_MAX, TITLE_MAX


def _not_blank(_form, field) -> None:
    if field.data is not None and not field.data.strip():
        raise ValidationError("This field cannot be only spaces.")


class PostForm(FlaskForm):
    """Title, category and body; the view and position per ticker are ``finboard.posts.ticker_rows``."""

    title = StringField(
        "Title",
        validators=[
            InputRequired("Give your post a title."),
            Length(min=3, max=TITLE_MAX, message=f"Between 3 and {TITLE_MAX} characters."),
            _not_blank,
        ],
    )
    category = SelectField("Category", validators=[InputRequired("Choose a category.")], validate_choice=True)
    body = TextAreaField(
        "Body (Markdown)",
        validators=[
            InputRequired("Write something."),
            Length(max=POST_BODY_MAX, message=f"At most {POST_BODY_MAX:,} characters."),
            _not_blank,
        ],
    )

    def show_api_error(self, exc) -> bool:
        """Put an ``ApiError``'s field messages next to this form's fields; False if none is ours."""
        shown = False
        for name, message in getattr(exc, "fields", {}).items():
            field = self._fields.get(name)
            if field is not None and name != "csrf_token":
                field.errors = [*field.errors, message]
                shown = True
        return shown


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[
            InputRequired("Write a comment first."),
            Length(max=COMMENT_BODY_MAX, message=f"At most {COMMENT_BODY_MAX:,} characters."),
            _not_blank,
        ],
    )


class DeleteForm(FlaskForm):
    """An empty form: just the CSRF token behind a delete button."""
