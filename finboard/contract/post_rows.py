"""What a post row reads from its stored columns, the same for both ORMs' ``Post`` models.

``posts.cashtags`` is the space-separated tickers (for display in one query) and
``posts.positions`` the disclosed positions' stored form (``finboard.contract.positions``).
Mixed into SQLAlchemy's and Django's ``Post``, so the serializers read either alike.
"""

from __future__ import annotations

from finboard.contract.positions import parse_positions


class PostColumnReadings:
    """``cashtag_list`` and ``position_list`` of a row with ``cashtags`` and ``positions`` columns."""

    @property
    def cashtag_list(self) -> list[str]:
        return self.cashtags.split() if self.cashtags else []

    @property
    def position_list(self) -> list[tuple[str, str]]:
        return parse_positions(self.positions)

    @property
    def sentiment_list(self) -> list[tuple[str, str]]:
        """The per-ticker views (``posts.sentiments``, same stored form as the positions)."""
        return parse_positions(self.sentiments)
