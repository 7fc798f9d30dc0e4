"""The tus endpoint (issue 25, tus): the protocol, plain HTTP through the app."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from app.models import Evidence, Upload
from app.services.demo import sample_pdf
from tests import html
from tests.web.tus_client import OFFSET, TUS, Tus, metadata


@pytest.fixture
def code(catalogue) -> str:
    return next(r.question.code for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and not r.question.sensitive)


@pytest.fixture
def tus(client, world, auth, code) -> Tus:
    token = auth.login(client, "opd_a")
    return Tus(client, token, f"{world.base()}/isian/{code}/bukti")


def _partials(app):
    return app.state.settings.evidence_dir / "tus"


def test_options_says_what_the_server_speaks(tus, app):
    response = tus.client.options("/tus/")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) == app.state.settings.max_upload_bytes
    assert response.headers["Tus-Resumable"] == "1.0.0"


def test_a_file_in_several_patches_arrives_whole_and_on_its_card(tus, db, app, world, code):
    data = sample_pdf("Surat Keputusan", "uji tus") * 1  # a real PDF the store accepts
    created = tus.create(len(data), "sk-gugus.pdf")
    assert created.status_code == 201
    assert created.headers["Tus-Resumable"] == "1.0.0" and created.headers["Upload-Expires"].endswith("GMT")
    url = created.headers["Location"]
    assert url.startswith("/tus/")
    head = tus.head(url)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "0"
    assert head.headers["Upload-Length"] == str(len(data)) and head.headers["Cache-Control"] == "no-store"
    chunk = max(1, len(data) // 4)
    offset = 0
    while offset < len(data):
        part = data[offset:offset + chunk]
        response = tus.patch(url, offset, part)
        assert response.status_code == 204, response.text
        offset += len(part)
        assert response.headers["Upload-Offset"] == str(offset)
        assert tus.head(url).headers["Upload-Offset"] == str(offset)
        if offset < len(data):  # nothing is evidence until the last byte
            assert db.exec(select(Evidence)).all() == []
    evidence = db.exec(select(Evidence)).one()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert app.state.evidence.verify(evidence.sha256)
    assert not list(_partials(app).iterdir())  # the partial is gone
    result = tus.client.get(url + "/hasil", headers={"HX-Request": "true"})
    assert result.status_code == 200 and result.headers["HX-Trigger"] == "progress-changed"
    assert "no-store" in result.headers["cache-control"]  # one region's card, like every page
    page = html.page(result)
    assert "sk-gugus.pdf" in html.text_of(page)
    card = tus.client.get(f"{world.base()}/isian/{code}")
    assert "sk-gugus.pdf" in html.text_of(html.page(card))
    # A repeated last PATCH (its answer was lost) learns it is done; HEAD says complete.
    assert tus.patch(url, len(data), b"").status_code == 204
    assert tus.head(url).headers["Upload-Offset"] == str(len(data))


def test_wrong_offset_is_a_conflict(tus):
    url = tus.start(100)
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 204
    response = tus.patch(url, 3, b"abc")
    assert response.status_code == 409
    assert tus.head(url).headers["Upload-Offset"] == "9"


def test_wrong_content_type_and_version(tus):
    url = tus.start(100)
    assert tus.patch(url, 0, b"x", {"Content-Type": "application/octet-stream"}).status_code == 415
    missing = tus.client.head(url)
    assert missing.status_code == 412 and missing.headers["Tus-Version"] == "1.0.0"
    assert tus.patch(url, 0, b"x", {"Tus-Resumable": "0.2.2"}).status_code == 412
    assert tus.create(10, headers={"Tus-Resumable": "2.0.0"}).status_code == 412
    assert tus.delete(url, {"Tus-Resumable": ""}).status_code == 412


def test_too_large_and_unknown_length(tus, app, db):
    assert tus.create(app.state.settings.max_upload_bytes + 1).status_code == 413
    assert tus.create(10, headers={"Upload-Defer-Length": "1", "Upload-Length": ""}).status_code == 400
    assert tus.create(0).status_code == 422
    assert db.exec(select(Upload)).all() == []
    url = tus.start(10)
    assert tus.patch(url, 0, b"%PDF-1.4\n0123456").status_code == 413  # more than announced
    assert tus.head(url).headers["Upload-Offset"] == "0"


@pytest.mark.parametrize("meta", ["", "filename", "filename !!!", "target " + "eA==", "filename YS5wZGY=,filename YQ=="])
def test_bad_metadata_is_refused(tus, meta):
    assert tus.create(10, headers={"Upload-Metadata": meta}).status_code == 400


def test_termination(tus, app, db):
    url = tus.start(100)
    assert tus.patch(url, 0, b"%PDF-1.4\n").status_code == 204
    assert len(list(_partials(app).iterdir())) == 1
    assert tus.delete(url).status_code == 204
    assert tus.head(url).status_code == 404
    assert tus.patch(url, 9, b"x").status_code == 404
    assert not list(_partials(app).iterdir())
    assert db.exec(select(Upload)).all() == []


def test_csrf_is_checked(tus):
    url = tus.start(100)
    headers = {**TUS, "Upload-Offset": "0", "Content-Type": OFFSET}
    assert tus.client.patch(url, content=b"x", headers=headers).status_code == 403
    assert tus.client.patch(url, content=b"x", headers={**headers, "X-CSRF-Token": "wrong"}).status_code == 403
    assert tus.client.delete(url, headers=TUS).status_code == 403
    post = tus.client.post("/tus/", headers={**TUS, "Upload-Length": "10",
                                             "Upload-Metadata": metadata(filename="a.pdf", target=tus.target)})
    assert post.status_code == 403 and post.headers["Tus-Resumable"] == "1.0.0"
    # The upload client shows what it is told: plain words, in the user's language, not the error page.
    assert post.headers["content-type"].startswith("text/plain") and "Muat ulang" in post.text
    cross = tus.patch(url, 0, b"x", {"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_signed_out_gets_401(client, world, code):
    assert client.options("/tus/").status_code == 401
    assert client.head("/tus/" + "a" * 43, headers=TUS).status_code == 401


def test_a_stale_page_after_logout_is_told_to_sign_in_again_in_plain_words(tus):
    """Logged out in another tab: the page's token is stale and the session gone (issue 25 review)."""
    url = tus.start(100)
    tus.client.post("/keluar", headers={"X-CSRF-Token": tus.token})
    late = tus.patch(url, 0, b"x")
    assert late.status_code == 401 and late.headers["content-type"].startswith("text/plain")
    assert "masuk kembali" in late.text
