"""Common names of tickers in search: ``bitcoin`` finds the posts on $BTC, ``nvidia`` those on $NVDA.

People search for what they call a thing, posts say the cashtag. The synonym table is
here, once, and every backend expands the search at query time the same way: each
word of the table becomes "the word OR the ticker" (a cashtag is indexed as its
ticker, ``$BTC`` as ``btc``), wherever the word stands in the query, so
``bitcoin halving`` finds posts with "bitcoin" or "$BTC", and "halving".

- PostgreSQL: ``ts_rewrite`` over the parsed ``websearch_to_tsquery`` (so quotes,
  ``or`` and ``-`` keep their meaning) with the table as a constant ``VALUES`` list
  (``pg_search_tsquery``): no table to migrate, and the same SQL text in the
  Flask/FastAPI ORM statements, the raw SQL layer and Django.
- SQLite FTS5: ``"bitcoin"`` becomes ``("bitcoin" OR "btc")`` in ``sqlite_fts_query``.

Names are single lower-case words of letters (a query word is matched whole, in any case);
the tickers are those of the demo data and the most talked about.
"""

from __future__ import annotations

SEARCH_SYNONYMS: dict[str, str] = {
    # crypto
    "bitcoin": "BTC",
    "ethereum": "ETH",
    "ether": "ETH",
    "solana": "SOL",
    "cardano": "ADA",
    "dogecoin": "DOGE",
    "ripple": "XRP",
    "chainlink": "LINK",
    # stocks
    "apple": "AAPL",
    "microsoft": "MSFT",
    "nvidia": "NVDA",
    "amazon": "AMZN",
    "google": "GOOGL",
    "alphabet": "GOOGL",
    "facebook": "META",
    "tesla": "TSLA",
    "netflix": "NFLX",
    "intel": "INTC",
    "berkshire": "BRK.B",
    "jpmorgan": "JPM",
    "walmart": "WMT",
    "costco": "COST",
    "oracle": "ORCL",
    # dividends
    "coke": "KO",
    "pepsico": "PEP",
    "pepsi": "PEP",
    "verizon": "VZ",
    "altria": "MO",
    # funds and macro
    "gold": "GLD",
}


def sqlite_synonym(word: str) -> str:
    """One query word as an FTS5 expression: ``"word"``, or ``("word" OR "ticker")`` for a known name."""
    ticker = SEARCH_SYNONYMS.get(word.lower())
    if ticker is None:
        return f'"{word}"'
    return f'("{word}" OR "{ticker.lower()}")'


def _rewrite_rows() -> str:
    """The table as the text of a query ``ts_rewrite`` runs: (word, word | ticker) as tsqueries, the
    word stemmed as the index stems it (``apple`` is ``appl``). Only [a-z.] characters: no quoting."""
    rows = ", ".join(
        f"(to_tsquery(''english'', ''{name}''), to_tsquery(''english'', ''{name} | {ticker.lower()}''))"
        for name, ticker in SEARCH_SYNONYMS.items()
    )
    return f"SELECT * FROM (VALUES {rows}) AS s(t, e)"  # nosec B608 - the contract's [a-z.] names only


_REWRITE = _rewrite_rows()
assert all(name.isalpha() and name.islower() for name in SEARCH_SYNONYMS)  # noqa: S101 - embedded in SQL text


def pg_search_tsquery(placeholder: str) -> str:
    """The search as a tsquery with the synonyms ORed in, around a driver placeholder (``%s``,
    ``:search``).

    A scalar subquery, so PostgreSQL computes it once (an InitPlan) and the GIN index can take
    it: ``ts_rewrite`` with a query text is volatile, and written bare in ``search_vector @@ …``
    it ran once per row — a sequential scan, minutes per search at 1,000,000 posts."""
    return f"(SELECT ts_rewrite(websearch_to_tsquery('english', {placeholder}), '{_REWRITE}'))"
