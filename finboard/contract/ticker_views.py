"""Per-ticker views (bullish, bearish, neutral on each cashtag of a post): stored form and rules.

A post on $NVDA that mentions $AMD in passing is bullish on $NVDA and says
nothing about $AMD, so the view is stated per ticker, next to the position on
that ticker (``finboard.contract.positions``). Stored like the positions, as one
text column on the post row (``posts.sentiments = "NVDA:bullish AMD:neutral"``)
so a listing needs no extra query; a cashtag page counts only the views stated
on its own ticker.

The post-level ``sentiment`` of API version 1 stays for the clients written
before per-ticker views (backward compatible, no new API version):

- a write with ``sentiments`` stores those; the post-level ``sentiment`` becomes
  their common view when every stated view is the same bullish or bearish, else
  null (unless the request also sets ``sentiment`` itself);
- a write with only the legacy ``sentiment`` means what it meant before: that
  view on every cashtag of the post (``null`` clears every view);
- a write with neither keeps the stored views of the tickers still in the post.
"""

from __future__ import annotations

from collections.abc import Mapping

from finboard.contract.errors import ApiError
from finboard.contract.positions import format_positions, parse_positions

TICKER_SENTIMENTS = ("bullish", "bearish", "neutral")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()
"""The legacy ``sentiment`` was not part of the request (``None`` is a value: "no view")."""


def legacy_sentiment(payload) -> str | None | _Unset:
    """A ``PostCreate``/``PostUpdate``'s post-level ``sentiment``, or ``UNSET`` when the request left it out."""
    return payload.sentiment if "sentiment" in payload.model_fields_set else UNSET


def parse_sentiments(stored: str) -> list[tuple[str, str]]:
    """``"NVDA:bullish AMD:neutral"`` → ``[("NVDA", "bullish"), ("AMD", "neutral")]``."""
    return parse_positions(stored)


def sentiments_for(
    post_tickers: list[str],
    given: Mapping[str, str] | None,
    legacy: str | None | _Unset,
    stored: list[tuple[str, str]],
) -> str:
    """The per-ticker views to store, in the post's cashtag order (see the module docstring).

    ``given`` must name cashtags of the post, else a 422 on ``sentiments``.
    """
    if given is not None:
        unknown = [ticker for ticker in given if ticker not in post_tickers]
        if unknown:
            raise ApiError(422, "invalid", {"sentiments": f"${unknown[0]} is not a cashtag of this post."})
        chosen = dict(given)
    elif legacy is not UNSET:
        chosen = dict.fromkeys(post_tickers, legacy) if legacy else {}
    else:
        chosen = dict(stored)
    return format_positions([(ticker, chosen[ticker]) for ticker in post_tickers if ticker in chosen])


def overall_sentiment(stored_sentiments: str) -> str | None:
    """The post-level view the per-ticker ones add up to: their common view when every stated
    one is the same bullish or bearish, else ``None``."""
    views = {view for _, view in parse_sentiments(stored_sentiments)}
    return views.pop() if len(views) == 1 and views <= {"bullish", "bearish"} else None


def post_sentiment(
    stored_sentiments: str, given: Mapping[str, str] | None, legacy: str | None | _Unset, current: str | None
) -> str | None:
    """The post-level ``sentiment`` to store after a write: the legacy field when the request set
    it, else the common view of the per-ticker ones when those were given, else unchanged."""
    if legacy is not UNSET:
        return legacy
    if given is not None:
        return overall_sentiment(stored_sentiments)
    return current
