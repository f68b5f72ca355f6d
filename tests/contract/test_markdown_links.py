"""The forum's own Markdown rules (finboard.core.text): images, bare URLs, @mentions.

Only our uploads (/media/<sha256>.webp) are embedded; any other image is a link, so a
reader's browser never requests a third party. Bare URLs and @mentions become links.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finboard.core.text import render_markdown
from tests.helpers import Document, unsafe_markup

MEDIA = "/media/" + "ab" * 32 + ".webp"
REL = "nofollow ugc noopener noreferrer"


def elements(html: str, tag: str) -> list[dict[str, str]]:
    return [dict(attrs) for name, attrs in Document(html).elements if name == tag]


def test_an_uploaded_image_is_embedded_lazily_with_its_alt_text():
    html = render_markdown(f"Look: ![Q3 revenue]({MEDIA})")
    assert elements(html, "img") == [{"src": MEDIA, "alt": "Q3 revenue", "loading": "lazy"}]


def test_an_external_image_is_a_link_to_it_never_an_img():
    html = render_markdown("![chart](https://tracker.example/pixel.png)")
    assert "<img" not in html
    (link,) = elements(html, "a")
    assert link["href"] == "https://tracker.example/pixel.png"
    assert link["class"] == "external-image" and link["rel"] == REL
    assert ">chart</a>" in html  # not an empty paragraph any more


def test_an_external_image_without_alt_shows_its_address():
    html = render_markdown("![](https://example.com/a.png)")
    assert ">https://example.com/a.png</a>" in html


def test_an_external_image_inside_a_link_is_its_alt_text():
    html = render_markdown("[![logo](https://example.com/logo.png)](https://example.com)")
    assert [a["href"] for a in elements(html, "a")] == ["https://example.com"] and ">logo</a>" in html


@pytest.mark.parametrize(
    "source",
    [
        "![x](/media/" + "ab" * 32 + ".webp?track=1)",
        "![x](/media/../avatars/" + "ab" * 32 + ".png)",
        "![x](//evil.example/media/" + "ab" * 32 + ".webp)",
        "![x](https://finboard.example" + MEDIA + ")",
        "![x](/media/" + "AB" * 32 + ".webp)",
        '<img src="' + MEDIA + '">',
    ],
)
def test_only_the_exact_media_path_is_embedded(source):
    assert "<img" not in render_markdown(source)


def test_bare_urls_become_links_without_trailing_punctuation():
    html = render_markdown("See https://example.com/q?a=1&b=2. Or (http://example.org/x), ok?")
    assert [a["href"] for a in elements(html, "a")] == ["https://example.com/q?a=1&b=2", "http://example.org/x"]
    assert all(a["rel"] == REL for a in elements(html, "a"))


@pytest.mark.parametrize(
    "source",
    ["`https://example.com`", "    https://example.com", "[text](https://example.com)", "<https://example.com>"],
)
def test_urls_in_code_or_links_are_not_linked_twice(source):
    assert len(elements(render_markdown(source), "a")) == (0 if "`" in source or source.startswith(" ") else 1)


def test_mentions_link_to_profiles_like_cashtags_link_to_tickers():
    html = render_markdown("Thanks @Alice_1 and @bob, ping $NVDA")
    assert '<a href="/u/Alice_1" class="mention">@Alice_1</a>' in html
    assert '<a href="/u/bob" class="mention">@bob</a>' in html
    assert '<a href="/t/NVDA" class="cashtag">$NVDA</a>' in html


@pytest.mark.parametrize(
    "source",
    ["mail me at bob@example.com", "@ab is too short", "`@alice` in code", "[@alice](https://x.example)", "a/@alice"],
)
def test_what_is_not_a_mention_link(source):
    assert 'class="mention"' not in render_markdown(source)


def test_a_url_wins_over_the_mention_and_cashtag_inside_it():
    html = render_markdown("https://x.example/@alice/$AAPL")
    assert [a["href"] for a in elements(html, "a")] == ["https://x.example/@alice/$AAPL"]


def test_user_links_can_not_pass_for_mentions_or_images():
    html = render_markdown('[y](/u/eve "mention") <a class="mention" href="/u/eve">e</a>')
    assert elements(html, "a") == [{"href": "/u/eve", "title": "mention", "rel": REL}]


@pytest.mark.parametrize(
    "source",
    [
        "![x](javascript:alert(1))",
        '![x" onerror="alert(1)](' + MEDIA + ")",
        "![<script>alert(1)</script>](" + MEDIA + ")",
        "![x](" + MEDIA + ' "a onload=alert(1)")',
        'https://example.com/"onmouseover=alert(1)',
        "@alice<script>alert(1)</script>",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
    ],
)
def test_xss_attempts_through_images_urls_and_mentions(source):
    html = render_markdown(source)
    assert unsafe_markup(html) == [] and "<script" not in html.lower()
    for image in elements(html, "img"):
        assert image["src"] == MEDIA and set(image) <= {"src", "alt", "loading", "title"}


PIECES = st.sampled_from(
    ["![", "](", ")", MEDIA, "https://", "http://a.b/", "@", "@alice", "$AAPL", '"', "<", ">", "javascript:", " ", "\n"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=14).map("".join))
def test_images_are_only_ever_ours_and_links_only_safe(source):
    html = render_markdown(source)
    assert unsafe_markup(html) == []
    for image in elements(html, "img"):
        assert image["src"] == MEDIA and image["loading"] == "lazy"
    for link in elements(html, "a"):
        if "rel" not in link:  # only the forum's own links go without rel
            assert re.fullmatch(r"/(t/[A-Z0-9.]+|u/[A-Za-z0-9_]+)", link["href"]), link
