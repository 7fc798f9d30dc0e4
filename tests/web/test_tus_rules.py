"""The tus endpoint's rules (issue 25, tus): whose an upload is, which targets take files, what the store
refuses at the last byte, expiry, a dropped line, two PATCHes at once."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.jobs.registry import SCANS, JobContext
from app.models import Cycle, Evidence, StoredFile, Upload, utcnow
from app.services.demo import sample_pdf
from app.tus import service
from tests import html
from tests.app.test_evidence_samples import pdf_with_hidden_javascript
from tests.web.tus_client import OFFSET, TUS, Stalled, Tus, patch_scope, status_into, whole

HTML_WITH_SCRIPT = b"<!doctype html><html><body><script>fetch('/keluar')</script></body></html>" + b" " * 2000


@pytest.fixture
def code(catalogue) -> str:
    return next(r.question.code for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and not r.question.sensitive)


def _tus(make_client, auth, world, code: str, username: str = "opd_a", which: str = "a") -> Tus:
    client = make_client()
    return Tus(client, auth.login(client, username), f"{world.base(which)}/isian/{code}/bukti")


@pytest.fixture
def tus(make_client, auth, world, code) -> Tus:
    return _tus(make_client, auth, world, code)


def _store_files(app) -> list:
    root = app.state.settings.evidence_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _nothing_stored(db, app) -> None:
    db.expire_all()
    assert db.exec(select(Evidence)).all() == []
    assert db.exec(select(StoredFile)).all() == []
    assert _store_files(app) == []  # neither in the store nor as a partial


# -- whose an upload is --------------------------------------------------------------------


@pytest.mark.parametrize("other", ["opd_a2", "dp3a_a", "opd_b", "admin"])
def test_another_users_upload_is_no_upload(tus, make_client, auth, world, code, other, app):
    data = sample_pdf("SK", "milik opd_a")
    url = tus.start(len(data))
    assert tus.patch(url, 0, data[:100]).status_code == 204
    stranger = _tus(make_client, auth, world, code, other)
    missing = "/tus/" + "b" * 43
    for target in (url, missing):
        assert stranger.head(target).status_code == 404
        assert stranger.patch(target, 100, data[100:]).status_code == 404
        assert stranger.delete(target).status_code == 404
        assert stranger.client.get(target + "/hasil").status_code == 404
    assert tus.head(url).headers["Upload-Offset"] == "100"  # untouched
    assert tus.patch(url, 100, data[100:]).status_code == 204  # the owner finishes it
    assert stranger.client.get(url + "/hasil").status_code == 404
    assert tus.client.get(url + "/hasil").status_code == 200


@pytest.mark.parametrize("upload_id", ["../../etc/passwd", "a" * 42, "a" * 44, "%00" + "a" * 40])
def test_odd_ids_are_no_upload(tus, upload_id):
    assert tus.head(f"/tus/{upload_id}").status_code in (404, 405)
    assert tus.patch(f"/tus/{upload_id}", 0, b"x").status_code in (404, 405)


# -- which targets take files ----------------------------------------------------------------


def test_targets_that_take_no_file_are_refused_at_creation(tus, world, catalogue, code, db):
    other_agency = next(r.question.code for r in catalogue.iter_questions() if "DINKES" not in r.question.agencies)
    assert tus.create(10, target=f"{world.base('b')}/isian/{code}/bukti").status_code == 403  # another kab/kota
    assert tus.create(10, target=f"{world.base()}/isian/{other_agency}/bukti").status_code == 403  # not its question
    assert tus.create(10, target=f"{world.base()}/isian/99.99/bukti").status_code == 404
    assert tus.create(10, target=f"/r/62.71/{world.year + 1}/isian/{code}/bukti").status_code == 404
    assert tus.create(10, target=f"{world.base()}/isian/{code}/bukti-pakai").status_code == 400
    assessment = world.assessments["a"]
    assessment.window_open = False  # the DP3A closed the answering window
    db.add(assessment)
    db.commit()
    closed = tus.create(10)
    assert closed.status_code == 403 and closed.text  # the plain form's reason, as plain text
    assessment.window_open = True
    db.add(assessment)
    cycle = db.get(Cycle, assessment.cycle_id)
    cycle.published_at = utcnow()  # the award list of the year is out
    db.add(cycle)
    db.commit()
    assert tus.create(10).status_code == 403
    assert db.exec(select(Upload)).all() == []


def test_a_question_closed_meanwhile_refuses_the_last_byte(tus, db, app, world):
    data = sample_pdf("SK", "ditutup")
    url = tus.start(len(data))
    assert tus.patch(url, 0, data[:50]).status_code == 204
    assessment = world.assessments["a"]
    assessment.window_open = False
    db.add(assessment)
    db.commit()
    response = tus.patch(url, 50, data[50:])
    assert response.status_code == 422 and response.headers["Content-Type"].startswith("text/plain")
    _nothing_stored(db, app)
    result = tus.client.get(url + "/hasil", headers={"HX-Request": "true"})
    assert result.status_code == 422 and html.page(result) is not None
    assert tus.head(url).status_code == 410


# -- what the store refuses, assembled from chunks -------------------------------------------


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("laporan.pdf", pdf_with_hidden_javascript(), "skrip"),
    ("bukti.pdf", HTML_WITH_SCRIPT, "HTML/SVG tidak diterima"),
    ("program.pdf", b"MZ\x90\x00\x03" + b"\x00" * 3000, "program, bukan dokumen"),
])
def test_hostile_content_split_across_patches_is_refused_at_the_end(tus, db, app, name, content, expected):
    url, response = tus.send(content, name, chunk=max(1, len(content) // 3))
    assert response.status_code == 422
    assert name in response.text and expected.lower() in response.text.lower()
    _nothing_stored(db, app)
    result = tus.client.get(url + "/hasil", headers={"HX-Request": "true"})
    assert result.status_code == 422
    assert expected.lower() in html.text_of(html.page(result)).lower()


def test_a_sensitive_files_bytes_stay_off_an_ordinary_question(make_client, auth, world, catalogue, code, db, app):
    sensitive = next(r.question.code for r in catalogue.iter_questions()
                     if r.question.sensitive and "DINKES" in r.question.agencies)
    data = sample_pdf("Korban", "rahasia")
    first = _tus(make_client, auth, world, sensitive)
    _url, response = first.send(data, "korban.pdf")
    assert response.status_code == 204
    again = Tus(first.client, first.token, f"{world.base()}/isian/{code}/bukti")
    url, response = again.send(data, "salinan.pdf")
    assert response.status_code == 422  # the plain form's rule, through the same service
    assert len(db.exec(select(Evidence)).all()) == 1


# -- expiry --------------------------------------------------------------------------------


def _expire(db, url: str) -> None:
    upload = db.get(Upload, url.rsplit("/", 1)[1])
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.add(upload)
    db.commit()


def test_expired_uploads_answer_410_and_the_scan_removes_them(tus, db, app, catalogue):
    url = tus.start(100)
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 204
    assert tus.head(url).headers["Upload-Expires"].endswith("GMT")
    _expire(db, url)
    assert tus.head(url).status_code == 410
    assert tus.patch(url, 9, b"x").status_code == 410
    kept = tus.start(100)  # not expired: stays
    context = JobContext(app.state.settings, app.state.engine, catalogue, "test")
    with Session(app.state.engine) as session:
        assert SCANS["tus_expired"](session, context, utcnow()) == 1
        session.commit()
        assert SCANS["tus_expired"](session, context, utcnow()) == 0  # idempotent
    assert tus.head(url).status_code == 404
    assert tus.head(kept).status_code == 200
    assert [p.name for p in (app.state.settings.evidence_dir / "tus").iterdir()] == [kept.rsplit("/", 1)[1] + ".part"]


def test_expired_uploads_are_removed_at_start(tus, db, app):
    url = tus.start(100)
    _expire(db, url)
    with TestClient(app):  # another worker starts
        pass
    db.expire_all()
    assert db.exec(select(Upload)).all() == []
    assert not list((app.state.settings.evidence_dir / "tus").iterdir())


# -- a dropped line, and two PATCHes at once ---------------------------------------------------


def _dropped_patch(app, tus: Tus, url: str, offset: int, part: bytes, announced: int) -> None:
    """A PATCH whose line drops after `part` of `announced` bytes: the server reads `part`, then the
    client is gone (ASGI's http.disconnect)."""
    messages = [{"type": "http.request", "body": part, "more_body": True}]
    headers = {**TUS, "X-CSRF-Token": tus.token, "Upload-Offset": str(offset), "Content-Type": OFFSET,
               "Content-Length": str(announced), "Host": "testserver",
               "Cookie": "; ".join(f"{k}={v}" for k, v in tus.client.cookies.items())}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PATCH", "scheme": "http",
             "path": url, "raw_path": url.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("testclient", 50000), "server": ("testserver", 80), "state": {}}

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(_message):
        return None

    asyncio.run(app(scope, receive, send))


