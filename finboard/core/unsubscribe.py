"""Unsubscribe links: signed, expiring, single-use, and what following one changes.

Every mail that can be unsubscribed from (a notification mailed at once, a digest)
carries a link ``/account/unsubscribe/<token>`` in its body and in ``List-Unsubscribe``
(RFC 8058 one-click: a mail client POSTs ``List-Unsubscribe=One-Click`` to it). The
token is an itsdangerous payload signed with ``SECRET_KEY`` and a salt of its own (so it
is never a reset or verification link, finboard.core.account_tokens), holding the member,
the *scope* and a random nonce:

- scope ``<kind>`` (a notification kind): that kind stops being mailed — its delivery
  goes back to ``in_app`` (the notifications still appear on the site);
- scope ``digest:daily`` / ``digest:weekly``: every kind delivered in that digest goes
  back to ``in_app``.

Following a link records its nonce in ``unsubscribe_uses`` (primary key) in the same
transaction as the change, so a link works once (a replay is refused, even after the
member has turned the mail back on); it expires after :data:`MAX_AGE`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from finboard.contract.accounts import TOKEN_MAX
from finboard.contract.notifications import NOTIFICATION_KINDS
from finboard.core import account_settings, account_tokens
from finboard.core.account_tokens import TokenInvalid
from finboard.core.mail_models import UnsubscribeUse
from finboard.core.models import User

MAX_AGE = 60 * 86400  # a digest read weeks later can still be unsubscribed from
DIGEST_PERIODS = ("daily", "weekly")
SCOPES = (*NOTIFICATION_KINDS, *(f"digest:{period}" for period in DIGEST_PERIODS))
MAILED = ("email", "daily", "weekly")


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="finboard.account.unsubscribe", signer=account_tokens.ClockSigner)


def make_token(secret: str, user_id: int, scope: str) -> str:
    if scope not in SCOPES:
        raise ValueError(f"no unsubscribe scope {scope!r}")
    return _serializer(secret).dumps({"u": user_id, "s": scope, "n": secrets.token_hex(16)})


def link(site_url: str, secret: str, user_id: int, scope: str) -> str:
    return f"{site_url}/account/unsubscribe/{make_token(secret, user_id, scope)}"


@dataclass(frozen=True)
class UnsubscribeClaim:
    user_id: int
    scope: str
    nonce: str

    def describe(self) -> str:
        """What the link stops, in words for its page."""
        if self.scope.startswith("digest:"):
            return f"the {self.scope.removeprefix('digest:')} digest"
        return f"e-mails about {self.scope.replace('_', ' ')} notifications"


def read_token(secret: str, token: str) -> UnsubscribeClaim:
    """The signed claim of a token within its age (not yet checked for use)."""
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX:
        raise TokenInvalid("invalid")
    try:
        payload = _serializer(secret).loads(token, max_age=MAX_AGE)
    except SignatureExpired:
        raise TokenInvalid("expired") from None
    except BadSignature:
        raise TokenInvalid("invalid") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("u"), int)
        or payload.get("s") not in SCOPES
        or not isinstance(payload.get("n"), str)
        or len(payload["n"]) != 32
    ):
        raise TokenInvalid("invalid")
    return UnsubscribeClaim(payload["u"], payload["s"], payload["n"])


def is_used(session: Session, claim: UnsubscribeClaim) -> bool:
    return session.get(UnsubscribeUse, claim.nonce) is not None


def unsubscribe(session: Session, secret: str, token: str) -> UnsubscribeClaim:
    """Follow the link: record its use and stop the mail it names. Commits; TokenInvalid
    (``used`` on a replay or a member gone) otherwise, changing nothing."""
    claim = read_token(secret, token)
    user = session.get(User, claim.user_id)
    if user is None:
        raise TokenInvalid("used")
    try:
        session.add(UnsubscribeUse(nonce=claim.nonce))
        session.flush()  # a replay (or the same link posted twice at once) meets the primary key
    except IntegrityError:
        session.rollback()
        raise TokenInvalid("used") from None
    current = account_settings.notification_preferences(session, user.id)
    if claim.scope.startswith("digest:"):
        stopped = {kind for kind, delivery in current.items() if delivery == claim.scope.removeprefix("digest:")}
    else:
        stopped = {claim.scope} if current.get(claim.scope) in MAILED else set()
    account_settings.set_notification_preferences(session, user, {**current, **dict.fromkeys(stopped, "in_app")})
    session.commit()
    return claim
