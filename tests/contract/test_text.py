"""Cashtag extraction (finboard.contract.cashtags) and the Markdown sanitiser (finboard.core.text):
examples and properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finboard.contract.cashtags import MAX_CASHTAGS_PER_POST, TICKER_RE, extract_cashtags, normalize_ticker
from finboard.core.text import render_markdown
from tests.helpers import Document, unsafe_markup

# --- cashtags -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Long $AAPL", ["AAPL"]),
        ("$aapl, $AAPL and $Aapl are one ticker", ["AAPL"]),
        ("$NVDA, $AMD; $INTC! ($TSM)", ["NVDA", "AMD", "INTC", "TSM"]),
        ("**$NVDA** in bold, *$AMD* in italics", ["NVDA", "AMD"]),
        ("_$AMD_ in underscore italics", ["AMD"]),
        ("a$BTC glued to a word is not a cashtag", []),
        ("$BRK.B is a share class", ["BRK.B"]),
        ("I bought $BRK.B.", ["BRK.B"]),
        ("$nvda.", ["NVDA"]),
        ("$AAPL's guidance", ["AAPL"]),
        ("$ETH-USD pair", ["ETH"]),
        ("$A and $ABCDEF", ["A", "ABCDEF"]),
        ("$AAPL\n$MSFT\t$GOOGL", ["AAPL", "MSFT", "GOOGL"]),
        ("I made $100 today and $5.50 yesterday", []),
        ("$1INCH starts with a digit", []),
        ("$TOOLONGX is not a ticker", []),
        ("$BRK.BBB has too long a suffix", []),
        ("price$AAPL is glued to a word", []),
        ("über$AAPL is glued to a word too", []),
        ("$$AAPL is doubled", []),
        ("$ alone", []),
        ("", []),
        ("no tickers here", []),
        ("<script>$XSS</script>", ["XSS"]),
    ],
)
def test_extract_cashtags(source, expected):
    assert extract_cashtags(source) == expected


def test_extract_cashtags_across_texts_in_order_of_first_appearance():
    assert extract_cashtags("Title about $msft", "Body on $AAPL and $MSFT", None) == ["MSFT", "AAPL"]
    assert extract_cashtags() == []


def test_extract_cashtags_keeps_at_most_twenty():
    source = " ".join(f"$T{i:02d}" for i in range(30))
    assert extract_cashtags(source) == [f"T{i:02d}" for i in range(MAX_CASHTAGS_PER_POST)]
    assert MAX_CASHTAGS_PER_POST == 20


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("aapl", "AAPL"),
        ("$aapl", "AAPL"),
        ("  $BRK.b ", "BRK.B"),
        ("100", None),
        ("", None),
        (None, None),
        ("TOOLONGX", None),
        ("'; drop table", None),
        ("$$", None),
    ],
)
def test_normalize_ticker(raw, expected):
    assert normalize_ticker(raw) == expected


# --- markdown -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("*em*", "<p><em>em</em></p>"),
        ("~~gone~~", "<s>gone</s>"),
        ("# Heading", "<h1>Heading</h1>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        (
            "[site](https://example.com)",
            '<p><a href="https://example.com" rel="nofollow ugc noopener noreferrer">site</a></p>',
        ),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>"),
    ],
)
def test_render_markdown(source, expected):
    assert expected in render_markdown(source)


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<svg onload=alert(1)>",
        "<body onload=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="javascript:alert(1)"></iframe>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript&colon;alert(1))",
        "[x](java%0ascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "<javascript:alert(1)>",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](javascript:alert(1))",
        '![x](https://example.com/a.png "onerror=alert(1)")',
        '[x](https://example.com "a onclick=alert(1) b")',
        "[x]: javascript:alert(1)\n\n[x]",
        "```html\n<script>alert(1)</script>\n```",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    ],
)
def test_render_markdown_strips_script_handlers_and_javascript_urls(source):
    html = render_markdown(source)
    assert "<script" not in html.lower()
    assert unsafe_markup(html) == []
    assert not re.search(r"<(img|svg|iframe|body|div|style|math)\b", html, re.I)


def test_render_markdown_keeps_safe_links_and_marks_them_nofollow():
    html = render_markdown("[mail](mailto:a@example.com) and [web](http://example.com/path?q=1&x=2)")
    links = [dict(attrs) for tag, attrs in Document(html).elements if tag == "a"]
    assert [link["href"] for link in links] == ["mailto:a@example.com", "http://example.com/path?q=1&x=2"]
    assert all(link["rel"] == "nofollow ugc noopener noreferrer" for link in links)


# --- cashtag links ----------------------------------------------------------------


def cashtag_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of each cashtag link, in order."""
    return re.findall(r'<a href="([^"]*)" class="cashtag">([^<]*)</a>', html)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Long $AAPL", [("/t/AAPL", "$AAPL")]),
        ("$aapl as typed", [("/t/AAPL", "$aapl")]),
        ("**$NVDA** and _$AMD_", [("/t/NVDA", "$NVDA"), ("/t/AMD", "$AMD")]),
        ("I bought $BRK.B.", [("/t/BRK.B", "$BRK.B")]),
        ("# $SPY heading", [("/t/SPY", "$SPY")]),
        ("- $BTC\n- $ETH", [("/t/BTC", "$BTC"), ("/t/ETH", "$ETH")]),
        ("| $A |\n|---|\n| $B |", [("/t/A", "$A"), ("/t/B", "$B")]),
        ("> $QQQ quoted", [("/t/QQQ", "$QQQ")]),
        ("$AAPL twice $AAPL", [("/t/AAPL", "$AAPL"), ("/t/AAPL", "$AAPL")]),
        # not cashtags, or not to be linked:
        ("I made $100", []),
        ("a$BTC glued", []),
        ("`$TSLA` in code", []),
        ("```\n$TSLA\n```", []),
        ("    $TSLA indented code", []),
        ("[$MSFT](https://example.com) already a link", []),
        ("<https://example.com/$MSFT> an autolink", []),
        ("![$IMG](https://example.com/x.png)", []),
    ],
)
def test_render_markdown_links_cashtags(source, expected):
    assert cashtag_links(render_markdown(source)) == expected


