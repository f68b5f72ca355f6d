"""The constrained field types the schemas are built from (usernames, titles, tickers, reasons…).

One definition per kind of value, so a title is validated the same way when a
post is created and when it is edited, whichever resource module uses it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from finboard.contract.cashtags import normalize_ticker
from finboard.contract.limits import (
    BIO_MAX,
    COMMENT_BODY_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    POST_BODY_MAX,
    REASON_MAX,
    ROLES,
    SLUG_MAX,
    TITLE_MAX,
    USERNAME_MAX,
)

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,32}$"
TICKER_PATTERN = r"^\$?[A-Za-z][A-Za-z0-9]{0,5}(\.[A-Za-z]{1,2})?$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _ticker(value: str) -> str:
    """"$aapl" → "AAPL" (the pattern already refused what is not a ticker)."""
    return normalize_ticker(value) or value


Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, max_length=USERNAME_MAX)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=TITLE_MAX)]
PostBody = Annotated[str, StringConstraints(min_length=1, max_length=POST_BODY_MAX), AfterValidator(_not_blank)]
CommentBody = Annotated[str, StringConstraints(min_length=1, max_length=COMMENT_BODY_MAX), AfterValidator(_not_blank)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=SLUG_MAX)]
Ticker = Annotated[str, StringConstraints(pattern=TICKER_PATTERN), AfterValidator(_ticker)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=REASON_MAX)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=REASON_MAX)]
Bio = Annotated[str, StringConstraints(max_length=BIO_MAX)]

Sentiment = Literal["bullish", "bearish"]
TickerSentiment = Literal["bullish", "bearish", "neutral"]  # a view stated on one ticker
PositionKind = Literal["long", "short", "none"]
Role = Literal["member", "moderator", "admin"]

assert set(ROLES) == {"member", "moderator", "admin"}  # noqa: S101 - the Literal must follow ROLES
