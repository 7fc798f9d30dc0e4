"""A real SMTP server for the e-mail tests (aiosmtpd on a free local port): it keeps what it accepts,
and can be told to refuse the next messages with a temporary error (451), as a busy server does. With
a TLS context it offers STARTTLS and accepts no message before it (`require_starttls`)."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    message: EmailMessage
    tls: bool = False  # the message came over the encrypted connection (after STARTTLS)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Sink:
    """The server's handler: `received` grows with each accepted message; `refuse` answers 451 that
    many times first."""

    received: list[Received] = field(default_factory=list)
    refuse: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
            assert isinstance(parsed, EmailMessage)
            self.received.append(Received(list(envelope.rcpt_tos), parsed, tls=session.ssl is not None))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.sink = Sink()
        self.port = free_port()
        tls = {"tls_context": tls_context, "require_starttls": True} if tls_context is not None else {}
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **tls)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
