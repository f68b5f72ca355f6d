"""Schemathesis fuzzes every operation of the OpenAPI document against every backend.

Bounded (a fixed number of examples per operation) so it fits in CI. Each
generated request goes to every backend: no 5xx, and every response valid
against the document (status, content type, body schema). Runs last in the
conformance suite because its writes change the data.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from finboard.contract.openapi import openapi_document
from tests.conformance.conftest import bearer_headers

EXAMPLES_PER_OPERATION = 25
schema = schemathesis.openapi.from_dict(openapi_document())
# What the read-only reference (raw) serves: the benchmark's anonymous reads.
READ_ONLY_PATHS = {
    f"/api/v1{path}"
    for path in ("/posts", "/posts/{post_id}", "/posts/{post_id}/comments", "/categories", "/stats/categories",
                 "/healthz", "/openapi.json")
}  # fmt: skip
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def auth_headers(writable):
    return bearer_headers(writable, "fuzz_user", "fuzz_user-password")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_fuzzed_requests_get_documented_answers(case, backends, auth_headers):
    served_by_read_only = case.operation.method.upper() == "GET" and case.path in READ_ONLY_PATHS
    needs_token = bool(case.operation.definition.raw.get("security"))
    for name, backend in backends.items():
        if backend.read_only and not served_by_read_only:
            continue  # the read-only reference (raw) implements only the anonymous core reads
        headers = dict(case.headers or {})
        if needs_token:
            headers.setdefault("Authorization", auth_headers[name]["Authorization"])
        case.call_and_validate(base_url=backend.server.base_url, headers=headers, checks=CHECKS)
