"""Which HTTP server runs the backends of ``flask bench run``: ``--server default|granian``.

It exists because "how fast is framework X" depends on the server users deploy
it with. By default each backend runs under its framework's documented server
(its registry command line: gunicorn sync workers for WSGI, uvicorn workers
under gunicorn for ASGI); ``--server granian`` runs the same app object under
granian instead (WSGI or ASGI, from the registry entry), with the same worker
count and bind, so the two can be compared in like-for-like runs. The server
is part of a backend's label (``flask@granian``), so no table can mix them up.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from functools import partial

from finboard.registry import Backend

DEFAULT = "default"
GRANIAN = "granian"
SERVERS = (DEFAULT, GRANIAN)
INTERFACES = ("wsgi", "asgi")
LABEL_SEPARATOR = "@"  # flask@granian; a baseline adds another: flask@granian@HEAD~1


class ServerError(ValueError):
    """A server or a backend it can't run (said before anything starts)."""


def app_interface(backend: Backend) -> str:
    """``wsgi`` or ``asgi``: the registry's ``interface``, else ASGI when its gunicorn worker is uvicorn's."""
    interface = backend.interface or ("asgi" if "uvicorn" in backend.worker_class.lower() else "wsgi")
    if interface not in INTERFACES:
        raise ServerError(f"backend {backend.name!r} has interface {interface!r}; expected one of {INTERFACES}")
    return interface


def granian_argv(app: str, interface: str, host: str, port: int, workers: int) -> list[str]:
    """granian serving ``app`` (``module:attribute``) with ``workers`` processes on ``host:port``.

    Everything else is granian's default (threads, event loop: uvloop when
    installed), as its users deploy it; the backlog is gunicorn's from
    backends/server_conf.py, so a burst of connections queues alike.
    """
    argv = [sys.executable, "-m", "granian", "--interface", interface, "--host", host, "--port", str(port)]
    argv += ["--workers", str(workers), "--no-ws", "--log-level", "warning", "--backlog", "2048"]
    return [*argv, app]


def check(server: str) -> str:
    if server not in SERVERS:
        raise ServerError(f"unknown server {server!r}; choose one of {', '.join(SERVERS)}")
    return server


def label(name: str, server: str) -> str:
    """A backend's name in the results: ``NAME`` under its default server, ``NAME@granian`` under granian."""
    return name if check(server) == DEFAULT else f"{name}{LABEL_SEPARATOR}{server}"


def served_by(backend: Backend, server: str) -> Backend:
    """The registry entry as run under ``server``: the same app, another command line and label."""
    if check(server) == DEFAULT:
        return backend
    command = partial(granian_argv, backend.app, app_interface(backend))
    return replace(backend, name=label(backend.name, server), command=command, requires=(*backend.requires, "granian"))


def describe(backend: Backend, server: str) -> str:
    """What serves it, for the report: ``gunicorn (sync workers)``, ``granian (ASGI)``, …"""
    if check(server) == GRANIAN:
        return f"granian ({app_interface(backend).upper()})"
    if backend.command is not None:
        return "its registry command line"
    if "uvicorn" in backend.worker_class.lower():
        return "gunicorn + uvicorn workers"
    return f"gunicorn ({backend.worker_class} workers)"
