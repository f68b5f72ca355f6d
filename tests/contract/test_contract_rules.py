"""The rules both persistence paths (SQLAlchemy and Django) ask the contract for.

Pure functions on duck-typed rows: no database. Each case pins the answer (status, code,
message) a backend returns, so a change to a rule shows here before it shows in
tests/conformance.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from finboard.contract.allowances import check_hourly_allowance
from finboard.contract.cashtags import ticker_in_path
from finboard.contract.errors import ApiError
from finboard.contract.limits import WATCHLIST_MAX
from finboard.contract.moderation import ReportCreate, log_entry
from finboard.contract.notifications import check_watchlist_room
from finboard.contract.pagination import PageQuery, page_slice
from finboard.contract.permissions import check_author, check_author_delete, check_may_comment
from finboard.contract.post_edits import text_edit
from finboard.contract.reports import (
    check_reported_comment,
    check_resolvable,
    report_row,
    report_target,
    resolve_refused,
)
from finboard.contract.serializers import cashtag_stats, cashtag_windows
from finboard.contract.transitions import (
    POST_FLAG_ACTIONS,
    author_delete_refused,
    check_hidden_change,
    gone,
    hidden_unchanged,
    not_suspended,
    suspension_end,
    suspension_summary,
)

NOW = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
FOREVER = datetime(2999, 1, 1, tzinfo=UTC)  # a suspension still running whenever the test runs


def member(user_id=1, role="member", suspended_until=None, created_at=NOW - timedelta(days=30)):
    return SimpleNamespace(id=user_id, role=role, suspended_until=suspended_until, created_at=created_at)


def post(author_id=1, hidden_at=None, locked=False):
    return SimpleNamespace(id=7, author_id=author_id, hidden_at=hidden_at, locked=locked, title="T", body="B")


def answer(exc: ApiError) -> tuple[int, str, str]:
    return exc.status, exc.code, exc.message


def raised(check, *args) -> tuple[int, str, str] | None:
    try:
        check(*args)
    except ApiError as exc:
        return answer(exc)
    return None


# --- who may change, delete and comment ----------------------------------------------------------


def test_author_delete_is_checked_post_then_author_then_hide_then_suspension():
    suspended = member(suspended_until=FOREVER)
    assert raised(check_author_delete, member(), None)[:2] == (404, "not_found")
    # Another member's hidden post is gone for them.
    assert raised(check_author_delete, member(2), post(hidden_at=NOW))[:2] == (404, "not_found")
    assert raised(check_author_delete, member(2), post())[:2] == (403, "forbidden")
    assert raised(check_author_delete, suspended, post(hidden_at=NOW))[:2] == (403, "hidden")
    assert raised(check_author_delete, suspended, post())[:2] == (403, "suspended")
    assert raised(check_author_delete, member(), post()) is None


def test_only_a_writing_author_may_change_a_post():
    assert raised(check_author, member(2), post())[:2] == (403, "forbidden")
    assert raised(check_author, member(suspended_until=FOREVER), post())[:2] == (403, "suspended")
    assert raised(check_author, member(), post()) is None


def test_a_locked_post_takes_comments_from_moderators_only():
    assert raised(check_may_comment, member(), post(locked=True))[:2] == (403, "locked")
    assert raised(check_may_comment, member(role="moderator"), post(locked=True)) is None
    suspended_moderator = member(role="moderator", suspended_until=FOREVER)
    assert raised(check_may_comment, suspended_moderator, post(locked=True))[:2] == (403, "suspended")


def test_hourly_allowance_refuses_at_the_limit_with_the_accounts_message():
    settings = SimpleNamespace(new_account_hours=24)
    old, new = member(), member(created_at=NOW - timedelta(hours=1))
    assert raised(check_hourly_allowance, old, settings, "post", NOW, 5, 4) is None
    assert raised(check_hourly_allowance, old, settings, "post", NOW, 5, 5) == (
        429,
        "rate_limited",
        "Each account can write 5 posts an hour. Try again later.",
    )
    assert raised(check_hourly_allowance, new, settings, "comment", NOW, 2, 3)[2].startswith("New accounts can write 2")


# --- transitions ----------------------------------------------------------------------------------


def test_a_missing_target_is_404_unless_a_moderator_deleted_it():
    assert answer(gone("comment", False))[:2] == (404, "not_found")
    assert answer(gone("comment", True)) == (409, "no_change", "The comment is already deleted.")


def test_an_author_delete_that_removed_nothing_names_the_hide_or_the_absence():
    assert answer(author_delete_refused(True))[:2] == (403, "hidden")
    assert answer(author_delete_refused(False))[:2] == (404, "not_found")


def test_suspension_end_summary_and_repeat_lift():
    until = suspension_end(NOW, 3)
    assert until == datetime(2026, 11, 4, 12, 30, tzinfo=UTC)
    assert suspension_summary("bob", until) == "bob until 2026-11-04 12:30 UTC"
    assert answer(not_suspended()) == (409, "no_change", "The user is not suspended.")


def test_every_flag_action_sets_its_own_flag():
    assert POST_FLAG_ACTIONS == {
        "lock": ("locked", True),
        "unlock": ("locked", False),
        "pin": ("pinned", True),
        "unpin": ("pinned", False),
    }


# --- reports ----------------------------------------------------------------------------------------


def test_a_report_row_snapshots_the_reported_comment():
    payload = ReportCreate(post_id=7, comment_id=9, reason="spam link")
    comment = SimpleNamespace(id=9, post_id=7, hidden_at=None, body="buy now", author_id=3)
    assert report_target(payload) == "comment"
    assert report_row(5, payload, post(), comment, NOW) == {
        "reporter_id": 5,
        "post_id": 7,
        "comment_id": 9,
        "target_type": "comment",
        "title": "T",
        "content": "buy now",
        "target_author_id": 3,
        "reason": "spam link",
        "status": "open",
        "resolution": "",
        "created_at": NOW,
    }
    assert report_target(ReportCreate(post_id=7, reason="spam link")) == "post"


def test_a_reported_comment_must_be_visible_and_of_the_reported_post():
    visible = SimpleNamespace(post_id=7, hidden_at=None)
    assert raised(check_reported_comment, visible, 7) is None
    for comment, post_id in ((None, 7), (visible, 8), (SimpleNamespace(post_id=7, hidden_at=NOW), 7)):
        assert raised(check_reported_comment, comment, post_id)[:2] == (404, "not_found")


def test_resolving_needs_an_open_report():
    assert raised(check_resolvable, None)[0] == 404
    assert raised(check_resolvable, SimpleNamespace(status="resolved"))[:2] == (409, "conflict")
    assert raised(check_resolvable, SimpleNamespace(status="open")) is None
    assert answer(resolve_refused(True))[0] == 409 and answer(resolve_refused(False))[0] == 404


# --- watchlist, tickers, pages, statistics ------------------------------------------------------------


def test_a_full_watchlist_takes_no_new_ticker():
    assert raised(check_watchlist_room, WATCHLIST_MAX - 1) is None
    status, _, _ = raised(check_watchlist_room, WATCHLIST_MAX)
    with pytest.raises(ApiError) as caught:
        check_watchlist_room(WATCHLIST_MAX)
    assert status == 422 and caught.value.fields == {"ticker": f"A watchlist holds at most {WATCHLIST_MAX} tickers."}


def test_a_path_ticker_is_normalized_or_404():
    assert ticker_in_path("$brk.b") == "BRK.B"
    assert raised(ticker_in_path, "100")[:2] == (404, "not_found")


def test_page_slice_is_the_numbered_pages_rows():
    assert page_slice(PageQuery(page=3, per_page=20)) == slice(40, 60)
    assert page_slice(PageQuery()) == slice(0, 20)


def test_cashtag_windows_and_split_rows():
    today, start, week, month = cashtag_windows(NOW)
    assert (today, start) == (date(2026, 11, 1), datetime(2026, 10, 3, tzinfo=UTC))
    assert (week, month) == (NOW - timedelta(days=7), NOW - timedelta(days=30))
    stats = cashtag_stats("AAPL", 4, 2, today, {today: 3}, [("bullish", 1, 3), ("bearish", 0, 1)])
    assert (stats.sentiment_7d.bullish, stats.sentiment_7d.bearish) == (1, 0)
    assert (stats.sentiment_30d.bullish, stats.sentiment_30d.bearish) == (3, 1)
    assert stats.daily[-1].posts == 3 and len(stats.daily) == 30


def test_an_edit_keeps_a_revision_only_when_title_or_body_changes():
    assert text_edit(post(), None, None) == ("T", "B", False)
    assert text_edit(post(), "T", "B") == ("T", "B", False)
    assert text_edit(post(), None, "B2") == ("T", "B2", True)
    assert text_edit(post(), "T2", None) == ("T2", "B", True)


def test_hide_and_restore_repeats_are_409_with_their_message():
    assert answer(hidden_unchanged("post", True)) == (409, "no_change", "The post is already hidden.")
    assert raised(check_hidden_change, "comment", None, False) == (409, "no_change", "The comment is not hidden.")
    assert raised(check_hidden_change, "comment", NOW, True) == (409, "no_change", "The comment is already hidden.")
    assert raised(check_hidden_change, "post", None, True) is None
    assert raised(check_hidden_change, "post", NOW, False) is None


def test_a_log_entry_cuts_its_summary_to_the_column():
    entry = log_entry(2, "hide", "post", 7, "x" * 300, "spam", NOW)
    assert len(entry["summary"]) == 200
    assert {k: v for k, v in entry.items() if k != "summary"} == {
        "moderator_id": 2,
        "action": "hide",
        "target_type": "post",
        "target_id": 7,
        "reason": "spam",
        "created_at": NOW,
    }

