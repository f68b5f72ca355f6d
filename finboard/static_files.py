"""Fingerprinted static files: ``/static/finboard.css?v=<content hash>``, cached for a year.

Why: a stylesheet that never changes between deploys should cost a browser
nothing after the first visit, and one that does change must be fetched at
once. Every ``url_for('static', ...)`` gets the file's content hash as ``v``;
a request carrying the current hash is answered with
``Cache-Control: public, max-age=31536000, immutable``, any other (an old
hash, none at all) with a short revalidating lifetime, so a stale link never
pins old content.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=60, must-revalidate"


def content_hashes(folder: Path) -> dict[str, str]:
    """{relative path: first 12 hex digits of its SHA-256} for every file under ``folder``."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def init_app(app: Flask) -> None:
    hashes = content_hashes(Path(app.static_folder))

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            digest = hashes.get(values.get("filename", ""))
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code in (200, 304):
            current = hashes.get(request.view_args.get("filename", "")) if request.view_args else None
            fresh = current is not None and request.args.get("v") == current
            response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        return response
