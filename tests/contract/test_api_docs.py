"""The API docs viewer: the vendored Swagger UI is the recorded release, and only its files are served."""

from __future__ import annotations

import hashlib
import re

from finboard.contract import api_docs


def test_the_vendored_files_are_the_recorded_release():
    recorded = dict(
        re.findall(r"^\| (\S+) \| ([0-9a-f]{64}) \|$", (api_docs.SWAGGER_UI_FILES / "VENDORED.md").read_text(), re.M)
    )
    assert set(recorded) == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    for name, digest in recorded.items():
        assert hashlib.sha256((api_docs.SWAGGER_UI_FILES / name).read_bytes()).hexdigest() == digest, name
    assert f"swagger-ui-dist@{api_docs.SWAGGER_UI_VERSION}" in (api_docs.SWAGGER_UI_FILES / "VENDORED.md").read_text()


def test_the_page_loads_only_its_own_files_with_no_inline_script():
    page = api_docs.page().body.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/api/v1/") for s in sources), sources
    assert "<script>" not in page and "<style" not in page and " style=" not in page
    for source in sources:
        if source.startswith(f"{api_docs.DOCS_PATH}/"):
            assert api_docs.asset(source.removeprefix(f"{api_docs.DOCS_PATH}/")) is not None, source
    assert api_docs.OPENAPI_PATH.encode() in api_docs.asset(f"{api_docs.SWAGGER_UI_VERSION}/init.js").body


def test_nothing_else_is_served():
    version = api_docs.SWAGGER_UI_VERSION
    for path in ("", version, f"{version}/", f"{version}/VENDORED.md", f"{version}/../api_docs.py",
                 f"{version}/LICENSE", "4.15.5/swagger-ui.css", f"{version}/swagger-ui.css/x"):  # fmt: skip
        assert api_docs.asset(path) is None, path