def test_cashtag_links_are_exactly_the_internal_link():
    html = render_markdown("Long $AAPL, see [notes](https://example.com).")
    assert '<a href="/t/AAPL" class="cashtag">$AAPL</a>' in html
    # the user's link keeps its rel; the forum's own cashtag link needs none
    assert '<a href="https://example.com" rel="nofollow ugc noopener noreferrer">notes</a>' in html


def test_code_keeps_its_cashtags_as_text():
    html = render_markdown("`$TSLA` and\n\n```\n$NVDA $AMD\n```")
    assert "<code>$TSLA</code>" in html and "$NVDA $AMD" in html and "/t/" not in html


def test_user_links_can_not_pass_for_cashtag_links():
    """A class comes only from the renderer: raw HTML is escaped and nh3 drops other classes."""
    html = render_markdown('<a href="/t/X" class="cashtag">$X</a> [y](/t/Y "cashtag")')
    assert '&lt;a href="/t/X" class="cashtag"&gt;' in html  # escaped, as typed
    assert cashtag_links(html) == [("/t/X", "$X")]  # only the renderer's own link
    assert '<a href="/t/Y" title="cashtag" rel="nofollow ugc noopener noreferrer">y</a>' in html


def test_render_markdown_of_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""


# --- properties -----------------------------------------------------------------

DANGEROUS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>",
        " onload=",
        "javascript:",
        "JAVASCRIPT:",
        "&#106;",
        "&colon;",
        "](",
        "[",
        ")",
        "<",
        ">",
        '"',
        "'",
        "`",
        "\n",
        "\t",
        "*",
        "$",
        "![",
        "<javascript:x>",
        "[l]: ",
        "<svg/onload=x>",
        "data:",
    ]
)
MARKDOWNISH = st.lists(st.one_of(DANGEROUS, st.text(max_size=12)), max_size=16).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), MARKDOWNISH))
def test_rendered_markdown_is_always_safe(source):
    html = render_markdown(source)
    assert "<script" not in html.lower()
    for tag, attrs in Document(html).elements:
        for name, value in attrs:
            assert not re.fullmatch(r"on\w+", name, re.I), (tag, name)
            if name == "href":
                assert not re.sub(r"[\x00-\x20]", "", value).lower().startswith("javascript:"), value
        attributes = dict(attrs)
        if tag == "a" and "rel" not in attributes:
            # only the forum's own cashtag and mention links go without rel
            assert attributes.get("class") in ("cashtag", "mention"), attrs
            if attributes["class"] == "cashtag":
                assert TICKER_RE.match(attributes["href"].removeprefix("/t/")), attrs
    assert unsafe_markup(html) == []


CASHTAG_LIKE = st.from_regex(r"\$[A-Za-z0-9][A-Za-z0-9]{0,7}(\.[A-Za-z]{1,3})?", fullmatch=True)
SEPARATORS = st.sampled_from([" ", ".", ",", "$", "\n", "a", "(", ")", "-", "'", "_", "é"])
TICKERISH = st.lists(st.one_of(CASHTAG_LIKE, SEPARATORS, st.text(max_size=6)), max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TICKERISH, st.text()), max_size=4))
def test_extracted_cashtags_are_unique_upper_case_tickers(texts):
    tags = extract_cashtags(*texts)
    assert len(tags) <= MAX_CASHTAGS_PER_POST
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert TICKER_RE.match(tag), tag
        assert tag == tag.upper()
        assert any(f"${tag}" in text.upper() for text in texts), tag
    # Extracting again from the tickers themselves gives them back, in order.
    assert extract_cashtags(" ".join(f"${tag}" for tag in tags)) == tags
