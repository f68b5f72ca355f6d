"""Your data through the API gives the same answers on every backend that writes.

One scripted sequence — an export asked anonymously, asked, asked again within the hour;
an account deletion asked anonymously, with a bad body, with a wrong password, then for
real (every token of the account ends at once), again after a new login (409), cancelled
and cancelled again (404) — runs against each backend's own copy of the database; the
rows it leaves are checked too. The archive and its mail are the job's
(tests/web/test_data_export.py), the anonymisation the purge's (tests/web/test_account_deletion.py).
"""

from __future__ import annotations

import re

import psycopg

from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_2_writes import bearer

P = "/api/v1"
PASSWORD = "data-pass-123"
MEMBERS = ("data_ann", "data_bob")
_TIMESTAMP = re.compile(rb'"delete_after":"[^"]+"')


def _normalise(content: bytes) -> bytes:
    """The deletion's date is now + the grace period: the same shape, not the same instant."""
    return _TIMESTAMP.sub(b'"delete_after":"<date>"', content)


def _login(backend, name: str) -> dict[str, str]:
    response = backend.request("POST", f"{P}/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def run_sequence(backend) -> list[tuple[str, int, bytes, object]]:
    log: list = []
    for name in MEMBERS:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        assert backend.request("POST", f"{P}/auth/register", json=body).status_code == 201
    ann, bob = (_login(backend, name) for name in MEMBERS)
    step = recorder(backend, log, _normalise)

    export, deletion = f"{P}/users/me/export", f"{P}/users/me/deletion"
    step("export-anonymous", "POST", export, export, 401)
    step("export", "POST", export, export, 202, headers=ann)
    step("export-again", "POST", export, export, 429, headers=ann)

    step("delete-anonymous", "POST", deletion, deletion, 401, json={"password": PASSWORD})
    step("delete-no-password", "POST", deletion, deletion, 422, json={"keep_content": False}, headers=bob)
    step("delete-bad-choice", "POST", deletion, deletion, 422,
         json={"password": PASSWORD, "keep_content": "maybe"}, headers=bob)  # fmt: skip
    step("delete-wrong-password", "POST", deletion, deletion, 422, json={"password": "not-my-password"}, headers=bob)
    step("delete", "POST", deletion, deletion, 202, json={"password": PASSWORD, "keep_content": False}, headers=bob)
    step("old-token-refused", "GET", f"{P}/notifications", f"{P}/notifications", 401, headers=bob)
    bob = _login(backend, "data_bob")
    step("delete-again", "POST", deletion, deletion, 409, json={"password": PASSWORD}, headers=bob)
    step("cancel", "DELETE", deletion, deletion, 204, headers=bob)
    step("cancel-again", "DELETE", deletion, deletion, 404, headers=bob)
    step("bob-still-here", "GET", f"{P}/notifications", f"{P}/notifications", 200, headers=bob)
    return log


def check_data(name: str, backend, r: dict) -> None:
    """The answers and the rows are right, not only the same."""
    assert r["export"]["status"] == "accepted", name
    assert r["export-again"]["error"]["code"] == "rate_limited", name
    assert r["delete-wrong-password"]["error"]["fields"] == {"password": "That is not your current password."}, name
    assert r["delete"]["keep_content"] is False, name
    assert r["delete-again"]["error"]["fields"] == {"account": "Your account is already set to be deleted."}, name
    with psycopg.connect(backend.server_database_dsn, autocommit=True) as conn:
        exports = conn.execute(
            "SELECT u.username, length(e.file_name) FROM data_exports e JOIN users u ON u.id = e.user_id "
            "WHERE u.username LIKE 'data_%'"
        ).fetchall()
        pending = conn.execute(
            "SELECT count(*) FROM account_deletions d JOIN users u ON u.id = d.user_id WHERE u.username LIKE 'data_%'"
        ).fetchone()[0]
        versions = dict(conn.execute("SELECT username, token_version FROM users WHERE username LIKE 'data_%'"))
    assert exports == [("data_ann", 64)], name
    assert pending == 0, name
    assert versions == {"data_ann": 0, "data_bob": 1}, name


def test_account_data_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, backend in writable.items():
        check_data(name, backend, {label: r.json() if r.content else None for label, _, _, r in logs[name]})
