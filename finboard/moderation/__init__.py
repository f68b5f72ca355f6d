"""The moderators' pages and members' reports (the ``moderation`` blueprint)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__)
