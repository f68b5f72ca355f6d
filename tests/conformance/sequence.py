"""The scripted write sequences' shared machinery: recording each step, comparing two logs.

``test_2_writes`` and ``test_6_community`` script different endpoints but record and compare
the same way, over HTTP and in-process (``tests/adapters/test_inprocess_conformance.py``); a
log entry is ``(label, status, normalised body, response)``.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.conformance.contract import validate_response

LogEntry = tuple[str, int, bytes, object]


def recorder(backend, log: list[LogEntry], normalise: Callable[[bytes], bytes]):
    """A ``step(label, method, path, template, expected, **request)`` that checks the status and
    the documented schema, appends the normalised answer to ``log`` and returns the response."""

    def step(label, method, path, template, expected, **kwargs):
        response = backend.request(method, path, **kwargs)
        assert response.status_code == expected, (backend.name, label, response.status_code, response.text[:400])
        validate_response(method, template, expected, response.json() if response.content else None)
        log.append((label, response.status_code, normalise(response.content), response))
        return response

    return step


def assert_same_log(log: list[LogEntry], reference_log: list[LogEntry], name: str = "") -> None:
    """Step for step, the same statuses and normalised bytes; the first difference is named."""
    for (label, status, content, _), (_, ref_status, ref_content, _) in zip(log, reference_log, strict=True):
        assert (status, content) == (ref_status, ref_content), (
            f"{name} at {label}:\n{content[:600]!r}\n{ref_content[:600]!r}"
        )


def assert_logs_identical(logs: dict[str, list[LogEntry]]) -> None:
    """Every backend's log is the first one's."""
    reference_name, reference = next(iter(logs.items()))
    for name, log in logs.items():
        assert_same_log(log, reference, f"{name} vs {reference_name}")
