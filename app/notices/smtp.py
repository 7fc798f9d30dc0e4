"""Sending one e-mail through the SMTP server of `KLA_SMTP_URL`, and the job handler that does it.

smtp://[user:password@]host[:port] speaks STARTTLS when the server offers it (`?tls=required` refuses a
server that does not: the password and the message never cross the network in clear);
smtps://host[:port] speaks TLS from the first byte. A refusal or a broken connection raises: the job
queue tries again later (`app.jobs.queue.BACKOFF`), then marks the job failed for the admin.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlmodel import Session

from app.config import Settings
from app.jobs.registry import JobContext, handler
from app.models import Job, User

TIMEOUT_SECONDS = 30
# Review i24: the exchanges of one delivery that may each wait TIMEOUT_SECONDS (connect, EHLO, STARTTLS
# and its handshake, EHLO, AUTH, MAIL, RCPT, DATA, the message, QUIT). The job's lease must outlast them
# all: with 120 s a slow server let the lease lapse mid-send, another runner took the job and the
# person got the e-mail twice.
SMTP_EXCHANGES = 12
EMAIL_LEASE_SECONDS = SMTP_EXCHANGES * TIMEOUT_SECONDS + 60
EMAIL_JOB = "email"


class SmtpSettingError(ValueError):
    """KLA_SMTP_URL cannot be read (a wrong scheme, no host)."""


class TlsRefused(smtplib.SMTPException):
    """The URL asks for TLS and the server offers no STARTTLS."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    tls_required: bool
    username: str
    password: str


def enabled(settings: Settings) -> bool:
    """E-mail is on when KLA_SMTP_URL is set: nothing is planned or sent otherwise."""
    return bool(settings.smtp_url.strip())


def parse_url(url: str) -> SmtpTarget:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpSettingError("KLA_SMTP_URL must look like smtp://host:587 or smtps://host:465")
    implicit = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    return SmtpTarget(host=parts.hostname, port=parts.port or (465 if implicit else 25), implicit_tls=implicit,
                      tls_required=implicit or query.get("tls", [""])[0] == "required",
                      username=unquote(parts.username or ""), password=unquote(parts.password or ""))


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """Plain text in UTF-8 (every mail reader shows it; no HTML to go wrong)."""
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.smtp_sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # out-of-office replies stay quiet (RFC 3834)
    message.set_content(body, charset="utf-8")
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver `message` to the server, or raise (refused, unreachable, no TLS when required)."""
    target = parse_url(settings.smtp_url)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.implicit_tls:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
    try:
        client.ehlo()
        if not target.implicit_tls:
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif target.tls_required:
                raise TlsRefused(f"{target.host} offers no STARTTLS and KLA_SMTP_URL says tls=required")
            elif target.username:
                # Review s31: a password is never sent in clear (a server without STARTTLS, or a
                # man in the middle stripping it, would read it).
                raise TlsRefused(f"{target.host} offers no STARTTLS: KLA_SMTP_URL's password is not sent "
                                 "without TLS")
        if target.username:
            client.login(target.username, target.password)
        refused = client.send_message(message)
        if refused:  # one recipient: a partial refusal is a refusal
            raise smtplib.SMTPRecipientsRefused(refused)
    except BaseException:
        client.close()
        raise
    # Review i24: the message is accepted; a QUIT answered with an error or timing out must not fail the
    # job (`with client:` raised then, and the retry sent the same e-mail a second time).
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


@handler(EMAIL_JOB, lease_seconds=EMAIL_LEASE_SECONDS)
def send_email(context: JobContext, job: Job) -> dict[str, Any]:
    """The "email" job: payload {to, user_id, language, kind, subject, body}, written when planned.
    The person is read again: one who turned the kind off, lost the address or was deactivated since
    is skipped (done, with the reason), and the address is the current one."""
    if not enabled(context.settings):
        raise RuntimeError("e-mail is off: KLA_SMTP_URL is empty")
    payload = job.payload
    with Session(context.engine) as session:
        user = session.get(User, int(payload["user_id"]))
        if user is None or not user.active:
            return {"skipped": "inactive"}
        if not user.email:
            return {"skipped": "no address"}
        if payload["kind"] in (user.email_off or []):
            return {"skipped": "turned off"}
        to = user.email
    send(context.settings, build_message(context.settings, to, payload["subject"], payload["body"]))
    return {"to": to}
