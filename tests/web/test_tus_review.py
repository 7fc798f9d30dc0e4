"""The tus endpoint under hostile use (issue 25, review): races between PATCH, DELETE and the expiry
scan, a PATCH whose hold lapsed, an over-long body, too many open uploads, and the backup."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.models import Evidence, Upload, utcnow
from app.services.demo import sample_pdf
from app.tus import service
from app.tus.partials import Partials
from tests.app.test_evidence_samples import write_zip_bomb
from tests.web.test_hostile_uploads import HIDDEN_ACTIVE_CONTENT
from tests.web.tus_client import OFFSET, TUS, Stalled, Tus, patch_scope, status_into, whole


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


# -- a PATCH whose hold lapsed writes nothing more ---------------------------------------------


def test_a_patch_stalled_past_its_hold_writes_nothing_after_another_took_over(tus, app, db, monkeypatch):
    """A phone's PATCH stalls longer than the hold (a dead line the server has not noticed); the client
    gives up, asks HEAD and continues with a new PATCH, which takes the lapsed hold. When the stalled one's
    bytes finally arrive they must not be appended after the new PATCH's: the file would be corrupt."""
    monkeypatch.setattr("app.routes.tus.RENEW_SECONDS", -1)  # check the hold before every chunk
    data = b"%PDF-1.4\n" + bytes(range(256)) * 4
    url = tus.start(len(data))
    upload_id = _id(url)

    async def run() -> dict[str, int]:
        statuses: dict[str, int] = {}
        stalled = Stalled(data[:40], data[40:])

        first = asyncio.create_task(app(patch_scope(tus, url, 0, len(data)), stalled.receive,
                                        status_into(statuses, "stalled")))
        for _ in range(100):  # until the stalled PATCH's 40 bytes are on disk (not in a buffer of its own)
            await asyncio.sleep(0.02)
            if _partial(app, url).stat().st_size == 40:
                break
        assert _partial(app, url).stat().st_size == 40
        upload = db.get(Upload, upload_id)
        db.refresh(upload)
        upload.locked_until = utcnow() - timedelta(seconds=1)  # its hold lapsed
        db.add(upload)
        db.commit()
        await app(patch_scope(tus, url, 40, 20), whole(data[40:60]), status_into(statuses, "second"))
        stalled.gate.set()
        await first
        return statuses

    statuses = asyncio.run(run())
    assert statuses == {"second": 204, "stalled": 409}
    assert _partial(app, url).read_bytes() == data[:60]
    assert tus.head(url).headers["Upload-Offset"] == "60"
    assert tus.patch(url, 60, data[60:]).status_code == 204
    db.expire_all()
    assert db.exec(select(Evidence)).one().sha256 == hashlib.sha256(data).hexdigest()


# -- a body longer than announced leaves nothing of itself ----------------------------------------


def test_a_body_longer_than_announced_without_its_length_leaves_the_upload_as_it_was(tus, app, db):
    """Sent in chunks (no Content-Length), a body that runs past Upload-Length is refused (413) only once
    it has; what it brought up to the length must not stay: HEAD would say the upload is complete, a
    client would stop there, and the file would never be checked, stored or removed before its expiry."""
    data = sample_pdf("SK", "terlalu panjang")
    url = tus.start(len(data))
    assert tus.patch(url, 0, data[:100]).status_code == 204

    def body():
        yield data[100:]
        yield b"x" * 50

    response = tus.client.patch(url, content=body(), headers={**TUS, "X-CSRF-Token": tus.token,
                                                              "Upload-Offset": "100", "Content-Type": OFFSET})
    assert response.status_code == 413
    assert tus.head(url).headers["Upload-Offset"] == "100"
    assert _partial(app, url).read_bytes() == data[:100]
    assert tus.patch(url, 100, data[100:]).status_code == 204
    assert db.exec(select(Evidence)).one().sha256 == hashlib.sha256(data).hexdigest()


# -- one account cannot fill the disk with unfinished uploads --------------------------------------


