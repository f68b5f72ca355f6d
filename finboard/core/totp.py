"""Two-factor primitives, free of any database: TOTP codes (pyotp), the secret's
encryption at rest, recovery codes and their hashes, the enrolment QR code.

Every backend's persistence (SQLAlchemy in ``finboard.core.two_factor``, the Django
ORM in ``backends/django/forum/two_factor_services.py``) calls these, so a code
accepted by one is accepted by the others, and a secret written by one is read by all.

- The TOTP secret is stored Fernet-encrypted under a key derived (HKDF-SHA256) from
  ``SECRET_KEY``: a database dump alone does not yield anyone's second factor.
  Rotating ``SECRET_KEY`` therefore ends every enrolment (members enrol again).
- A code is matched against the current 30-second step and one on each side (clock
  drift); :func:`matching_step` returns which step matched, and the caller accepts it
  only if that step is later than the last one accepted (no replay in the window).
- Recovery codes carry 50 random bits each; only their SHA-256 is stored (a slow hash
  buys nothing for random codes of this strength, and a fast one keeps a login to one
  indexed lookup).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ISSUER = "FinBoard"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
_RECOVERY_HALF = 5
_TOTP_PATTERN = re.compile(r"\d{6}")


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"finboard-totp-secret").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    return pyotp.random_base32()


def encrypt_secret(secret_key: str, secret: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(secret_key: str, stored: str) -> str | None:
    """The secret, or None when it cannot be read (``SECRET_KEY`` changed, or tampered)."""
    try:
        return _fernet(secret_key).decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def normalise_code(code: str) -> str:
    """What the member typed, without spaces and hyphens, lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def is_totp_code(code: str) -> bool:
    return _TOTP_PATTERN.fullmatch(normalise_code(code)) is not None


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (current ± drift) whose code is ``code``, or None."""
    code = normalise_code(code)
    if _TOTP_PATTERN.fullmatch(code) is None:
        return None
    totp = pyotp.TOTP(secret)
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an inline ``<svg>`` element (no script, no external request)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")


def new_recovery_codes() -> list[str]:
    def half() -> str:
        return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_HALF))

    return [f"{half()}-{half()}" for _ in range(RECOVERY_CODE_COUNT)]


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()
