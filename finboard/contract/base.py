"""The two base classes of every schema: responses (``Schema``) and client input (``Input``).

Kept apart from the resources so each resource module depends only on this
and on the field types, never on another resource's module by accident.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Schema(BaseModel):
    """Strict about unknown fields so typos are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Input(Schema):
    """What a client sends (bodies and query strings): text with NUL is refused.

    Only on input: responses, and the forum's parsing of cached responses, skip the
    per-field check (it ran on every field of every post a page showed).
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it as invalid input (422)
        # instead of letting the database raise mid-request.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value
