"""Outgoing mail: messages rendered from templates, delivered by SMTP or to the outbox folder.

Every message is multipart: a plain-text part and an HTML alternative, both rendered from
``finboard/templates/mail/<kind>.txt`` / ``.html`` with Jinja2 (HTML autoescaped). A mail
that can be unsubscribed from (digests, notifications) carries ``List-Unsubscribe`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058); account mail (reset,
verification) cannot be, so it has neither.

``MAIL_URL`` chooses the delivery: ``smtp://`` with STARTTLS required (a server that does
not offer it is refused, never spoken to in clear), ``smtps://`` with implicit TLS,
``smtp+plain://`` without TLS (a relay on the same host, tests); credentials from the
URL. Unset, each mail is written as an ``.eml`` file to ``MAIL_OUTBOX`` and logged, so
the embedded default needs no mail server. Delivery runs only in background jobs
(finboard.core.mail_jobs); a failure raises :class:`MailError`, which the job's retry
turns into a later attempt.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from finboard.settings import Settings

log = logging.getLogger("finboard.mail")

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "mail"
SMTP_TIMEOUT = 10.0


class MailError(Exception):
    """The mail could not be handed to the server (down, refused, TLS missing): try again later."""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    settings: Settings, kind: str, to: str, context: dict, *, unsubscribe_url: str | None = None
) -> EmailMessage:
    """The ``kind`` message to ``to``: subject from the text template's first line, text + HTML parts."""
    env = _environment()
    context = {**context, "site_url": settings.site_url}
    subject, _, text = env.get_template(f"{kind}.txt").render(context).partition("\n")
    html = env.get_template(f"{kind}.html").render({**context, "subject": subject.strip()})
    message = EmailMessage()
    message["Subject"] = subject.strip()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="finboard.invalid")
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text.lstrip("\n"))
    message.add_alternative(html, subtype="html")
    return message


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Hand ``message`` to the configured server, or write it to the outbox; MailError on failure."""
    if settings.mail_url is None:
        _write_outbox(settings.mail_outbox, message)
        return
    try:
        _send_smtp(settings.mail_url, message, urlsplit(settings.site_url).hostname or "localhost")
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"mail to {message['To']} not sent: {exc}") from exc


def _send_smtp(url: str, message: EmailMessage, helo_name: str) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    # The EHLO name is the forum's own host: smtplib's default asks the resolver (socket.getfqdn),
    # which can stall for seconds where reverse DNS does not answer.
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host,
            parts.port or 465,
            local_hostname=helo_name,
            timeout=SMTP_TIMEOUT,
            context=ssl.create_default_context(),
        )
    else:
        port = parts.port or (25 if parts.scheme == "smtp+plain" else 587)
        client = smtplib.SMTP(host, port, local_hostname=helo_name, timeout=SMTP_TIMEOUT)
    with client:
        client.ehlo()
        if parts.scheme == "smtp":
            if not client.has_extn("starttls"):
                raise MailError(f"{host} does not offer STARTTLS (use smtp+plain:// for a local relay)")
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_outbox(folder: Path, message: EmailMessage) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(message.as_bytes())
    log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)
