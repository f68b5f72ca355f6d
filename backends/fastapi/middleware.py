"""Security headers, and HEAD and OPTIONS the way Flask answers them automatically, so the backends agree
on them too: HEAD is a GET whose body the server drops; OPTIONS on a known path is
200 with an empty body and the allowed methods (on an unknown path, the usual 404)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finboard.core.security_headers import API_SECURITY_HEADERS

PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(scope: Scope) -> list[str]:
    """The methods some route accepts at this path (probing each route's own matcher)."""
    routes = scope["app"].router.routes
    base = {key: value for key, value in scope.items() if key != "fastapi"}  # probes get fresh router state
    allowed = [
        method
        for method in PROBED_METHODS
        if any(route.matches({**base, "method": method})[0] == Match.FULL for route in routes)
    ]
    if "GET" in allowed:
        allowed.insert(1, "HEAD")
    return [*allowed, "OPTIONS"] if allowed else []


class AutomaticMethods:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            # A copy: the server still sees HEAD on its own scope and sends no body.
            scope = {**scope, "method": "GET"}
        elif scope["type"] == "http" and scope["method"] == "OPTIONS":
            allowed = allowed_methods(scope)
            if allowed:
                await Response(status_code=200, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
                return
        await self.app(scope, receive, send)


SECURITY_HEADERS = [(name.lower().encode(), value.encode()) for name, value in API_SECURITY_HEADERS.items()]


class SecurityHeaders:
    """The shared security headers on every answer (installed outermost, so the
    automatic HEAD/OPTIONS answers and the error handlers' get them too)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
