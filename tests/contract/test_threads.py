"""The pure rules of threaded replies: which parent a reply may have, how a page of comments
becomes threads (nesting, "in reply to", folding) and how a quote is written."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from finboard.contract.comments import REPLY_OTHER_POST, REPLY_PARENT_GONE, check_reply_parent
from finboard.contract.errors import ApiError
from finboard.contract.threads import (
    COLLAPSE_ABOVE,
    SHOWN_WHEN_COLLAPSED,
    build_threads,
    quote_markdown,
    quoted_passage,
)


def comment(ident: int, parent: int | None, author: str):
    return SimpleNamespace(id=ident, parent_id=parent, author=SimpleNamespace(username=author))


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        (None, REPLY_PARENT_GONE),
        (SimpleNamespace(post_id=1, hidden_at=datetime(2026, 12, 1, tzinfo=UTC)), REPLY_PARENT_GONE),
        (SimpleNamespace(post_id=2, hidden_at=None), REPLY_OTHER_POST),
    ],
    ids=["deleted", "hidden", "other-post"],
)
def test_a_reply_needs_a_visible_parent_on_the_same_post(parent, message):
    with pytest.raises(ApiError) as refused:
        check_reply_parent(parent, 1)
    assert (refused.value.status, refused.value.code, refused.value.fields) == (
        422,
        "validation_error",
        {"parent_id": message},
    )


def test_a_visible_parent_on_the_same_post_is_accepted():
    assert check_reply_parent(SimpleNamespace(post_id=1, hidden_at=None), 1) is None


def test_threads_nest_one_level_and_name_whom_deeper_replies_answer():
    page = [
        comment(1, None, "bob"),
        comment(2, 1, "carol"),
        comment(3, None, "dan"),
        comment(4, 2, "ann"),  # a reply to a reply: flat under bob's thread, naming carol
        comment(5, 40, "erin"),  # its thread began on an earlier page
        comment(6, 41, "finn"),  # its parent is gone
    ]
    threads = build_threads(page, {40: "gus"})
    shape = [(t.top.comment.id, t.top.in_reply_to, [(e.comment.id, e.in_reply_to) for e in t.replies]) for t in threads]
    assert shape == [(1, None, [(2, None), (4, "carol")]), (3, None, []), (5, "gus", []), (6, None, [])]


def test_a_thread_of_more_than_the_limit_folds_all_but_the_first_replies():
    page = [comment(1, None, "bob"), *(comment(i, 1, "carol") for i in range(2, COLLAPSE_ABOVE + 3))]
    (thread,) = build_threads(page, {})
    assert thread.collapsed
    assert [e.comment.id for e in thread.shown] == list(range(2, 2 + SHOWN_WHEN_COLLAPSED))
    assert [e.comment.id for e in thread.folded] == list(range(2 + SHOWN_WHEN_COLLAPSED, COLLAPSE_ABOVE + 3))
    (short,) = build_threads(page[: COLLAPSE_ABOVE + 1], {})
    assert not short.collapsed and short.folded == [] and len(short.shown) == COLLAPSE_ABOVE


def test_a_quote_is_a_blockquote_with_a_bold_attribution_and_no_mention():
    quoted = quote_markdown("bob", "  First line\n\n> his own quote\nlast  \n")
    assert quoted == "**bob** wrote:\n\n> First line\n>\n> > his own quote\n> last\n\n"
    assert "@bob" not in quoted


SHOWN = "Margins are the whole story. Buybacks help too. $AAPL at 30x is not cheap."  # as the page shows it


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("the whole story", "the whole story"),
        ("  Buybacks help too.\r\n", "Buybacks help too."),
        ("story.\n\n\n\nBuybacks  \nhelp", "story.\n\nBuybacks\nhelp"),  # blocks: white space is loose
        ("$AAPL at 30x", "$AAPL at 30x"),
        ("the whole truth", None),  # words the comment does not hold
        ("The whole story", None),  # every other character exactly, case included
        ("   \n ", None),
        ("", None),
    ],
)
def test_a_selected_passage_is_quoted_only_if_the_comment_holds_it(passage, expected):
    assert quoted_passage(SHOWN, passage) == expected
