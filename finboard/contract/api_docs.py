"""The API's interactive documentation: Swagger UI at ``/api/v1/docs``, the same bytes on every backend.

Swagger UI 5 (OpenAPI 3.1) is vendored from the pinned npm package ``swagger-ui-dist``
(``finboard/contract/swagger_ui/VENDORED.md`` says which version, with the files' hashes):
no CDN, so a reader's browser asks nothing of a third party and the page works offline. The page is plain HTML with
no inline script or style, and the viewer is started by a script file of ours
(``init.js``), so it runs under the API's own Content-Security-Policy (``script-src
'self'; style-src 'self'``) unchanged. Each backend routes ``DOCS_PATH`` to ``page()`` and
``DOCS_PATH/<name>`` to ``asset(name)``; any other name is a 404, so no path reaches the
file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from finboard.contract.request_parsing import API_PREFIX

DOCS_PATH = f"{API_PREFIX}/docs"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
# The viewer's files are named after Swagger UI's version, so a client may keep them a year.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
PAGE_CACHE_CONTROL = "public, max-age=300"
SWAGGER_UI_VERSION = "5.36.0"  # swagger-ui-dist, as VENDORED.md records it
SWAGGER_UI_FILES = Path(__file__).with_name("swagger_ui")

_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FinBoard API v1 — interactive documentation</title>
<link rel="stylesheet" href="{DOCS_PATH}/{SWAGGER_UI_VERSION}/swagger-ui.css">
<link rel="icon" type="image/png" href="{DOCS_PATH}/{SWAGGER_UI_VERSION}/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"><noscript>The interactive viewer needs JavaScript; the document itself is
<a href="{OPENAPI_PATH}">{OPENAPI_PATH}</a>.</noscript></div>
<script src="{DOCS_PATH}/{SWAGGER_UI_VERSION}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/{SWAGGER_UI_VERSION}/init.js"></script>
</body>
</html>
"""

_INIT = f"""// Starts Swagger UI on this API's OpenAPI document (a file, so no inline script is needed).
window.addEventListener("load", function () {{
  window.ui = SwaggerUIBundle({{
    url: "{OPENAPI_PATH}",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  }});
}});
"""

# name under DOCS_PATH/<version>/ → (file of the bundle or None for init.js, content type)
_ASSETS = {
    "swagger-ui.css": ("swagger-ui.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "favicon-32x32.png": ("favicon-32x32.png", "image/png"),
    "init.js": (None, "text/javascript; charset=utf-8"),
}


@dataclass(frozen=True)
class DocsFile:
    """One answer of the docs routes: the bytes, their type and how long they may be kept."""

    body: bytes
    content_type: str
    cache_control: str


def page() -> DocsFile:
    return DocsFile(_PAGE.encode(), "text/html; charset=utf-8", PAGE_CACHE_CONTROL)


@cache
def asset(path: str) -> DocsFile | None:
    """``version/name`` of one of the viewer's files, or None (a 404) for anything else."""
    version, _, name = path.partition("/")
    if version != SWAGGER_UI_VERSION or name not in _ASSETS:
        return None
    filename, content_type = _ASSETS[name]
    body = _INIT.encode() if filename is None else (SWAGGER_UI_FILES / filename).read_bytes()
    return DocsFile(body, content_type, ASSET_CACHE_CONTROL)
