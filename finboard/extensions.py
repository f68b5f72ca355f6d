"""Bare extension instances, bound to an app in ``create_app`` (init_app).

``db`` uses the shared metadata from ``finboard.core.models`` so the forum,
the migrations and the other backends all see the same tables.
"""

from flask import current_app, request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from finboard.core.models import Base


class FinBoardLimiter(Limiter):
    """Flask-Limiter, minus its per-request bookkeeping on views that have no limit.

    Flask-Limiter's before-request check resolves every view's limits on every
    request, exempt or not (about 50 µs, measured on the API's reads).
    ``@limiter.unlimited`` marks a view exempt *and* skips that check; decorated
    limits (login, register) are untouched.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._unlimited: set = set()

    def unlimited(self, view):
        self._unlimited.add(view)
        return self.exempt(view)

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and current_app.view_functions.get(request.endpoint or "") in self._unlimited:
            return None
        return super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


db = SQLAlchemy(metadata=Base.metadata)
login_manager = LoginManager()
cache = Cache()
csrf = CSRFProtect()
limiter = FinBoardLimiter(key_func=get_remote_address, in_memory_fallback_enabled=True)
