"""Login and registration rate limits for the FastAPI and Django adapters.

The same ``limits`` library and the same limit strings (from the shared
settings) that Flask-Limiter uses in the Flask app, with the storage in Redis
when ``REDIS_URL`` is set so a limit holds across workers and machines. If
Redis is unreachable the limiter falls back to per-process memory.
"""

from __future__ import annotations

import logging

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from finboard.core.settings import Settings

logger = logging.getLogger("finboard.ratelimit")


class AuthRateLimiter:
    def __init__(self, settings: Settings):
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._shared = None
        if settings.redis_url:
            storage = storage_from_string(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            self._shared = FixedWindowRateLimiter(storage)
        self.login_per_ip = parse(settings.login_limit_per_ip.replace("/", " per "))
        self.login_per_account = parse(settings.login_limit_per_account.replace("/", " per "))
        self.register_per_ip = parse(settings.register_limit_per_ip.replace("/", " per "))

    def _hit(self, item, *keys: str) -> bool:
        if self._shared is not None:
            try:
                return self._shared.hit(item, *keys)
            except Exception:  # noqa: BLE001 - any storage failure: fall back to memory
                logger.warning("rate-limit storage unavailable; limiting per process")
        return self._memory.hit(item, *keys)

    def allow_login(self, ip: str, login: str) -> bool:
        """Count one attempt; False when the account or the IP is over its limit.

        Checked in Flask-Limiter's order — the account first, and an attempt
        refused there is not counted against the IP — so every backend
        answers 429 at the same request.
        """
        if not self._hit(self.login_per_account, "login-account", login.strip().lower()[:254]):
            return False
        return self._hit(self.login_per_ip, "login-ip", ip)

    def allow_register(self, ip: str) -> bool:
        return self._hit(self.register_per_ip, "register-ip", ip)
