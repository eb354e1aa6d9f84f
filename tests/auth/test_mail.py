"""Mail backends: the URL that picks one, the console, and SMTP against a small local server."""

from __future__ import annotations

import asyncio
import socketserver
import threading
from collections.abc import Iterator

import pytest

from vivace import ConfigError
from vivace.auth.mail import ConsoleMailer, MemoryMailer, SMTPMailer, mailer_for


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greet, accept one message, keep it."""

    received: list[bytes] = []

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.reply("250 test")
            elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                self.reply("250 OK")
            elif command == b"DATA":
                self.reply("354 go on")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                SMTPHandler.received.append(body)
                self.reply("250 queued")
            elif command == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


@pytest.fixture
def smtp_port() -> Iterator[int]:
    SMTPHandler.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_smtp_sends_through_a_server(smtp_port: int) -> None:
    mailer = mailer_for(f"smtp://127.0.0.1:{smtp_port}?tls=none", "site@example.com")
    assert isinstance(mailer, SMTPMailer)
    asyncio.run(mailer.send("alice@example.com", "Password reset", "Open this link: http://x/y"))
    (message,) = SMTPHandler.received
    assert b"To: alice@example.com" in message and b"Subject: Password reset" in message
    assert b"Open this link" in message


def test_the_url_picks_the_backend() -> None:
    assert isinstance(mailer_for("console:", "a@b.c"), ConsoleMailer)
    assert isinstance(mailer_for("memory:", "a@b.c"), MemoryMailer)
    smtp = mailer_for("smtps://user%40x:p%3Ass@mail.example.com", "a@b.c")
    assert isinstance(smtp, SMTPMailer)
    assert (smtp.host, smtp.port, smtp.tls, smtp.username, smtp.password) == (
        "mail.example.com",
        465,
        "ssl",
        "user@x",
        "p:ss",
    )
    with pytest.raises(ConfigError):
        mailer_for("smtp://host?tls=maybe", "a@b.c")


def test_the_console_prints_and_headers_cannot_be_injected(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(mailer_for("console:", "site@example.com").send("a@example.com", "Hello", "Body text"))
    assert "Subject: Hello" in capsys.readouterr().out
    with pytest.raises(ValueError):
        asyncio.run(MemoryMailer("x@example.com").send("a@example.com", "Hi\r\nBcc: evil@example.com", "x"))
