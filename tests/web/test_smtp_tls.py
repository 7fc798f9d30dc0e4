"""E-mail over TLS against a real SMTP server (aiosmtpd) that offers STARTTLS and accepts nothing
before it, with a certificate of the tests' own authority (`tests/tls_certs.py`): `smtp://host:port`
goes through STARTTLS when the server offers it, the certificate is checked (an authority the machine
does not trust is refused), and `?tls=required` against a server without STARTTLS fails the job with a
reason the ministry's admin reads (`/kementerian/tugas`). Semantics: `app/notices/smtp.py`, docs/deploy.md."""

from __future__ import annotations

import ssl
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.jobs.runner import TickReport, run_due_jobs, tick
from app.models import Job, JobState, utcnow
from tests import html, tls_certs
from tests.smtp_sink import SmtpServer
from tests.web.test_notices import PLAIN, PUBLIC_URL, _return


@pytest.fixture
def certificates(tmp_path):
    return tls_certs.make(tmp_path)


@pytest.fixture
def tls_smtp(certificates):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.chain, certificates.key)
    with SmtpServer(tls_context=context) as server:
        yield server


@pytest.fixture
def trusted(monkeypatch, certificates):
    """The machine trusts the tests' authority, as a server trusts an internal CA (docs/deploy.md)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def people(world, db):
    user = world.users["opd_a"]
    user.email, user.language, user.email_off = "opd_a@example.org", "id", []
    db.add(user)
    db.commit()
    return world.users


def _context(settings, engine, catalogue, url: str):
    from app.jobs import tasks  # noqa: F401 (registers the e-mail handler and scans)
    from app.jobs.registry import JobContext

    mail = settings.model_copy(update={"smtp_url": url, "public_url": PUBLIC_URL,
                                       "smtp_sender": "KLA <noreply@example.org>"})
    return JobContext(mail, engine, catalogue, "w1")


def _job(engine) -> Job:
    with Session(engine) as session:
        return session.exec(select(Job).where(Job.kind == "email")).one()


@pytest.mark.parametrize("query", ["", "?tls=required"])
def test_smtp_url_goes_through_starttls(query, tls_smtp, trusted, settings, engine, catalogue, people, world, db):
    """The server refuses MAIL before STARTTLS (`require_starttls`): the message arrives only through it."""
    context = _context(settings, engine, catalogue, f"smtp://127.0.0.1:{tls_smtp.port}{query}")
    _return(db, world, PLAIN, "Lampirkan SK.")
    report = tick(context)
    assert report.done == {"email": 1} and report.failed == {}
    [received] = tls_smtp.sink.received
    assert received.to == ["opd_a@example.org"] and received.tls
    assert "Lampirkan SK." in received.body


def test_a_certificate_of_an_authority_not_trusted_is_refused(tls_smtp, monkeypatch, settings, engine, catalogue,
                                                              people, world, db):
    """The certificate is checked: a server the machine has no reason to trust gets nothing."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = _context(settings, engine, catalogue, f"smtp://127.0.0.1:{tls_smtp.port}")
    _return(db, world, PLAIN, "Lampirkan SK.")
    assert tick(context).failed == {"email": 1}
    assert tls_smtp.sink.received == []
    job = _job(engine)
    assert job.state == JobState.PENDING and "CERTIFICATE_VERIFY_FAILED" in job.last_error


def test_tls_required_without_starttls_fails_the_job_with_its_reason(settings, engine, catalogue, people, world,
                                                                     db, make_client, auth):
    """A server that offers no STARTTLS, a URL that requires TLS: nothing crosses in clear; the job is tried
    again, then fails, and the admin's list of e-mail jobs says why."""
    with SmtpServer() as plain:
        context = _context(settings, engine, catalogue, f"smtp://127.0.0.1:{plain.port}?tls=required")
        _return(db, world, PLAIN, "Lampirkan SK.")
        now = utcnow()
        assert tick(context, now).failed == {"email": 1}
        for minutes in (2, 10, 30, 120):
            run_due_jobs(context, now + timedelta(minutes=minutes), TickReport())
        assert plain.sink.received == []
    job = _job(engine)
    assert job.state == JobState.FAILED and job.attempts == job.max_attempts
    assert "offers no STARTTLS" in job.last_error and "tls=required" in job.last_error
    admin = make_client()
    auth.login(admin, "admin")
    page = html.page(admin.get("/kementerian/tugas"))
    assert "offers no STARTTLS" in " ".join(html.text_of(cell, ".") for cell in page.xpath("//td[@class='job-error']"))


def test_a_password_is_never_sent_without_tls(settings, engine, catalogue, people, world, db):
    """A URL with a user and password, a server that offers no STARTTLS: the job fails with its reason
    before AUTH, and nothing is delivered (a server without TLS, or one whose STARTTLS was stripped on the
    way, never reads the password)."""
    with SmtpServer() as plain:
        context = _context(settings, engine, catalogue, f"smtp://kla:rahasia@127.0.0.1:{plain.port}")
        _return(db, world, PLAIN, "Lampirkan SK.")
        assert tick(context, utcnow()).failed == {"email": 1}
        assert plain.sink.received == []
    assert "password is not sent without TLS" in _job(engine).last_error
