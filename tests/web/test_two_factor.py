"""Two-factor login: enrolment, the code step, replay, recovery codes, limits, the API, staff."""

from __future__ import annotations

import re

from sqlalchemy import select

from finboard.core.account_models import RecoveryCode, TwoFactor
from finboard.core.models import User
from finboard.extensions import db
from finboard.ratelimits import limiter
from tests.conftest import TEST_PASSWORD
from tests.web.two_factor_support import code_at, csrf_of, enrol


def _code_step(client, code: str):
    page = client.get("/auth/two-factor")
    assert page.status_code == 200
    return client.post("/auth/two-factor", data={"code": code, "csrf_token": csrf_of(page.get_data(as_text=True))})


def _reset_limits(app) -> None:
    """Five codes a minute per account: the walk below tries more than that on purpose."""
    with app.app_context():
        limiter().reset()


def _signed_in(client) -> bool:
    return client.get("/settings").status_code == 200


def test_login_asks_for_a_code_once_each(app, client, make, auth):
    user_id = make.user("alice")
    auth.login()
    secret, recovery = enrol(client)
    with app.app_context():
        row = db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user_id))
        assert row.enabled_at is not None and secret not in row.secret_encrypted  # stored encrypted
        hashes = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user_id)))
        assert len(hashes) == 10 and not hashes & set(recovery)  # stored hashed
    assert secret not in client.get("/settings/two-factor", follow_redirects=True).get_data(as_text=True)

    auth.logout()
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/two-factor")
    assert not _signed_in(client)  # the password alone grants nothing
    assert _code_step(client, "000000").status_code == 422
    assert _code_step(client, code_at(secret)).status_code == 302
    assert _signed_in(client)

    _reset_limits(app)
    auth.logout()
    auth.login()
    replay = _code_step(client, code_at(secret))  # the same code again, inside its window
    assert replay.status_code == 422 and "already used" in replay.get_data(as_text=True)
    assert _code_step(client, code_at(secret, -1)).status_code == 422  # older than the last one used
    _reset_limits(app)
    assert _code_step(client, recovery[0].upper()).status_code == 302  # recovery codes: any case
    assert _signed_in(client)

    auth.logout()
    auth.login()
    assert _code_step(client, recovery[0]).status_code == 422  # single use
    with app.app_context():
        used = db.session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).all()
        assert len(used) == 1


def test_code_attempts_are_rate_limited(app, client, make, auth):
    make.user("alice")
    auth.login()
    secret, _ = enrol(client)
    _reset_limits(app)  # the enrolment's code counted too
    auth.logout()
    auth.login()
    for _ in range(5):
        assert _code_step(client, "123456").status_code == 422
    limited = _code_step(client, code_at(secret))  # even the right code, once over the limit
    assert limited.status_code == 429 and "Too many codes" in limited.get_data(as_text=True)
    assert not _signed_in(client)


def test_api_login_needs_the_code(app, client, make, auth):
    make.user("alice")
    auth.login()
    secret, recovery = enrol(client)
    login = {"username": "alice", "password": TEST_PASSWORD}
    missing = client.post("/api/v1/auth/login", json=login)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "two_factor_required"
    wrong = client.post("/api/v1/auth/login", json={**login, "code": "000000"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_two_factor_code"
    good = client.post("/api/v1/auth/login", json={**login, "code": code_at(secret)})
    assert good.status_code == 200 and good.json["access_token"]
    replay = client.post("/api/v1/auth/login", json={**login, "code": code_at(secret)})
    assert replay.status_code == 401 and replay.json["error"]["code"] == "invalid_two_factor_code"
    _reset_limits(app)  # five logins a minute per account
    assert client.post("/api/v1/auth/login", json={**login, "code": recovery[3]}).status_code == 200
    bad_password = client.post("/api/v1/auth/login", json={**login, "password": "wrong-one-1", "code": recovery[4]})
    assert bad_password.json["error"]["code"] == "invalid_credentials"  # no code is spent on a wrong password
    assert client.post("/api/v1/auth/login", json={**login, "code": recovery[4]}).status_code == 200


def test_turning_off_needs_password_and_code(app, client, make, auth):
    user_id = make.user("alice")
    auth.login()
    secret, _ = enrol(client)
    page = client.get("/settings").get_data(as_text=True)
    token = csrf_of(page, "disable")
    refused = client.post(
        "/settings/two-factor/disable",
        data={"disable-password": "not-my-password", "disable-code": code_at(secret), "disable-csrf_token": token},
    )
    assert refused.status_code == 422 and "not your current password" in refused.get_data(as_text=True)
    done = client.post(
        "/settings/two-factor/disable",
        data={"disable-password": TEST_PASSWORD, "disable-code": code_at(secret), "disable-csrf_token": token},
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user_id)) is None
        assert db.session.scalars(select(RecoveryCode)).all() == []


def test_new_recovery_codes_replace_the_old(app, client, make, auth):
    make.user("alice")
    auth.login()
    secret, old = enrol(client)
    token = csrf_of(client.get("/settings").get_data(as_text=True), "regen")
    form = {"regen-code": code_at(secret), "regen-csrf_token": token}
    response = client.post("/settings/two-factor/recovery-codes", data=form)
    new = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    login = {"username": "alice", "password": TEST_PASSWORD}
    assert client.post("/api/v1/auth/login", json={**login, "code": old[0]}).status_code == 401
    assert client.post("/api/v1/auth/login", json={**login, "code": new[0]}).status_code == 200


def test_staff_must_enrol_before_moderating(app, client, make, auth):
    user_id = make.user("mod")
    with app.app_context():
        db.session.get(User, user_id).role = "moderator"
        db.session.commit()
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(require_2fa_for_staff=True)
    auth.login("mod")
    gated = client.get("/moderation")
    assert gated.status_code == 302 and gated.headers["Location"].endswith("/settings/two-factor")
    enrol(client)
    assert client.get("/moderation").status_code == 200
    assert client.get("/posts/1/report").status_code != 302  # members' pages of the blueprint stay open


def test_one_code_twice_at_once_works_once(app, client, make, auth):
    """Two logins racing with the same code (or the same recovery code): exactly one wins."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from finboard.core import two_factor

    user_id = make.user("alice")
    auth.login()
    secret, recovery = enrol(client)
    key = app.config["FINBOARD_SETTINGS"].secret_key
    for code in (code_at(secret), recovery[0]):
        barrier = threading.Barrier(2)

        def take(code=code, barrier=barrier) -> bool:
            with app.app_context():
                barrier.wait()
                taken = two_factor.verify(db.session, key, user_id, code)
                db.session.commit()
                return taken

        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(lambda _: take(), range(2)))
        assert results == [False, True], code