def test_resume_after_a_dropped_patch(tus, app, db):
    data = sample_pdf("Laporan", "putus di tengah") + b"\n" * 3000
    url = tus.start(len(data))
    assert tus.patch(url, 0, data[:1000]).status_code == 204
    _dropped_patch(app, tus, url, 1000, data[1000:1700], announced=len(data) - 1000)
    stored = int(tus.head(url).headers["Upload-Offset"])
    assert stored == 1700  # what arrived before the drop is kept
    assert tus.patch(url, 1000, data[1000:]).status_code == 409  # the old offset is refused
    assert tus.patch(url, stored, data[stored:]).status_code == 204
    evidence = db.exec(select(Evidence)).one()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()


def test_a_patch_while_another_writes_is_locked_out(tus, app, db):
    url = tus.start(100)
    upload_id = url.rsplit("/", 1)[1]
    with Session(app.state.engine) as session:  # another worker's PATCH holds it
        token = service.take(session, upload_id, utcnow())
        session.commit()
        assert token is not None
        assert service.take(session, upload_id, utcnow()) is None
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 423
    assert tus.delete(url).status_code == 423
    assert tus.head(url).headers["Upload-Offset"] == "0"
    with Session(app.state.engine) as session:  # it died: its hold lapses
        assert service.take(session, upload_id, utcnow() + timedelta(seconds=service.LEASE_SECONDS + 1)) is not None
        session.rollback()
        service.release(session, app.state.settings, upload_id, token, utcnow())
        session.commit()
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 204


