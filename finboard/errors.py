"""Error pages for people and the shared error shape for /api/ URLs.

Whatever goes wrong, an API URL answers ``{"error": {code, message, fields}}``
and a page URL answers a friendly HTML page — never a stack trace. A database
that can't be reached is a 503, not a 500.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolFull
from werkzeug.exceptions import HTTPException

from finboard.contract.errors import http_error

logger = logging.getLogger("finboard.errors")

FRIENDLY = {
    400: ("Bad request", "That request could not be understood."),
    403: ("Not yours", "You can only change your own posts and comments."),
    404: ("Not found", "There is nothing here. It may have been deleted."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "That is more than FinBoard accepts in one request."),
    429: ("Slow down", "Too many attempts. Wait a minute and try again."),
    500: ("Something broke", "An unexpected error happened. It has been logged."),
    503: ("Temporarily unavailable", "The database is not answering. Try again in a moment."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int) -> Response:
    return Response(http_error(status).json(), status=status, mimetype="application/json")


def _respond(status: int, message: str | None = None):
    title, default_message = FRIENDLY.get(status, ("Error", "Something went wrong."))
    if wants_json():
        return api_error(status)
    return render_template("error.html", status=status, title=title, message=message or default_message), status


def _has_nul(fields) -> bool:
    return any("\x00" in value for _key, value in fields.items(multi=True))


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """Text with NUL can't be stored or even compared on PostgreSQL: a 400 on every database."""
        if wants_json():
            return None
        if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
            return _respond(400, "That request contains a NUL character, which FinBoard does not accept.")
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _respond(400, "The form expired or was not sent from FinBoard. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 429:
            return _respond(429)
        return _respond(exc.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(exc: Exception):
        from finboard.extensions import db

        db.session.rollback()
        logger.error("database error: %s", exc.__class__.__name__, exc_info=exc)
        if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
            return _respond(503)
        return _respond(500)

    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(psycopg.InterfaceError)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(PoolFull)
    def read_pool_unavailable(exc: Exception):
        """The database could not be reached (``finboard.rawsql.reads`` on a broken connection),
        or no connection came free in the pool's timeout."""
        logger.error("database unavailable (reads): %s: %s", exc.__class__.__name__, exc)
        return _respond(503)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        logger.exception("unhandled error")
        return _respond(500)
