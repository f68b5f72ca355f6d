"""Check a backend before timing it: right status, right schema, same body as the others.

It exists because a fast wrong answer is not a result: a backend that answers
a scenario's requests with another status, a body outside the OpenAPI
document's schema, or different JSON than the backend verified first, gets
no figures, and the reason goes to the report. A server-rendered page is
checked against the API and its own links (finboard.bench.page_check).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from finboard.bench import page_check
from finboard.bench.client import Client, Session
from finboard.bench.scenarios import Request
from finboard.contract.openapi import openapi_document

SAMPLES_PER_SCENARIO = 8
WRITE_SAMPLES = 2
# Fields a fresh write or login legitimately answers differently every time.
VOLATILE = {"id", "created_at", "updated_at", "access_token"}
MAX_PROBLEMS = 12


@dataclass
class Verdict:
    backend: str
    ok: bool = True
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    reference: str | None = None
    notes: list[str] = field(default_factory=list)  # not failures: e.g. no ETag, so no revalidation to measure

    def fail(self, message: str) -> None:
        self.ok = False
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def as_dict(self) -> dict:
        found = {"ok": self.ok, "checked": self.checked, "problems": self.problems, "compared_with": self.reference}
        return {**found, "notes": self.notes} if self.notes else found


def response_validator(operation: str, method: str, status: int) -> Draft202012Validator | None:
    """The JSON-schema validator of one documented response (None when it has no body)."""
    document = openapi_document()
    responses = document["paths"].get(operation, {}).get(method.lower(), {}).get("responses", {})
    if str(status) not in responses:
        raise KeyError(f"{method} {operation} does not document status {status}")
    content = responses[str(status)].get("content", {}).get("application/json")
    if not content:
        return None
    schema = {"$ref": content["schema"]["$ref"], "components": document["components"]}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, as ``items[0].title: 'x' != 'y'``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present in only one" if path else f"{key}: present in only one"
            found = first_difference(a[key], b[key], f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r:.80} != {b!r:.80}"


def comparable(body: Any) -> Any:
    """The body without the fields that differ on every write or login."""
    if isinstance(body, dict):
        return {k: comparable(v) for k, v in body.items() if k not in VOLATILE}
    if isinstance(body, list):
        return [comparable(v) for v in body]
    return body


class Verifier:
    """Verifies backends one after another; the first verified one is the reference for bodies."""

    def __init__(self) -> None:
        self.reference: dict[str, Any] = {}
        self.reference_backend: str | None = None

    def samples(self, requests: list[Request], writes: bool) -> list[Request]:
        count = WRITE_SAMPLES if writes else SAMPLES_PER_SCENARIO
        return requests[:count]

    def verify(
        self,
        backend: str,
        base_url: str,
        plan: dict[str, tuple[list[Request], bool]],
        token: str | None,
        session: Session | None = None,
    ):
        """``plan``: scenario → (requests, writes). Sends the samples and returns a Verdict.

        ``session``: the member whose cookie the logged-in page scenarios send."""
        verdict = Verdict(backend, reference=self.reference_backend)
        bodies: dict[str, Any] = {}
        # Reads first: a write sample adds a post, which would shift every later listing.
        ordered = sorted(plan.items(), key=lambda item: item[1][1])
        with Client(base_url) as client:
            for scenario, (requests, writes) in ordered:
                for request in self.samples(requests, writes):
                    verdict.checked += 1
                    try:
                        if request.revalidate:
                            self._revalidation(verdict, scenario, client, request, session)
                            continue
                        response = client.send(request, token, session.cookie if session else None)
                        body = self._check(verdict, scenario, request, response, client, session)
                    except (OSError, ValueError) as exc:
                        verdict.fail(f"{scenario}: {request.method} {request.path}: no answer ({exc})")
                        continue
                    if body is not None and request.key not in bodies:
                        bodies[request.key] = body
        if verdict.ok:
            self._compare(verdict, bodies)
        if verdict.ok and self.reference_backend is None:
            self.reference_backend, self.reference = backend, bodies
        elif verdict.ok:
            self.reference.update({k: v for k, v in bodies.items() if k not in self.reference})
        return verdict

    def _revalidation(self, verdict: Verdict, scenario: str, client, request: Request, session) -> None:
        problems, note = page_check.check_revalidation(client, request, session)
        for problem in problems:
            verdict.fail(f"{scenario}: GET {request.path}: {problem}")
        if note and len(verdict.notes) < MAX_PROBLEMS:
            verdict.notes.append(f"{scenario}: {note}")

    def _check(self, verdict: Verdict, scenario: str, request: Request, response, client=None, session=None) -> Any:
        where = f"{scenario}: {request.method} {request.path}"
        if response.status != request.status:
            verdict.fail(f"{where}: status {response.status}, expected {request.status}: {response.body[:160]!r}")
            return None
        if not request.operation:  # a server-rendered page: its content against the API and its links
            if client is None or not request.page:
                if "text/html" not in response.content_type:
                    verdict.fail(f"{where}: content type {response.content_type!r}, expected text/html")
                return None
            for problem in page_check.check_page(client, request, response, session):
                verdict.fail(f"{where}: {problem}")
            return None
        if "application/json" not in response.content_type:
            verdict.fail(f"{where}: content type {response.content_type!r}, expected application/json")
            return None
        try:
            body = json.loads(response.body)
        except ValueError:
            verdict.fail(f"{where}: the body is not JSON: {response.body[:160]!r}")
            return None
        try:
            validator = response_validator(request.operation, request.method, request.status)
        except KeyError as exc:
            verdict.fail(f"{where}: {exc}")
            return None
        if validator is not None:
            error = next(iter(validator.iter_errors(body)), None)
            if error is not None:
                at = "/".join(str(p) for p in error.absolute_path) or "(root)"
                verdict.fail(f"{where}: body does not match the OpenAPI schema at {at}: {error.message[:160]}")
                return None
        if request.first_id is not None:
            items = body.get("items") if isinstance(body, dict) else None
            first = items[0].get("id") if items else None
            if first != request.first_id:
                verdict.fail(
                    f"{where}: the page starts with post {first}, expected post {request.first_id} "
                    "(the row after the cursor in ORDER BY created_at DESC, id DESC)"
                )
                return None
        return body if request.method == "GET" else comparable(body)

    def _compare(self, verdict: Verdict, bodies: dict[str, Any]) -> None:
        for key, body in bodies.items():
            if key in self.reference:
                difference = first_difference(self.reference[key], body)
                if difference:
                    verdict.fail(f"{key[:120]}: body differs from {self.reference_backend}'s at {difference}")
