"""Tampered, expired, wrong-algorithm and revoked tokens are 401 on every backend."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.conformance.conftest import SECRET

P = "/api/v1"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: int, **overrides) -> dict:
    now = datetime.now(UTC)
    return {
        "sub": str(user_id),
        "ver": 0,
        "iss": "finboard",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }


@pytest.fixture(scope="module")
def good_token(writable) -> tuple[str, int]:
    first = next(iter(writable.values()))
    response = first.request(
        "POST",
        f"{P}/auth/register",
        json={"username": "tok_user", "email": "tok@example.com", "password": "token-pass-1"},
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["id"]
    for backend in list(writable.values())[1:]:  # the same account in every backend's database
        assert (
            backend.request(
                "POST",
                f"{P}/auth/register",
                json={"username": "tok_user", "email": "tok@example.com", "password": "token-pass-1"},
            ).status_code
            == 201
        )
    return jwt.encode(_claims(user_id), SECRET, algorithm="HS256"), user_id


def bad_tokens(token: str, user_id: int) -> dict[str, str]:
    header, payload, signature = token.split(".")
    forged_payload = _b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": str(user_id + 1)})
    return {
        "tampered-payload": f"{header}.{forged_payload}.{signature}",
        "tampered-signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "wrong-secret": jwt.encode(_claims(user_id), "another-secret-key-of-enough-length-123", algorithm="HS256"),
        "expired": jwt.encode(
            _claims(user_id, exp=datetime.now(UTC) - timedelta(seconds=5)), SECRET, algorithm="HS256"
        ),
        "wrong-algorithm-hs512": jwt.encode(_claims(user_id), SECRET, algorithm="HS512"),
        "alg-none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "wrong-issuer": jwt.encode(_claims(user_id, iss="someone-else"), SECRET, algorithm="HS256"),
        "old-version": jwt.encode(_claims(user_id, ver=-1), SECRET, algorithm="HS256"),
        "unknown-user": jwt.encode(_claims(987654), SECRET, algorithm="HS256"),
        "no-exp": jwt.encode(
            {"sub": str(user_id), "ver": 0, "iss": "finboard", "iat": datetime.now(UTC)}, SECRET, algorithm="HS256"
        ),
        "garbage": "not-a-jwt",
    }


@pytest.mark.filterwarnings("ignore:The HMAC key")  # HS512 with our HS256-sized key, on purpose
def test_bad_tokens_are_rejected_everywhere(writable, good_token):
    token, user_id = good_token
    body = {"title": "Token test post", "body": "x", "category": "stocks"}
    for name, backend in writable.items():
        ok = backend.request("POST", f"{P}/posts", json=body, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 201, (name, ok.text)  # the control: a good token works
        for label, bad in bad_tokens(token, user_id).items():
            response = backend.request("POST", f"{P}/posts", json=body, headers={"Authorization": f"Bearer {bad}"})
            assert response.status_code == 401, (name, label, response.status_code)
            assert response.json()["error"]["code"] == "unauthorized", (name, label)
