"""Exception handlers: every failure answers the shared error shape, never HTML
or a stack trace. A database that can't be reached is a 503, not a 500."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from backends.fastapi.responses import error_response
from finboard.contract.errors import ApiError, first_error_fields, http_error

logger = logging.getLogger("finboard.fastapi")


async def api_error(request: Request, exc: ApiError) -> Response:
    return error_response(exc)


async def http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    """Unknown route (404), wrong method (405) and any other framework status."""
    return error_response(http_error(exc.status_code))


async def request_validation_error(request: Request, exc: RequestValidationError) -> Response:
    """Unreachable by design (bodies and queries go through the shared parsers), but
    should a parameter ever fail FastAPI's own validation, answer in the shared shape."""
    return error_response(ApiError(422, "invalid", first_error_fields(list(exc.errors()))))


async def database_error(request: Request, exc: Exception) -> Response:
    logger.error("database error: %s", exc.__class__.__name__, exc_info=exc)
    unavailable = isinstance(exc, OperationalError | psycopg.OperationalError | OSError) or getattr(
        exc, "connection_invalidated", False
    )
    return error_response(http_error(503 if unavailable else 500))


async def pool_exhausted(request: Request, exc: PoolTimeoutError) -> Response:
    """Every pooled connection stayed busy for pool_timeout: overloaded, try again (503)."""
    logger.warning("database pool exhausted: answering 503")
    return error_response(http_error(503))


async def client_disconnected(request: Request, exc: ClientDisconnect) -> Response:
    """The client left before sending its body: nobody is there to answer."""
    return Response(status_code=400)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", exc_info=exc)
    return error_response(http_error(500))


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    for db_error in (DBAPIError, psycopg.OperationalError, OSError):
        app.add_exception_handler(db_error, database_error)
    app.add_exception_handler(PoolTimeoutError, pool_exhausted)
    app.add_exception_handler(ClientDisconnect, client_disconnected)
    app.add_exception_handler(Exception, unexpected_error)
