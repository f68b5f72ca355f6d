"""OpenAPI paths of the service itself: its health and this document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.health import Health
from finboard.contract.openapi.operations import operation

MODELS: list[type[BaseModel]] = [Health]


def health_paths() -> dict[str, Any]:
    return {
        "/api/v1/healthz": {
            "get": operation("health", "200 when the database answers", 200, Health, (503,), description="Healthy"),
        },
    }


def document_paths() -> dict[str, Any]:
    return {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
    }
