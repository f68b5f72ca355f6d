"""The conformance cases, in-process: each adapter answers with the Flask reference's status and bytes.

tests/conformance proves the same under the real servers (gunicorn, uvicorn) on
PostgreSQL; this runs its cases on the apps built in this process, on SQLite and
on PostgreSQL, without a subprocess or a socket, so an adapter's regression fails
in seconds and the test id names the adapter (``[django-...]``). The scripted write
sequences run on fresh copies of the seeded database, one per adapter.
"""

from __future__ import annotations

import time
from email import message_from_bytes
from email.policy import default

import pytest

from finboard.core import mail_jobs
from finboard.core.security_headers import API_SECURITY_HEADERS, COMPARED_SECURITY_HEADERS
from tests.adapters.inprocess import SECRET, Answer, adapter_settings
from tests.conformance import (
    test_2_writes,
    test_6_community,
    test_8_accounts,
    test_8_blocks,
    test_8_two_factor,
    test_9_account_data,
    test_9_reactions,
    test_9_replies,
    test_9_sentiment,
    test_9_unread,
    test_9_uploads,
)
from tests.conformance.cases import READ_CASES, UNDOCUMENTED_CASES, fill_placeholders
from tests.conformance.contract import validate_response
from tests.conformance.sequence import assert_same_log
from tests.conformance.test_7_input import BODY_CASES, HEADER_REQUESTS, HUNT_READS, HUNT_WRITES, JSON, PATH_CASES

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
NOT_FOUND = b'{"error":{"code":"not_found","message":"Not found.","fields":{}}}'


def assert_same_as_reference(answer: Answer, expected: Answer, status: int) -> None:
    assert answer.status_code == status, (answer.status_code, answer.content[:400])
    assert expected.status_code == status, ("the reference", expected.status_code, expected.content[:400])
    assert answer.content == expected.content, f"\n{answer.content[:600]!r}\n{expected.content[:600]!r} (reference)"
    if answer.content:
        assert answer.headers["content-type"].startswith("application/json")


def ask_both(reader, reference, method: str, path: str, **kwargs) -> tuple[Answer, Answer]:
    return reader.request(method, path, **kwargs), reference.request(method, path, **kwargs)


@pytest.mark.parametrize(("case", "method", "path", "template", "status"), READ_CASES, ids=[c[0] for c in READ_CASES])
def test_read_case(reader, reference, seeded_author, cursors, case, method, path, template, status):
    answer, expected = ask_both(reader, reference, method, fill_placeholders(path, seeded_author, cursors))
    assert_same_as_reference(answer, expected, status)
    body = answer.json()
    validate_response(method, template, status, body)
    if status >= 400:
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


@pytest.mark.parametrize(
    ("case", "method", "path", "status"), UNDOCUMENTED_CASES, ids=[c[0] for c in UNDOCUMENTED_CASES]
)
def test_unrouted_request(reader, reference, case, method, path, status):
    answer, expected = ask_both(reader, reference, method, path)
    assert_same_as_reference(answer, expected, status)
    assert answer.json()["error"]["code"] in ("not_found", "method_not_allowed")


def test_the_seeded_listing_is_the_seed(reader):
    """Not only identical: right (so three adapters on an empty database would not pass)."""
    everything = reader.request("GET", "/api/v1/posts?per_page=100").json()
    assert (everything["total"], len(everything["items"]), everything["pages"]) == (90, 90, 1)
    stamps = [(p["created_at"], p["id"]) for p in everything["items"]]
    assert stamps == sorted(stamps, reverse=True)
    stats = reader.request("GET", "/api/v1/stats/categories").json()["items"]
    assert sum(c["post_count"] for c in stats) == 90 and sum(c["comment_count"] for c in stats) == 240


@pytest.mark.parametrize(
    ("case", "path", "template", "secured", "content", "status"), BODY_CASES, ids=[c[0] for c in BODY_CASES]
)
def test_body_is_bounded_before_parsing(reader, reference, member, case, path, template, secured, content, status):
    headers = {**JSON, **(member if secured else {})}
    answer, expected = ask_both(reader, reference, "POST", path, content=content, headers=headers)
    assert_same_as_reference(answer, expected, status)
    validate_response("POST", template, status, answer.json())