# -- odd headers: a clear refusal, never a server error ------------------------------------------

ODD_HEADER_VALUES = ["", "-1", "1e3", "0x10", "\u0663".encode(), "9" * 40, "+5", "5.0", "null", "%00"]


def test_odd_headers_never_break_the_endpoint(tus):
    url = tus.start(50)
    for value in ODD_HEADER_VALUES:
        assert tus.create(10, headers={"Upload-Length": value}).status_code in (400, 413, 422), value
        assert tus.patch(url, 0, b"x", {"Upload-Offset": value}).status_code in (400, 409), value
        assert tus.create(10, headers={"Upload-Metadata": value}).status_code == 400, value
        assert tus.head(url, {"Tus-Resumable": value}).status_code == 412, value
        assert tus.patch(url, 0, b"x", {"Content-Type": value or "text/plain"}).status_code == 415, value
    assert tus.create(10, headers={"Upload-Metadata": "filename " + "QQ=="}).status_code == 400  # no target
    for meta in ["filename " + "QQ==" * 2000, "filename AA==,target AA==", "filename //79,target eA==",
                 "filename YS5wZGY=,target " + "L3IvNjIuNzEvMjAyNS9pc2lhbi8xLjEvYnVrdGkvLi4="]:
        assert tus.create(10, headers={"Upload-Metadata": meta}).status_code == 400, meta
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_two_patches_at_once_one_is_locked_out(tus, app, db):
    """Two PATCHes of one upload at the same moment (two tabs, a retry racing the original): while the
    first streams its body, the second gets 423 and writes nothing."""
    data = b"%PDF-1.4\n" + b"0" * 91
    url = tus.start(len(data))
    upload_id = url.rsplit("/", 1)[1]

    async def run() -> tuple[int, int]:
        statuses: dict[str, int] = {}
        slow = Stalled(data[:40], data[40:])
        first = asyncio.create_task(app(patch_scope(tus, url, 0, len(data)), slow.receive,
                                        status_into(statuses, "first")))
        for _ in range(200):  # until the first holds the upload
            await asyncio.sleep(0.02)
            db.expire_all()
            if db.get(Upload, upload_id).locked_by is not None:
                break
        await app(patch_scope(tus, url, 0, len(data)), whole(data), status_into(statuses, "second"))
        slow.gate.set()
        await first
        return statuses["first"], statuses["second"]

    first, second = asyncio.run(run())
    assert (first, second) == (204, 423)
    evidence = db.exec(select(Evidence)).one()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()  # the first's bytes, whole, once
    assert app.state.evidence.verify(evidence.sha256)
