"""/api/v1/docs in Django: Swagger UI on the OpenAPI document (``finboard.contract.api_docs``)."""

from __future__ import annotations

from django.http import HttpResponse

from finboard.contract import api_docs
from finboard.contract.errors import http_error

from .views import ApiView


def _send(file: api_docs.DocsFile) -> HttpResponse:
    response = HttpResponse(file.body, content_type=file.content_type)
    response.headers["Cache-Control"] = file.cache_control
    return response


class DocsView(ApiView):
    def get(self, request):
        return _send(api_docs.page())


class DocsAssetView(ApiView):
    def get(self, request, path: str):
        file = api_docs.asset(path)
        if file is None:
            raise http_error(404)
        return _send(file)
