"""Checks a response against the OpenAPI document every backend serves."""

from __future__ import annotations

from functools import lru_cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from finboard.contract.openapi import openapi_document

DOC_URI = "urn:finboard:openapi"


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resource = Resource.from_contents(openapi_document(), default_specification=DRAFT202012)
    return Registry().with_resource(DOC_URI, resource)


def _operation(method: str, path_template: str) -> dict:
    return openapi_document()["paths"][path_template][method.lower()]


def response_schema(method: str, path_template: str, status: int) -> dict | None:
    """The JSON schema for this response, or None when it has no body. KeyError if undocumented."""
    response = _operation(method, path_template)["responses"][str(status)]
    content = response.get("content")
    if not content:
        return None
    return content["application/json"]["schema"]


def validate_response(method: str, path_template: str, status: int, body) -> None:
    schema = response_schema(method, path_template, status)
    if schema is None:
        assert body in (None, b"", ""), f"{method} {path_template} {status} must have no body"
        return
    ref = {"$ref": DOC_URI + schema["$ref"]}
    Draft202012Validator(ref, registry=_registry()).validate(body)
