"""Moved to ``finboard.core.pg_sql`` (shared with the Flask API's read path)."""

from finboard.core.pg_sql import *  # noqa: F403
from finboard.core.pg_sql import post_list  # noqa: F401