@pytest.mark.parametrize(("case", "method", "path", "secured"), PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_control_character_in_a_path_parameter(reader, reference, member, case, method, path, secured):
    body = {"action": "suspend", "reason": "a good reason"} if method == "POST" else None
    answer, expected = ask_both(reader, reference, method, path, json=body, headers=member if secured else {})
    assert_same_as_reference(answer, expected, 404)
    assert answer.content == NOT_FOUND


@pytest.mark.parametrize(("case", "path", "template", "status"), HUNT_READS, ids=[c[0] for c in HUNT_READS])
def test_hostile_query_value(reader, reference, case, path, template, status):
    answer, expected = ask_both(reader, reference, "GET", path)
    assert_same_as_reference(answer, expected, status)
    validate_response("GET", template, status, answer.json())


@pytest.mark.parametrize(
    ("case", "method", "path", "template", "content", "status"), HUNT_WRITES, ids=[c[0] for c in HUNT_WRITES]
)
def test_hostile_body_or_id(reader, reference, member, case, method, path, template, content, status):
    headers = {**JSON, **member}
    answer, expected = ask_both(reader, reference, method, path, content=content or None, headers=headers)
    assert_same_as_reference(answer, expected, status)
    validate_response(method, template, status, answer.json())


@pytest.mark.parametrize(("method", "path"), HEADER_REQUESTS, ids=[f"{m} {p}" for m, p in HEADER_REQUESTS])
def test_security_headers(reader, method, path):
    answer = reader.request(method, path)
    sent = {header: answer.headers.get(header.lower()) for header in COMPARED_SECURITY_HEADERS}
    assert sent == {header: API_SECURITY_HEADERS.get(header) for header in COMPARED_SECURITY_HEADERS}


def _logs(adapter: str, fresh, reference_logs: dict, kind: str, script) -> tuple[list, list]:
    """``script``'s log on ``adapter`` and on the Flask reference (run once per database kind)."""
    key = (kind, script.__name__)
    if key not in reference_logs:
        reference_logs[key] = script.run_sequence(fresh("flask"))
    if adapter == "flask":
        return reference_logs[key], reference_logs[key]
    return script.run_sequence(fresh(adapter)), reference_logs[key]


def test_write_sequence(adapter, fresh, seeded_database, reference_logs):
    """tests/conformance's write script: the same statuses and (normalised) bytes as Flask on its own copy."""
    log, reference_log = _logs(adapter, fresh, reference_logs, seeded_database.kind, test_2_writes)
    assert_same_log(log, reference_log, adapter)
    test_2_writes.check_data(adapter, log, SECRET)
    detail = next(response for label, _, _, response in log if label == "detail-after-writes").json()
    assert detail["id"] == 91, "the first post after the 90 seeded ones"


def test_reactions_sequence(adapter, fresh, seeded_database, reference_logs):
    """tests/conformance's reactions script, on SQLite and PostgreSQL."""
    log, reference_log = _logs(adapter, fresh, reference_logs, seeded_database.kind, test_9_reactions)
    assert_same_log(log, reference_log, adapter)
    test_9_reactions.check_data(adapter, {label: r.json() if r.content else None for label, _, _, r in log})


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_community_sequence(adapter, fresh, reference_logs):
    """tests/conformance's community script (it sets roles with psycopg: PostgreSQL only)."""
    log, reference_log = _logs(adapter, fresh, reference_logs, "postgres", test_6_community)
    assert_same_log(log, reference_log, adapter)
    test_6_community.check_data(adapter, {label: r.json() if r.content else None for label, _, _, r in log})


def test_blocks_sequence(adapter, fresh, seeded_database, reference_logs):
    """tests/conformance's blocks-and-mutes script, on SQLite and PostgreSQL."""
    log, reference_log = _logs(adapter, fresh, reference_logs, seeded_database.kind, test_8_blocks)
    assert_same_log(log, reference_log, adapter)
    test_8_blocks.check_data(adapter, {label: r.json() if r.content else None for label, _, _, r in log})


def test_replies_sequence(adapter, fresh, seeded_database, reference_logs):
    """tests/conformance's threaded-replies script, on SQLite and PostgreSQL."""
    log, reference_log = _logs(adapter, fresh, reference_logs, seeded_database.kind, test_9_replies)
    assert_same_log(log, reference_log, adapter)
    test_9_replies.check_data(adapter, {label: r.json() if r.content else None for label, _, _, r in log})
@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    """Every adapter's uploads, in one folder (content-addressed: the same pictures, the same files)."""
    return tmp_path_factory.mktemp("media")


def test_uploads_sequence(adapter, fresh, seeded_database, reference_logs, media_dir):
    """tests/conformance's uploads script (formats, refusals, allowance, preview), on SQLite and PostgreSQL."""
    media = {"MEDIA_DIR": str(media_dir), "UPLOADS_PER_HOUR": "5"}
    key = (seeded_database.kind, test_9_uploads.__name__)
    if key not in reference_logs:
        reference_logs[key] = test_9_uploads.run_sequence(fresh("flask", **media))
    log = reference_logs[key] if adapter == "flask" else test_9_uploads.run_sequence(fresh(adapter, **media))
    assert_same_log(log, reference_logs[key], adapter)
    test_9_uploads.check_data(adapter, {label: r.json() for label, _, _, r in log}, media_dir)
def test_sentiment_sequence(adapter, fresh, seeded_database, reference_logs):
    """tests/conformance's per-ticker views and search synonyms, on SQLite (FTS5) and PostgreSQL."""
    log, reference_log = _logs(adapter, fresh, reference_logs, seeded_database.kind, test_9_sentiment)
    assert_same_log(log, reference_log, adapter)
    test_9_sentiment.check_data(adapter, {label: r.json() if r.content else None for label, _, _, r in log})


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_two_factor_login(adapter, fresh):
    """tests/conformance's two-factor logins (it enrols with psycopg: PostgreSQL only)."""
    test_8_two_factor.check_two_factor_login(fresh(adapter), SECRET)


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_two_factor_code_limits(adapter, fresh):
    """Two-factor codes are limited per account and per IP on every adapter (limits lowered here)."""
    limits = {"TWO_FACTOR_LIMIT_PER_ACCOUNT": "3/minute", "TWO_FACTOR_LIMIT_PER_IP": "5/minute"}
    test_8_two_factor.check_code_limits(fresh(adapter, **limits), SECRET)


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_staff_gate(adapter, fresh):
    """REQUIRE_2FA_FOR_STAFF on the moderation API of every adapter."""
    test_8_two_factor.check_staff_gate(fresh(adapter, REQUIRE_2FA_FOR_STAFF="1"), SECRET)


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_notification_preferences(adapter, fresh, reference_logs):
    """/notifications/preferences: the same statuses and bytes as Flask."""
    key = ("postgres", "preference_answers")
    if key not in reference_logs:
        reference_logs[key] = test_8_two_factor.preference_answers(fresh("flask"))
    answers = reference_logs[key] if adapter == "flask" else test_8_two_factor.preference_answers(fresh(adapter))
    assert answers == reference_logs[key]


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_two_factor_api_enrolment(adapter, fresh):
    """Setup, enable, status and disable through each adapter's API."""
    test_8_two_factor.check_api_enrolment(fresh(adapter))


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_account_sequence(adapter, fresh, reference_logs):
    """tests/conformance's account script (it signs the links from the rows with psycopg: PostgreSQL only);
    every adapter's embedded mail thread composes and sends its mails (to the outbox) without an error."""
    key = ("postgres", test_8_accounts.__name__)
    if key not in reference_logs:
        reference_logs[key] = test_8_accounts.run_sequence(fresh("flask"))
    backend = fresh(adapter)
    outbox = adapter_settings(backend.database_url).mail_outbox
    mail_jobs.wait_idle()
    before = set(outbox.glob("*.eml"))
    log = test_8_accounts.run_sequence(backend)
    assert_same_log(log, reference_logs[key], adapter)
    test_8_accounts.check_data(adapter, backend, {label: r.json() if r.content else None for label, _, _, r in log})
    # A mail handed over after the commit can reach the thread after this test's last answer: wait a little.
    deadline = time.monotonic() + 15
    while len(set(outbox.glob("*.eml")) - before) < len(ACCOUNT_MAIL) and time.monotonic() < deadline:
        mail_jobs.wait_idle()
        time.sleep(0.2)
    time.sleep(0.5)  # and none more than expected
    mail_jobs.wait_idle()
    sent = [message_from_bytes(f.read_bytes(), policy=default) for f in set(outbox.glob("*.eml")) - before]
    assert sorted((m["To"], m["Subject"]) for m in sent) == sorted(ACCOUNT_MAIL), adapter


CONFIRM, RESET = "Confirm your e-mail address for FinBoard", "Reset your FinBoard password"
TRIED = "Someone tried to sign up to FinBoard with your address"
# The account script's mail: 4 sign-ups' links (acct_dan's address is acct_bob's: no link, acct_bob
# is told, again at dan's resend), 2 resets of accounts (the unknown address: none; acct_bob's
# address: its owner only), bob's resend, a change (none to the owned address; acct_cat's old
# address, never confirmed, is not told).
ACCOUNT_MAIL = [
    ("acct_ann@example.com", CONFIRM),
    ("acct_bob@example.com", CONFIRM),
    ("acct_cat@example.com", CONFIRM),
    ("acct_ann@example.com", RESET),
    ("acct_bob@example.com", CONFIRM),
    ("acct_eve@example.com", CONFIRM),
    ("acct_bob@example.com", TRIED),
    ("acct_bob@example.com", TRIED),
    ("cat.new@example.com", "Confirm your new e-mail address for FinBoard"),
    ("acct_bob@example.com", RESET),
]


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_database", ["postgres"], indirect=True)
def test_account_data_sequence(adapter, fresh, reference_logs):
    """tests/conformance's export-and-deletion script (it reads the rows with psycopg: PostgreSQL only)."""
    key = ("postgres", test_9_account_data.__name__)
    if key not in reference_logs:
        reference_logs[key] = test_9_account_data.run_sequence(fresh("flask"))
    backend = fresh(adapter)
    log = test_9_account_data.run_sequence(backend)
    assert_same_log(log, reference_logs[key], adapter)
    test_9_account_data.check_data(adapter, backend, {label: r.json() if r.content else None for label, _, _, r in log})
    mail_jobs.wait_idle()  # the export's archive and mail, in this adapter's mail thread
def test_unread_sequence(adapter, fresh, seeded_database, reference_logs):
    """tests/conformance's read-state-and-bookmarks script, on SQLite and PostgreSQL."""
    log, reference_log = _logs(adapter, fresh, reference_logs, seeded_database.kind, test_9_unread)
    assert_same_log(log, reference_log, adapter)
    test_9_unread.check_data(adapter, {label: r.json() if r.content else None for label, _, _, r in log})
