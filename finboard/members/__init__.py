"""A member's own pages: notifications, profile, watches (the ``members`` blueprint)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("members", __name__)
