"""OpenAPI paths of your data: export, and deleting the account (with its grace period)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.account_data import AccountDeletionRequest, AccountDeletionScheduled, ExportAccepted
from finboard.contract.openapi.operations import operation

MODELS: list[type[BaseModel]] = [ExportAccepted, AccountDeletionRequest, AccountDeletionScheduled]


def paths() -> dict[str, Any]:
    return {
        "/api/v1/users/me/export": {
            "post": operation(
                "requestDataExport",
                "Gather your data into a ZIP of JSON files and mail a download link (one request an hour)",
                202,
                ExportAccepted,
                (401, 429, 503),
                auth=True,
            ),
        },
        "/api/v1/users/me/deletion": {
            "post": operation(
                "requestAccountDeletion",
                "Delete your account after the grace period (password, and a code with two-factor login); "
                "every session and token ends at once",
                202,
                AccountDeletionScheduled,
                (400, 401, 409, 413, 422, 429, 503),
                body=AccountDeletionRequest,
                auth=True,
            ),
            "delete": operation(
                "cancelAccountDeletion",
                "Keep your account (during the grace period)",
                204,
                None,
                (401, 404, 503),
                auth=True,
            ),
        },
    }
