"""The demo data's text: tickers per category, the post and comment templates, the user names.

A template is compiled once into literal parts, ticker slots (T, U) and number slots (a tuple
of the strings to choose from). Each "${t}" / "${u}" becomes a "$TICKER" that
``extract_cashtags`` finds (tests/contract/test_seed_templates.py checks every template with every ticker), so
a post's cashtags are the tickers it was filled with, in order of first appearance: no regex
per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TICKERS = {
    "stocks": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "NFLX", "INTC", "BRK.B"],
    "crypto": ["BTC", "ETH", "SOL", "ADA", "DOGE", "XRP", "LINK"],
    "dividends": ["KO", "PEP", "JNJ", "O", "SCHD", "VZ", "T", "PG", "MO"],
    "options": ["SPY", "QQQ", "TSLA", "NVDA", "AAPL", "IWM"],
    "macro": ["SPY", "TLT", "GLD", "DXY", "VIX", "UUP"],
    "personal-finance": ["VTI", "VOO", "VXUS", "BND", "SCHD"],
    "earnings": ["AAPL", "MSFT", "NVDA", "AMZN", "JPM", "WMT", "COST", "ORCL"],
    "off-topic": ["SPY", "VTI"],
}


DEFAULT_TICKERS = ["SPY", "VTI"]  # a category not listed above


FALLBACK_TICKER = "SPY"  # the "other" ticker when only one is at hand


# What a ticker is decides what can be said about it: no "$ADA dividend safety check", no
# "$DOGE forward earnings". A company pays no dividend worth a post unless it is a "dividend".
COMPANY, DIVIDEND, FUND, CRYPTO, INDEX = "company", "dividend", "fund", "crypto", "index"
KINDS = (COMPANY, DIVIDEND, FUND, CRYPTO, INDEX)
KIND_OF = {
    **dict.fromkeys(["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "NFLX", "INTC"], COMPANY),
    **dict.fromkeys(["BRK.B", "JPM", "WMT", "COST", "ORCL"], COMPANY),
    **dict.fromkeys(["KO", "PEP", "JNJ", "O", "VZ", "T", "PG", "MO"], DIVIDEND),
    **dict.fromkeys(["SPY", "QQQ", "IWM", "SCHD", "VTI", "VOO", "VXUS", "BND", "TLT", "GLD", "UUP"], FUND),
    **dict.fromkeys(["BTC", "ETH", "SOL", "ADA", "DOGE", "XRP", "LINK"], CRYPTO),
    **dict.fromkeys(["DXY", "VIX"], INDEX),
}
# Tickers of each kind, for the "other" ticker of a template when the category has no second one.
PEERS = {kind: [t for t, k in KIND_OF.items() if k == kind] for kind in KINDS}

_ANY = frozenset(KINDS)
_HELD = frozenset({COMPANY, DIVIDEND, FUND, CRYPTO})  # what one buys, holds and sells
_STOCK = frozenset({COMPANY, DIVIDEND})
_MARKET = frozenset({FUND, INDEX})

# (text, the kinds of ticker it fits). "${u}" is another ticker of the same kind.
TITLE_SOURCES = [
    ("${t} after earnings: what the guidance really says", _STOCK),
    ("Is ${t} still a buy at these levels?", _HELD),
    ("Why I trimmed my ${t} position this week", _HELD),
    ("${t} vs ${u}: which one for the next five years?", _HELD),
    ("Thoughts on ${t} breaking its 200-day moving average", _ANY),
    ("Bear case for ${t} nobody talks about", _HELD),
    ("Dollar-cost averaging into ${t} — month {n} update", frozenset({FUND, CRYPTO, DIVIDEND})),
    ("${t} dividend safety check", frozenset({DIVIDEND})),
    ("What would make you sell ${t}?", _HELD),
    ("Weekly ${t} covered calls: {n} weeks in", frozenset({COMPANY, FUND})),
    ("Rate cuts and ${t}: priced in or not?", _ANY),
    ("${t} short interest is climbing again", _STOCK),
    ("${t} and the next halving: what the cycle says", frozenset({CRYPTO})),
    ("Is the ${t} spike a warning for stocks?", frozenset({INDEX})),
]


# Every opener names the post's ticker ("${t}"): a title's ticker is always in its body.
OPENER_SOURCES = [
    ("I've been holding ${t} for a while and want a sanity check.", _HELD),
    ("Quick write-up after reading the latest filing for ${t}.", _STOCK),
    ("Long-time lurker, first post. Curious how people here see ${t}.", _ANY),
    ("Putting my notes on ${t} here so you can poke holes in them.", _ANY),
    ("Been stacking ${t} since the last cycle; here is how I read it now.", frozenset({CRYPTO})),
    ("Watching ${t} every morning lately; here is what stands out.", _MARKET),
]
# For a title with two tickers: an opener that names both.
PAIR_OPENER_SOURCES = [
    ("Comparing ${t} and ${u} side by side before I pick one.", _ANY),
    ("I hold ${t} and keep looking at ${u}; help me decide.", _HELD),
]


POINT_SOURCES = [
    ("Revenue growth slowed to **{g}%** year over year, but margins held.", _STOCK),
    ("Free cash flow covers the payout about **{c}x**, which looks comfortable.", frozenset({DIVIDEND})),
    ("The valuation sits near **{pe}x** forward earnings, above the five-year average.", _STOCK),
    ("Management guided to *low-single-digit* growth next quarter.", _STOCK),
    ("Insiders sold roughly ${m}M worth of shares last month.", _STOCK),
    ("Implied volatility is elevated into the next catalyst.", _ANY),
    ("Compare with ${u}, which trades at a discount on the same metrics.", _STOCK),
    ("Debt matures mostly after 2030, so refinancing risk is limited.", _STOCK),
    ("The dividend has grown for **{n}** years in a row.", frozenset({DIVIDEND})),
    ("On-chain activity is up about **{g}%** from last quarter.", frozenset({CRYPTO})),
    ("Exchange balances keep falling, so holders are not selling.", frozenset({CRYPTO})),
    ("Funding rates are positive again, so leverage is building.", frozenset({CRYPTO})),
    ("It still moves together with ${u} most days.", frozenset({CRYPTO, INDEX})),
    ("The expense ratio is tiny and the holdings are broad.", frozenset({FUND})),
    ("Flows have been positive for **{n}** weeks straight.", frozenset({FUND})),
    ("Compare with ${u}, which has lagged it this year.", _MARKET),
    ("The move lines up with real yields more than with anything else.", _MARKET),
    ("Positioning data shows speculators crowded on one side.", frozenset({INDEX, CRYPTO, FUND})),
]


CLOSERS = [
    "Not advice — tell me where I'm wrong.",
    "What am I missing?",
    "Position: small, long-term. Happy to hear the bear case.",
    "Sources: my own notes and the latest numbers.",
]


COMMENT_SOURCES = [
    ("Good write-up. I'd watch the margin trend more than the headline number.", _STOCK),
    ("Agree on ${t}, but the valuation leaves little room for a miss.", _STOCK),
    ("I sold half last quarter and sleep better.", _HELD),
    ("The options market is pricing a bigger move than you think.", _ANY),
    ("Have you compared this with ${u}? Similar story, cheaper.", _STOCK),
    ("Dividend looks safe to me, payout ratio is fine.", frozenset({DIVIDEND})),
    ("This is why I just buy the index.", frozenset({COMPANY, DIVIDEND, CRYPTO})),
    ("Interesting, thanks. Bookmarking this thread.", _ANY),
    ("Rates matter more here than anything else right now.", _ANY),
    ("Careful with leverage on this one.", _ANY),
    ("Agree on ${t}, but it can drop 30% in a week.", frozenset({CRYPTO})),
    ("Not your keys, not your coins.", frozenset({CRYPTO})),
    ("Low fees and broad holdings: hard to beat ${t} for the core.", frozenset({FUND})),
]


USER_PREFIXES = ["value", "dividend", "macro", "theta", "hodl", "quant", "index", "growth", "bond", "chart"]


USER_SUFFIXES = ["investor", "hunter", "watcher", "trader", "saver", "nerd", "fan", "bull", "bear", "guy"]


T = 0


U = 1


NUMBERS = {
    "n": tuple(str(v) for v in range(2, 37)),
    "g": tuple(str(v) for v in range(1, 41)),
    "c": tuple(f"{v / 10:.1f}" for v in range(11, 36)),
    "pe": tuple(str(v) for v in range(9, 46)),
    "m": tuple(str(v) for v in range(2, 91)),
}


_SLOT = re.compile(r"\{(t|u|n|g|c|pe|m)\}")


@dataclass(frozen=True)
class Template:
    parts: tuple  # str literals, T/U ticker slots, tuples of number strings
    tickers: tuple[int, ...]  # the ticker slots in order of appearance
    constant: str | None  # the text, when the template has no slot at all

    @classmethod
    def compile(cls, source: str) -> Template:
        if any(c in source for c in "\\\t\r\n"):
            raise ValueError(f"templates are single-line plain text: {source!r}")
        parts: list = []
        position = 0
        for match in _SLOT.finditer(source):
            if match.start() > position:
                parts.append(source[position : match.start()])
            name = match.group(1)
            parts.append(T if name == "t" else U if name == "u" else NUMBERS[name])
            position = match.end()
        if position < len(source):
            parts.append(source[position:])
        tickers = tuple(p for p in parts if isinstance(p, int))
        constant = source if len(parts) == 1 and isinstance(parts[0], str) else None
        return cls(tuple(parts), tickers, constant)

    def render(self, rnd: Callable[[], float], t: str | None, u: str | None) -> str:
        if self.constant is not None:
            return self.constant
        out = []
        for part in self.parts:
            if part.__class__ is str:
                out.append(part)
            elif part.__class__ is int:
                out.append(t if part == T else u)
            else:
                out.append(part[int(rnd() * len(part))])
        return "".join(out)


def _by_kind(sources: list[tuple[str, frozenset[str]]]) -> dict[str, tuple[Template, ...]]:
    compiled = [(Template.compile(text), kinds) for text, kinds in sources]
    return {kind: tuple(template for template, kinds in compiled if kind in kinds) for kind in KINDS}


TITLES_BY_KIND = _by_kind(TITLE_SOURCES)
OPENERS_BY_KIND = _by_kind(OPENER_SOURCES)
PAIR_OPENERS_BY_KIND = _by_kind(PAIR_OPENER_SOURCES)
POINTS_BY_KIND = _by_kind(POINT_SOURCES)
COMMENTS_BY_KIND = _by_kind(COMMENT_SOURCES)

# Every template, whatever its kinds (tests/contract/test_seed_templates.py renders them all).
TITLES = tuple(Template.compile(text) for text, _ in TITLE_SOURCES)
OPENER_TEMPLATES = tuple(Template.compile(text) for text, _ in OPENER_SOURCES + PAIR_OPENER_SOURCES)
POINT_TEMPLATES = tuple(Template.compile(text) for text, _ in POINT_SOURCES)
CLOSER_TEMPLATES = tuple(Template.compile(s) for s in CLOSERS)
COMMENT_TEMPLATES = tuple(Template.compile(text) for text, _ in COMMENT_SOURCES)


BEARISH_TITLE_WORDS = ("bear case", "trimmed", "short interest", "warning")
