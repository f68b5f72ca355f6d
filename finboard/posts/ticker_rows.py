"""The post form's control per detected cashtag: a view and a position on each ticker.

The form finds the cashtags in the title and body (``extract_cashtags``, the
rule every backend stores) and shows one row per ticker with two selects. It
works without JavaScript: a submit whose text mentions a ticker the page had
no row for is not saved but shown again with the new rows, so the author states
(or leaves empty) a view and a position on each before publishing. The hidden
``tickers`` field says which rows the page showed (a submission without it, from
a script rather than the page, is saved as it is).

Posted as ``view-<TICKER>`` and ``position-<TICKER>``; an empty value states
nothing. What the rows hold goes to ``PostCreate``/``PostUpdate`` as
``sentiments`` and ``positions`` (finboard.contract.ticker_views).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from finboard.contract.cashtags import extract_cashtags
from finboard.contract.positions import POSITIONS
from finboard.contract.ticker_views import TICKER_SENTIMENTS

VIEW_CHOICES = [("", "No view"), ("bullish", "▲ Bullish"), ("bearish", "▼ Bearish"), ("neutral", "Neutral")]
POSITION_CHOICES = [("", "Not stated"), ("long", "Long"), ("short", "Short"), ("none", "No position")]
REFRESH = "refresh-tickers"  # the name of the "Check tickers" button


@dataclass
class TickerRow:
    ticker: str
    view: str = ""
    position: str = ""
    error: str = ""


@dataclass
class TickerRows:
    rows: list[TickerRow] = field(default_factory=list)
    new_tickers: list[str] = field(default_factory=list)  # detected, but the page had no row for them
    refresh: bool = False
    view_choices = VIEW_CHOICES
    position_choices = POSITION_CHOICES

    @property
    def errors(self) -> list[str]:
        return [row.error for row in self.rows if row.error]

    @property
    def needs_review(self) -> bool:
        """Shown again before saving: a ticker without a row yet, or "Check tickers" pressed."""
        return bool(self.new_tickers) or self.refresh

    @property
    def shown(self) -> str:
        return " ".join(row.ticker for row in self.rows)

    @property
    def sentiments(self) -> dict[str, str]:
        return {row.ticker: row.view for row in self.rows if row.view}

    @property
    def positions(self) -> dict[str, str]:
        return {row.ticker: row.position for row in self.rows if row.position}


def rows_from_post(
    tickers: list[str], sentiments: list[tuple[str, str]], positions: list[tuple[str, str]]
) -> TickerRows:
    """The rows of a stored post (the edit form's first page)."""
    views, held = dict(sentiments), dict(positions)
    return TickerRows([TickerRow(t, views.get(t, ""), held.get(t, "")) for t in tickers])


def rows_from_form(data: Mapping[str, str], title: str, body: str) -> TickerRows:
    """The rows for the tickers the submitted text mentions, with the values the page sent."""
    shown = set((data.get("tickers") or "").split())
    detected = extract_cashtags(title or "", body or "")
    rows = []
    for ticker in detected:
        view, position = data.get(f"view-{ticker}", ""), data.get(f"position-{ticker}", "")
        row = TickerRow(ticker, view, position)
        if view and view not in TICKER_SENTIMENTS:
            row.view, row.error = "", f"Choose bullish, bearish, neutral or no view on ${ticker}."
        if position and position not in POSITIONS:
            row.position, row.error = "", f"Choose long, short, no position or not stated on ${ticker}."
        rows.append(row)
    # A submission without the ``tickers`` field did not come from the page with the rows (a
    # script posting the form): nothing to review, it is saved with the views it sent.
    new = [t for t in detected if t not in shown] if "tickers" in data else []
    return TickerRows(rows, new, refresh=REFRESH in data)
