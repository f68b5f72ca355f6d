"""A real SMTP server in the test process (aiosmtpd) and what arrived at it.

The mail tests send through ``smtp+plain://127.0.0.1:<port>`` to this server and read the
delivered messages back, parsed; ``stop()`` and ``start()`` on the same port play a mail
server going down and coming back.
"""

from __future__ import annotations

import email
import re
import socket
import time
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """The aiosmtpd handler: every message delivered, in order."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content, policy=default))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp+plain://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        """Listen (again) on this server's port; a no-op while it is up."""
        if self._controller is not None:
            return self
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="localhost")
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        self.inbox.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.inbox.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address} within {timeout} s: {[m['To'] for m in self.inbox.messages]}")


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link(message: EmailMessage, path: str) -> str:
    """The link to ``path``… in the message's text part (the HTML part must carry the same)."""
    match = re.search(rf"https?://\S+{re.escape(path)}\S+", text_part(message))
    assert match, f"no {path} link in {text_part(message)!r}"
    assert match.group(0) in html_part(message)
    return match.group(0)
