"""The one login and registration rate limiter of every backend and the forum.

The forum's login form, the Flask API, FastAPI and Django all count into the
same buckets, through the ``limits`` library:

- one per account: the login name (username or e-mail, case-insensitively) is
  resolved to the user id first, so the username, the e-mail and every
  endpoint share one allowance; a name that belongs to nobody is keyed by
  itself, normalised;
- one per IP, across every login endpoint;
- one per IP for registrations (the form and the API);
- two-factor codes, per account and per IP (``allow_code``), for every code a
  member types: the login's second step on the forum and every backend's API,
  confirming an enrolment, turning two-factor login off.
- one per account for reactions set or removed (``allow_reaction``);
- one per account and one per IP for the account-mail forms and endpoints (asking for a
  password reset, a verification mail or a change of address, and following their links):
  the account is the user the address, the bearer token or the link names.

The storage is Redis when ``REDIS_URL`` is set, so the counters are shared by
every worker, machine and backend; without it (or while Redis is unreachable)
they are per-process memory.
"""

from __future__ import annotations

import logging

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Select

from finboard.settings import Settings

logger = logging.getLogger("finboard.ratelimit")

# Keys in Redis start with this (the limits library's own namespace follows).
DEFAULT_KEY_PREFIX = "finboard-limits"
# Longer than any username or e-mail, so a longer name belongs to nobody.
LOGIN_NAME_MAX = 254


def normalise_login(login: object) -> str:
    return str(login or "").strip().lower()[:LOGIN_NAME_MAX]


def resolvable(login: str) -> bool:
    """Whether the name is worth a lookup: one a username or e-mail could be (no NUL, not too long)."""
    name = login.strip()
    return 0 < len(name) <= LOGIN_NAME_MAX and "\x00" not in name


def user_id_by_login_statement(login: str) -> Select:
    """The id of the user a login name targets (the same match as the login itself)."""
    from finboard.core.account_queries import user_by_login_statement
    from finboard.core.models import User

    return user_by_login_statement(login).with_only_columns(User.id)


def account_key(user_id: int | None, login: str) -> str | None:
    """The per-account bucket: the user when the name resolves to one, else the name itself;
    None for no name at all (a body without a usable username, refused by validation anyway):
    those attempts count only against the IP, so they cannot lock out an account."""
    if user_id is not None:
        return f"user:{user_id}"
    name = normalise_login(login)
    return f"name:{name}" if name else None


def _limit(value: str):
    return parse(value.replace("/", " per "))


class AuthRateLimiter:
    """Fixed windows, as Flask-Limiter counted them before; thread-safe."""

    def __init__(
        self,
        settings: Settings,
        storage_uri: str | None = None,
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ):
        uri = settings.redis_url if storage_uri is None else storage_uri
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._shared = None
        if uri and not uri.startswith("memory://"):
            storage = storage_from_string(uri, key_prefix=key_prefix, socket_timeout=0.5, socket_connect_timeout=0.5)
            self._shared = FixedWindowRateLimiter(storage)
        self.login_per_ip = _limit(settings.login_limit_per_ip)
        self.login_per_account = _limit(settings.login_limit_per_account)
        self.register_per_ip = _limit(settings.register_limit_per_ip)
        self.code_per_account = _limit(settings.two_factor_limit_per_account)
        self.code_per_ip = _limit(settings.two_factor_limit_per_ip)
        self.mail_per_ip = _limit(settings.account_mail_limit_per_ip)
        self.mail_per_account = _limit(settings.account_mail_limit_per_account)
        self.reaction_per_account = _limit(settings.reaction_limit_per_account)

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def _hit(self, item, *keys: str) -> bool:
        if self._shared is not None:
            try:
                return self._shared.hit(item, *keys)
            except Exception:  # noqa: BLE001 - any storage failure: fall back to memory
                logger.warning("rate-limit storage unavailable; limiting per process")
        return self._memory.hit(item, *keys)

    def allow_login(self, ip: str, account: str | None) -> bool:
        """Count one attempt; False when the account or the IP is over its limit.

        ``account`` is :func:`account_key`. The account is checked first, and
        an attempt refused there is not counted against the IP, so every
        backend answers 429 at the same request.
        """
        if account is not None and not self._hit(self.login_per_account, "login-account", account):
            return False
        return self._hit(self.login_per_ip, "login-ip", ip)

    def allow_code(self, ip: str, user_id: int) -> bool:
        """Count one two-factor code (login, enrolment, turning it off) of ``user_id`` from ``ip``;
        False when either is over its limit (the account first, as for logins)."""
        if not self._hit(self.code_per_account, "code-account", f"user:{user_id}"):
            return False
        return self._hit(self.code_per_ip, "code-ip", ip)

    def allow_register(self, ip: str) -> bool:
        return self._hit(self.register_per_ip, "register-ip", ip)

    def allow_account_mail(self, ip: str, account: str | None) -> bool:
        """One use of a reset, verification or e-mail-change form or link; False when over a limit."""
        if account is not None and not self._hit(self.mail_per_account, "mail-account", account):
            return False
        return self._hit(self.mail_per_ip, "mail-ip", ip)

    def allow_reaction(self, user_id: int) -> bool:
        """One reaction set or removed by ``user_id`` (forum and every API); False when over the limit."""
        return self._hit(self.reaction_per_account, "reaction-account", f"user:{user_id}")

    def reset(self) -> None:
        """Forget every counter (tests): this limiter's Redis keys and its memory."""
        if self._shared is not None:
            self._shared.storage.reset()
        self._memory.storage.reset()
