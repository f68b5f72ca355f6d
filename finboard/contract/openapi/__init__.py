"""The OpenAPI 3.1 document of /api/v1, generated from the shared schemas.

Every backend serves exactly this document (FastAPI's own generator is
switched off), so clients and the conformance suite see one contract. Each
resource's paths and component models live in their own module here; this
module assembles them, in the document's order, and is the only one to.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from finboard.contract.errors import Error
from finboard.contract.openapi import (
    account_data,
    accounts,
    blocks,
    categories,
    comments,
    market,
    moderation,
    notifications,
    posts,
    reactions,
    reading,
    service,
    uploads,
    users,
    watches,
)
from finboard.contract.openapi.operations import REF

# The sections of ``paths`` in the order the document lists them (clients and diffs see that order).
PATH_SECTIONS = (
    users.auth_paths,
    posts.paths,
    comments.paths,
    categories.paths,
    service.health_paths,
    users.profile_paths,
    posts.revision_paths,
    comments.edit_paths,
    watches.paths,
    categories.pinned_paths,
    moderation.paths,
    notifications.paths,
    market.paths,
    blocks.paths,
    reactions.paths,
    accounts.paths,
    account_data.paths,
    reading.paths,
    uploads.paths,
    service.document_paths,
)
RESOURCE_MODULES = (
    users, accounts, account_data, posts, comments, categories, watches, moderation, notifications, market, blocks,
    reactions, reading, uploads,
    service,
)


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    # Error is a response body only in "validation" mode's shape; every other schema is the same either way.
    models = [(Error, "validation")] + [
        (model, "serialization") for module in RESOURCE_MODULES for model in module.MODELS
    ]
    _, definitions = models_json_schema(models, ref_template=REF)
    paths: dict[str, Any] = {}
    for section in PATH_SECTIONS:
        written = section()
        repeated = paths.keys() & written.keys()
        if repeated:
            raise ValueError(f"OpenAPI paths written twice: {sorted(repeated)}")
        paths.update(written)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FinBoard API",
            "version": "1.0.0",
            "description": "The same API served by the Flask, FastAPI and Django backends.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@lru_cache(maxsize=1)
def openapi_json() -> str:
    return json.dumps(openapi_document(), separators=(",", ":"), sort_keys=False)
