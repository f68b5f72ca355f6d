"""Bare extension instances, bound to an app in ``create_app`` (init_app).

``db`` uses the shared metadata from ``finboard.core.models`` so the forum,
the migrations and the other backends all see the same tables.
"""

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from finboard.core.models import Base

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
cache = Cache()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)