def test_open_uploads_per_account_are_capped(tus, app, db, make_client, auth, world, code):
    """Each upload may announce the size limit and hold that much in its partial file for a day: without
    a cap one account could fill the disk with uploads it never finishes. Finished, cancelled and
    expired ones do not count; another account has its own."""
    cap = app.state.settings.tus_max_open_uploads
    urls = [tus.start(app.state.settings.max_upload_bytes) for _ in range(cap)]
    refused = tus.create(100)
    assert refused.status_code == 429 and refused.headers["Content-Type"].startswith("text/plain")
    assert str(cap) in refused.text and refused.headers["Tus-Resumable"] == "1.0.0"
    assert len(db.exec(select(Upload)).all()) == cap  # nothing was created
    assert tus.delete(urls[0]).status_code == 204  # a cancelled one frees its place
    urls[0] = tus.start(100)
    assert tus.create(100).status_code == 429
    upload = db.get(Upload, _id(urls[1]))
    upload.expires_at = utcnow() - timedelta(minutes=1)  # an expired one, not yet removed by the scan
    db.add(upload)
    db.commit()
    data = sample_pdf("SK", "selesai")
    done = tus.start(len(data))
    assert tus.patch(done, 0, data).status_code == 204  # a finished one does not count either
    assert tus.create(100).status_code == 201
    other = make_client()
    assert Tus(other, auth.login(other, "opd_a2"), tus.target).create(100).status_code == 201


# -- the backup leaves partial uploads out ------------------------------------------------------


def test_the_backup_leaves_partial_uploads_out(tus, app, tmp_path, migrated):
    """Partial files change and vanish while a backup runs (a PATCH appends, the last byte or the expiry
    scan removes them): one removed between the listing and its copy failed the whole backup. They are
    nobody's evidence and their rows say nothing without them: they stay out, like the store's tmp/."""
    import tarfile

    from app.backup import backup

    url = tus.start(100)
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 204
    archive = tmp_path / "kla.tar.gz"
    backup(migrated, app.state.settings.evidence_dir, archive)
    with tarfile.open(archive, "r:gz") as opened:
        assert not [name for name in opened.getnames() if name.startswith("evidence/tus")]


# -- an upload's result shows its card only to whom may still see it ----------------------------


def test_the_result_of_an_upload_is_no_card_once_its_question_is_no_longer_the_agencys(tus, app, db, world, code):
    """The DP3A moves the question to another agency after the upload finished: the focal point no
    longer sees that question's card (answer, note, files) in the workspace, nor through the upload's
    result."""
    from sqlmodel import delete

    from app.models import Assignment

    data = sample_pdf("SK", "dipindahkan")
    url, response = tus.send(data)
    assert response.status_code == 204
    assert tus.client.get(url + "/hasil").status_code == 200
    db.exec(delete(Assignment).where(Assignment.assessment_id == world.assessments["a"].id,  # type: ignore[call-overload]
                                     Assignment.question_code == code))
    db.commit()
    assert tus.client.get(f"{world.base()}/isian/{code}").status_code == 403
    assert tus.client.get(url + "/hasil").status_code == 404


# -- every kind of hidden active content, and a zip bomb, assembled from chunks --------------------


@pytest.mark.parametrize("sample", sorted(HIDDEN_ACTIVE_CONTENT) + ["zip bomb"])
def test_hidden_active_content_and_bombs_in_chunks_are_refused_and_nothing_stays(tus, app, db, tmp_path, sample):
    if sample == "zip bomb":
        bomb = tmp_path / "data.xlsx"
        write_zip_bomb(bomb, megabytes=300)
        name, content, expected = "rekap.xlsx", bomb.read_bytes(), "tidak wajar"
    else:
        name, content, expected, _english = HIDDEN_ACTIVE_CONTENT[sample]
    url, response = tus.send(content, name, chunk=max(1, len(content) // 3 + 1))
    assert response.status_code == 422 and expected.lower() in response.text.lower()
    db.expire_all()
    assert db.exec(select(Evidence)).all() == []
    root = app.state.settings.evidence_dir
    assert [p for p in root.rglob("*") if p.is_file()] == []  # neither stored, nor a partial, nor a temp file
    assert tus.head(url).status_code == 410
