"""The tus endpoint under hostile use (issue 25, review): races between PATCH, DELETE and the expiry
scan, a PATCH whose hold lapsed, an over-long body, too many open uploads, and the backup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.models import Upload, utcnow
from app.tus import service
from app.tus.partials import Partials
from tests.web.tus_client import Tus


@pytest.fixture
def code(catalogue) -> str:
    return next(r.question.code for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and not r.question.sensitive)


@pytest.fixture
def tus(make_client, auth, world, code) -> Tus:
    client = make_client()
    return Tus(client, auth.login(client, "opd_a"), f"{world.base()}/isian/{code}/bukti")


def _id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _partial(app, url: str):
    return Partials(app.state.settings.evidence_dir).path(_id(url))


# -- DELETE and the expiry scan never take an upload a PATCH holds ------------------------------


def test_a_delete_that_read_the_upload_free_still_leaves_a_held_one(tus, app, db, monkeypatch):
    """DELETE reads the row, a PATCH takes its hold, DELETE goes on: the hold decides, in the database."""
    url = tus.start(100)
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 204
    with Session(app.state.engine) as session:  # a PATCH on another worker takes the hold
        assert service.take(session, _id(url), utcnow()) is not None
        session.commit()
    monkeypatch.setattr(service, "locked", lambda upload, now: False)  # what DELETE read a moment earlier
    assert tus.delete(url).status_code == 423
    assert _partial(app, url).exists()
    db.expire_all()
    assert db.get(Upload, _id(url)) is not None


def test_the_scan_leaves_an_upload_a_patch_took_after_it_looked(tus, app, db, monkeypatch):
    url = tus.start(100)
    upload = db.get(Upload, _id(url))
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.add(upload)
    db.commit()
    with Session(app.state.engine) as session:
        due = list(session.exec(select(Upload.id)))  # the scan's look, before the PATCH's hold
        assert service.take(session, _id(url), utcnow()) is not None
        session.commit()
        original = session.exec

        def stale_first(statement, *args, **kwargs):  # the scan's first query answers what it saw before
            session.exec = original
            return iter(due)

        session.exec = stale_first
        service.remove_expired(session, Partials(app.state.settings.evidence_dir), utcnow())
        session.commit()
    db.expire_all()
    assert db.get(Upload, _id(url)) is not None
    assert _partial(app, url).exists()
