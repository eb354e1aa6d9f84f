"""Sending mail: a console backend for development, SMTP for production, memory for tests.

The ``mail_url`` setting picks one:

- ``console:`` prints each message to standard output (the default);
- ``memory:`` keeps them in ``app.auth.mailer.outbox`` (tests);
- ``smtp://user:password@host:587`` sends through a server with STARTTLS
  (``?tls=none`` for a local relay without it), ``smtps://...:465`` over TLS.

``await mailer.send(to, subject, body)``: the SMTP conversation runs in a
worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import sys
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from ..core.exceptions import ConfigError

__all__ = ["ConsoleMailer", "Mailer", "MemoryMailer", "SMTPMailer", "mailer_for"]


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    # EmailMessage refuses CR/LF in header values, so a subject or address cannot add headers.
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


class ConsoleMailer:
    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        message = build_message(self.sender, to, subject, body)
        sys.stdout.write(f"{'-' * 72}\n{message.as_string()}\n{'-' * 72}\n")
        sys.stdout.flush()


class MemoryMailer:
    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.outbox: list[EmailMessage] = []

    async def send(self, to: str, subject: str, body: str) -> None:
        self.outbox.append(build_message(self.sender, to, subject, body))


class SMTPMailer:
    def __init__(
        self,
        sender: str,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: str = "starttls",
        timeout: float = 20.0,
    ) -> None:
        self.sender = sender
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.tls = tls
        self.timeout = timeout

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> None:
        await asyncio.to_thread(self._send, build_message(self.sender, to, subject, body))


def mailer_for(url: str, sender: str) -> Mailer:
    """The mailer that the ``mail_url`` setting names."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return ConsoleMailer(sender)
    if parts.scheme == "memory":
        return MemoryMailer(sender)
    if parts.scheme in ("smtp", "smtps") and parts.hostname:
        options = parse_qs(parts.query)
        tls = "ssl" if parts.scheme == "smtps" else options.get("tls", ["starttls"])[0]
        if tls not in ("starttls", "ssl", "none"):
            raise ConfigError(f"setting mail_url: tls={tls!r} is invalid; allowed: starttls, none")
        return SMTPMailer(
            sender,
            parts.hostname,
            parts.port or (465 if tls == "ssl" else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )
    raise ConfigError(
        "setting mail_url is invalid; allowed: 'console:', 'memory:', 'smtp://user:password@host:587' "
        "or 'smtps://user:password@host:465'"
    )
