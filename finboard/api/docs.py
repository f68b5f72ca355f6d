"""/api/v1/docs in Flask: Swagger UI on the OpenAPI document (``finboard.contract.api_docs``)."""

from __future__ import annotations

from flask import Response, abort

from finboard.api.views import bp
from finboard.contract import api_docs


def _send(file: api_docs.DocsFile) -> Response:
    response = Response(file.body, content_type=file.content_type)
    response.headers["Cache-Control"] = file.cache_control
    return response


@bp.get("/docs")
def docs():
    return _send(api_docs.page())


@bp.get("/docs/<path:path>")
def docs_asset(path: str):
    file = api_docs.asset(path)
    if file is None:
        abort(404)
    return _send(file)
