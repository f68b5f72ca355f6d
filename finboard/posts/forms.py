"""Post, comment and search forms."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from finboard.contract.cashtags import normalize_ticker
from finboard.contract.limits import COMMENT_BODY_MAX, MAX_POSITIONS, POST_BODY_MAX, TITLE_MAX
from finboard.contract.positions import POSITIONS, parse_positions

SENTIMENT_CHOICES = [
    SelectChoice("", "No view"),
    SelectChoice("bullish", "Bullish"),
    SelectChoice("bearish", "Bearish"),
]
_POSITION_ITEM = re.compile(r"^(?P<ticker>[^:\s]+)\s*:\s*(?P<position>[^:\s]+)$")
_POSITION_SEPARATORS = re.compile(r"[,;\n]+")
DISCLOSURE_EXAMPLE = "AAPL:long, TSLA:none"


def parse_disclosure(raw: str | None) -> dict[str, str]:
    """``"AAPL:long, $tsla: none"`` → ``{"AAPL": "long", "TSLA": "none"}``, strictly.

    Items are separated by commas, semicolons or lines; each is TICKER:long,
    TICKER:short or TICKER:none. Anything else is a ``ValueError`` whose
    message says what to fix (shown next to the field).
    """
    items = [item.strip() for item in _POSITION_SEPARATORS.split(raw or "") if item.strip()]
    positions: dict[str, str] = {}
    for item in items:
        match = _POSITION_ITEM.match(item)
        if match is None:
            raise ValueError(f"“{item}” is not TICKER:POSITION. Write e.g. {DISCLOSURE_EXAMPLE}.")
        ticker = normalize_ticker(match["ticker"])
        position = match["position"].lower()
        if ticker is None:
            raise ValueError(f"“{match['ticker']}” is not a ticker. Tickers look like AAPL or BRK.B.")
        if position not in POSITIONS:
            raise ValueError(f"Position for ${ticker} must be long, short or none, not “{match['position']}”.")
        if ticker in positions:
            raise ValueError(f"${ticker} is listed twice.")
        positions[ticker] = position
    if len(positions) > MAX_POSITIONS:
        raise ValueError(f"Disclose at most {MAX_POSITIONS} positions.")
    return positions


def format_disclosure(stored: str) -> str:
    """A post's stored positions as the form shows them: ``"AAPL:long, BTC:none"``."""
    return ", ".join(f"{ticker}:{position}" for ticker, position in parse_positions(stored))


def _not_blank(_form, field) -> None:
    if field.data is not None and not field.data.strip():
        raise ValidationError("This field cannot be only spaces.")


class PostForm(FlaskForm):
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
    sentiment = SelectField("Sentiment", choices=SENTIMENT_CHOICES, default="", validate_choice=True)
    positions = StringField(
        "Disclosure",
        validators=[Length(max=400, message="At most 400 characters.")],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )

    def validate_positions(self, field) -> None:
        try:
            self.parsed_positions = parse_disclosure(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    @property
    def sentiment_value(self) -> str | None:
        return self.sentiment.data or None

    @property
    def positions_value(self) -> dict[str, str]:
        """The disclosure as ``PostCreate``/``PostUpdate`` take it (after ``validate``)."""
        return getattr(self, "parsed_positions", None) or parse_disclosure(self.positions.data)

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
