"""Disclosed positions (long, short, none per ticker): their stored form and which to keep.

Stored as one text column (``"AAPL:long BTC:none"``) by every backend; a
position must name a cashtag of its post.
"""

from __future__ import annotations

from finboard.contract.errors import ApiError

POSITIONS = ("long", "short", "none")


def parse_positions(stored: str) -> list[tuple[str, str]]:
    """``"AAPL:long BTC:none"`` → ``[("AAPL", "long"), ("BTC", "none")]``."""
    return [tuple(item.split(":", 1)) for item in stored.split()] if stored else []


def format_positions(positions: list[tuple[str, str]]) -> str:
    return " ".join(f"{ticker}:{position}" for ticker, position in positions)


def positions_for(post_tickers: list[str], given: dict[str, str] | None, stored: list[tuple[str, str]]) -> str:
    """The positions to store: the given ones (each must be a cashtag of the post), else the
    stored ones that still are; in the post's cashtag order."""
    if given is not None:
        unknown = [ticker for ticker in given if ticker not in post_tickers]
        if unknown:
            raise ApiError(422, "invalid", {"positions": f"${unknown[0]} is not a cashtag of this post."})
        chosen = given
    else:
        chosen = dict(stored)
    return format_positions([(ticker, chosen[ticker]) for ticker in post_tickers if ticker in chosen])
