"""The answer of GET /api/v1/health: the service and its database are up."""

from __future__ import annotations

from typing import Literal

from finboard.contract.base import Schema


class Health(Schema):
    status: Literal["ok"]
    database: Literal["ok"]
