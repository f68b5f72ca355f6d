"""The demo data's text: tickers per category, the post and comment templates, the user names.

A template is compiled once into literal parts, ticker slots (T, U) and number slots (a tuple
of the strings to choose from). Each "${t}" / "${u}" becomes a "$TICKER" that
``extract_cashtags`` finds (tests/contract/test_seed_templates.py checks every template with every ticker), so
a post's cashtags are the tickers it was filled with, in order of first appearance: no regex
per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TICKERS = {
    "stocks": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "NFLX", "INTC", "BRK.B"],
    "crypto": ["BTC", "ETH", "SOL", "ADA", "DOGE", "XRP", "LINK"],
    "dividends": ["KO", "PEP", "JNJ", "O", "SCHD", "VZ", "T", "PG", "MO"],
    "options": ["SPY", "QQQ", "TSLA", "NVDA", "AAPL", "IWM"],
    "macro": ["SPY", "TLT", "GLD", "DXY", "VIX", "UUP"],
    "personal-finance": ["VTI", "VOO", "VXUS", "BND", "SCHD"],
    "earnings": ["AAPL", "MSFT", "NVDA", "AMZN", "JPM", "WMT", "COST", "ORCL"],
    "off-topic": ["BTC", "SPY"],
}


DEFAULT_TICKERS = ["SPY", "BTC"]  # a category not listed above


FALLBACK_TICKER = "SPY"  # the "other" ticker when only one is at hand


TITLE_TEMPLATES = [
    "${t} after earnings: what the guidance really says",
    "Is ${t} still a buy at these levels?",
    "Why I trimmed my ${t} position this week",
    "${t} vs ${u}: which one for the next five years?",
    "Thoughts on ${t} breaking its 200-day moving average",
    "Bear case for ${t} nobody talks about",
    "Dollar-cost averaging into ${t} — month {n} update",
    "${t} dividend safety check",
    "What would make you sell ${t}?",
    "Weekly ${t} covered calls: {n} weeks in",
    "Rate cuts and ${t}: priced in or not?",
    "${t} short interest is climbing again",
]


OPENERS = [
    "I've been holding ${t} for a while and want a sanity check.",
    "Quick write-up after reading the latest filing for ${t}.",
    "Long-time lurker, first post. Curious how people here see ${t}.",
    "Putting my notes on ${t} here so you can poke holes in them.",
]


POINTS = [
    "Revenue growth slowed to **{g}%** year over year, but margins held.",
    "Free cash flow covers the payout about **{c}x**, which looks comfortable.",
    "The valuation sits near **{pe}x** forward earnings, above the five-year average.",
    "Management guided to *low-single-digit* growth next quarter.",
    "Insiders sold roughly ${m}M worth of shares last month.",
    "Implied volatility is elevated into the next catalyst.",
    "Compare with ${u}, which trades at a discount on the same metrics.",
    "Debt matures mostly after 2030, so refinancing risk is limited.",
]


CLOSERS = [
    "Not advice — tell me where I'm wrong.",
    "What am I missing?",
    "Position: small, long-term. Happy to hear the bear case.",
    "Sources: the 10-Q and the earnings call transcript.",
]


COMMENTS = [
    "Good write-up. I'd watch the margin trend more than the headline number.",
    "Agree on ${t}, but the valuation leaves little room for a miss.",
    "I sold half last quarter and sleep better.",
    "The options market is pricing a bigger move than you think.",
    "Have you compared this with ${u}? Similar story, cheaper.",
    "Dividend looks safe to me, payout ratio is fine.",
    "This is why I just buy the index.",
    "Interesting, thanks. Bookmarking this thread.",
    "Rates matter more here than the company itself right now.",
    "Careful with leverage on this one.",
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


def pick_tickers(rnd: Callable[[], float], template: Template, tickers: Sequence[str]) -> tuple[str, str]:
    """The tickers for a template's slots: two different ones when it has both."""
    if not template.tickers:
        return "", ""
    k = len(tickers)
    if k == 1:
        return tickers[0], FALLBACK_TICKER
    if T in template.tickers and U in template.tickers:
        i = int(rnd() * k)
        j = int(rnd() * (k - 1))
        return tickers[i], tickers[j + (j >= i)]
    one = tickers[int(rnd() * k)]
    return one, one


TITLES = tuple(Template.compile(s) for s in TITLE_TEMPLATES)


OPENER_TEMPLATES = tuple(Template.compile(s) for s in OPENERS)


POINT_TEMPLATES = tuple(Template.compile(s) for s in POINTS)


CLOSER_TEMPLATES = tuple(Template.compile(s) for s in CLOSERS)


COMMENT_TEMPLATES = tuple(Template.compile(s) for s in COMMENTS)


BEARISH_TITLE_WORDS = ("bear case", "trimmed", "short interest")
