"""A PostgreSQL wire-protocol proxy that counts the SQL statements passing through.

Every backend connects to PostgreSQL through its own proxy, so statements per
request are counted the same way whatever the framework, driver or
prepared-statement cache: simple queries ('Q') count once, extended-protocol
executions count at Bind ('B', looking up the statement prepared by an
earlier Parse 'P'). Only statements that touch FinBoard's tables count —
BEGIN/COMMIT, pool pings and session setup are connection overhead, not the
query shape under test.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import threading

TABLES = re.compile(
    r"\b(users|categories|posts|comments|post_cashtags|category_counters|category_authors|author_counters|cashtag_counters)\b",
    re.IGNORECASE,
)
UNTYPED_REQUESTS = {80877103, 80877104}  # SSLRequest, GSSENCRequest


class StatementCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self.statements: list[str] = []

    def add(self, sql: str) -> None:
        if TABLES.search(sql):
            with self._lock:
                self.statements.append(sql)

    def reset(self) -> None:
        with self._lock:
            self.statements.clear()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.statements)


def _cstring(payload: bytes, offset: int) -> tuple[str, int]:
    end = payload.index(b"\0", offset)
    return payload[offset:end].decode(errors="replace"), end + 1


class _ClientStream:
    """Parses frontend messages of one connection and records statements."""

    def __init__(self, counter: StatementCounter):
        self.counter = counter
        self.buffer = b""
        self.startup_done = False
        self.prepared: dict[str, str] = {}

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if not self.startup_done:
                if len(self.buffer) < 8:
                    return
                (length,) = struct.unpack("!I", self.buffer[:4])
                if len(self.buffer) < length:
                    return
                (code,) = struct.unpack("!I", self.buffer[4:8])
                self.buffer = self.buffer[length:]
                if code not in UNTYPED_REQUESTS:
                    self.startup_done = True
                continue
            if len(self.buffer) < 5:
                return
            kind = self.buffer[:1]
            (length,) = struct.unpack("!I", self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return
            payload = self.buffer[5 : 1 + length]
            self.buffer = self.buffer[1 + length :]
            self._message(kind, payload)

    def _message(self, kind: bytes, payload: bytes) -> None:
        if kind == b"Q":
            self.counter.add(_cstring(payload, 0)[0])
        elif kind == b"P":
            name, offset = _cstring(payload, 0)
            self.prepared[name] = _cstring(payload, offset)[0]
        elif kind == b"B":
            _portal, offset = _cstring(payload, 0)
            statement, _ = _cstring(payload, offset)
            self.counter.add(self.prepared.get(statement, ""))


class CountingProxy:
    """Listens on a free loopback port and forwards to ``target``."""

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432):
        self.target = (target_host, target_port)
        self.counter = StatementCounter()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server = None

    def start(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        def _close():
            if self._server:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(_close)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        parser = _ClientStream(self.counter)

        async def pump(reader, writer, inspect):
            try:
                while data := await reader.read(65536):
                    if inspect:
                        parser.feed(data)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pump(client_reader, server_writer, True), pump(server_reader, client_writer, False))
