"""Bare extension instances, bound to an app in ``create_app`` (init_app).

``db`` uses the shared metadata from ``finboard.core.models`` so the forum,
the migrations and the other backends all see the same tables.
"""

from flask_caching import Cache
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from finboard.core.models import Base

db = SQLAlchemy(metadata=Base.metadata)
login_manager = LoginManager()
cache = Cache()
csrf = CSRFProtect()
