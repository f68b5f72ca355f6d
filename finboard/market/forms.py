"""Following tickers: the Follow/Unfollow buttons and the watchlist's add form (each with a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from finboard.contract.cashtags import normalize_ticker

TICKER_HINT = "A ticker looks like AAPL, $BTC or BRK.B."


class FollowForm(FlaskForm):
    """A Follow or Unfollow button: the ticker is in the URL, where to go back to in ``next``."""

    next = HiddenField()


class WatchlistAddForm(FlaskForm):
    ticker = StringField(
        "Ticker",
        validators=[InputRequired("Type a ticker to follow."), Length(max=16, message=TICKER_HINT)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )

    def validate_ticker(self, field) -> None:
        if normalize_ticker(field.data) is None:
            raise ValidationError(TICKER_HINT)

    @property
    def normalized(self) -> str:
        return normalize_ticker(self.ticker.data) or ""
