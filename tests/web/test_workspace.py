"""The OPD workspace: answering, autosave with optimistic locking, evidence, submission."""

from __future__ import annotations

import io
import zlib

import pytest
from sqlmodel import select

from app.models import Answer, AnswerStatus, AuditEntry, Evidence, StoredFile
from app.templating import dom_id
from tests import html

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _dinkes_option_question(catalogue):
    """A question assigned to Dinkes with an options scale, and its best option."""
    for ref in catalogue.iter_questions():
        scale = catalogue.scales[ref.question.scale]
        if "DINKES" in ref.question.agencies and scale.kind == "options" and ref.question.max > 0:
            best = max(scale.options, key=lambda o: o.fraction)
            return ref.question, best
    raise AssertionError("no Dinkes question")


def _dinkes_question_without_required_evidence(catalogue):
    """A Dinkes question with an options scale that can be submitted without a file, and its best option."""
    question = next(
        r.question for r in catalogue.iter_questions()
        if "DINKES" in r.question.agencies and not r.question.evidence.required
        and catalogue.scales[r.question.scale].kind == "options"
    )
    return question, catalogue.scales[question.scale].options[-1].code


def _headers(token: str) -> dict:
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def test_workspace_lists_only_the_agencys_questions(client, world, auth, catalogue):
    auth.login(client, "opd_a")
    page = client.get(f"{world.base()}/isian")
    assert page.status_code == 200
    dinkes = [r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies]
    others = [r.question.code for r in catalogue.iter_questions() if r.question.agencies == ("DISDIK",)]
    tree = html.page(page)
    assert tree.xpath(f"//*[@id='q-{dom_id(dinkes[0])}']")
    assert others and not tree.xpath(f"//*[@id='q-{dom_id(others[0])}']")
    assert f"0 / {len(dinkes)}" in html.text_of(tree)


def test_home_sends_each_role_to_its_work(client, world, auth):
    auth.login(client, "opd_a")
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == f"{world.base()}/isian"


def test_save_an_answer_updates_score_and_version(client, world, auth, catalogue, scorer, db):
    token = auth.login(client, "opd_a")
    question, best = _dinkes_option_question(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    card = client.get(url, headers={"HX-Request": "true"})
    assert card.status_code == 200 and html.page(card).xpath("//*[@name='version']")
    response = client.post(url, data={"version": "0", "option": best.code, "note": "Perbup 12/2023"},
                           headers=_headers(token))
    assert response.status_code == 200, response.text
    tree = html.page(response)
    assert "Tersimpan" in html.text_of(tree)
    assert html.attrs(tree, f"//*[@id='version-{dom_id(question.code)}']/@value") == ["1"]
    points = scorer.questions[question.code].max_cents
    shown = html.one(tree, f"//span[@id='points-{dom_id(question.code)}']")
    assert shown.get("hx-swap-oob") == "true" and html.text_of(shown) == f"{points // 100},{points % 100:02d}"
    answer = db.exec(select(Answer).where(Answer.question_code == question.code)).one()
    assert answer.option == best.code and answer.version == 1 and answer.note == "Perbup 12/2023"
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "answer.save")).all()
    assert len(audit) == 1 and audit[0].after["option"] == best.code


def test_value_off_the_scale_gets_a_message_in_indonesian(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    question, _ = _dinkes_option_question(catalogue)
    response = client.post(f"{world.base()}/isian/{question.code}", data={"version": "0", "option": "palsu"},
                           headers=_headers(token))
    assert response.status_code == 422
    assert "tidak ada pada skala jawabannya" in html.text_of(html.page(response))


def test_a_save_naming_a_version_of_an_answer_nobody_started_is_a_conflict_not_a_scale_error(
    client, world, auth, catalogue, db
):
    """The answer was removed (or never stored) since the form was loaded: the ordinary conflict
    message (409), not "does not fit its scale (version)" (422) as before issue 21."""
    question, best = _dinkes_option_question(catalogue)
    token = auth.login(client, "opd_a")
    stale = client.post(f"{world.base()}/isian/{question.code}", data={"version": "5", "option": best.code},
                        headers=_headers(token))
    assert stale.status_code == 409
    shown = html.text_of(html.page(stale))
    assert "Orang lain baru saja mengubah jawaban ini" in shown and "skala" not in shown
    assert db.exec(select(Answer).where(Answer.question_code == question.code)).all() == []


def test_two_people_saving_from_the_same_version_conflict_and_both_texts_survive(
    make_client, world, auth, catalogue, db
):
    question, best = _dinkes_option_question(catalogue)
    first, second = make_client(), make_client()
    token_1 = auth.login(first, "opd_a")
    token_2 = auth.login(second, "opd_a2")
    url = f"{world.base()}/isian/{question.code}"
    saved = first.post(url, data={"version": "0", "option": best.code, "note": "teks pertama"}, headers=_headers(token_1))
    assert saved.status_code == 200
    # Both now edit version 1.
    again = first.post(url, data={"version": "1", "option": best.code, "note": "teks A"}, headers=_headers(token_1))
    assert again.status_code == 200
    clash = second.post(url, data={"version": "1", "option": best.code, "note": "teks B"}, headers=_headers(token_2))
    assert clash.status_code == 409
    shown = html.text_of(html.page(clash))
    assert "teks A" in shown and "teks B" in shown  # theirs shown, mine kept
    assert "Opd A" in shown
    stored = db.exec(select(Answer).where(Answer.question_code == question.code)).one()
    assert stored.note == "teks A" and stored.version == 2
    # Keeping one's own version is a deliberate save on top of the newer one.
    keep = second.post(url, data={"version": "2", "option": best.code, "note": "teks B"}, headers=_headers(token_2))
    assert keep.status_code == 200


def test_upload_pdf_then_reuse_it_without_a_second_copy(client, world, auth, catalogue, db, app):
    token = auth.login(client, "opd_a")
    codes = [r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies]
    first, second = codes[0], codes[1]
    response = client.post(
        f"{world.base()}/isian/{first}/bukti",
        files={"files": ("../../laporan gizi.pdf", io.BytesIO(PDF), "application/pdf")},
        headers=_headers(token),
    )
    assert response.status_code == 200, response.text
    assert "1 berkas diunggah" in html.text_of(html.page(response))
    evidence = db.exec(select(Evidence)).one()
    assert evidence.filename == "laporan gizi.pdf"
    unchosen = client.post(f"{world.base()}/isian/{second}/bukti-pakai", data={"evidence_id": ""},
                           headers=_headers(token))
    assert unchosen.status_code == 422 and "Pilih dulu berkas" in html.text_of(html.page(unchosen))
    assert len(db.exec(select(Evidence)).all()) == 1
    reuse = client.post(f"{world.base()}/isian/{second}/bukti-pakai", data={"evidence_id": str(evidence.id)},
                        headers=_headers(token))
    assert reuse.status_code == 200, reuse.text
    assert len(db.exec(select(Evidence)).all()) == 2
    assert len(db.exec(select(StoredFile)).all()) == 1
    root = app.state.settings.evidence_dir
    stored = [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"]
    assert len(stored) == 1
    # A PDF opens in the browser, sandboxed as the reviewers' preview; downloading it is a choice.
    shown = client.get(f"{world.base()}/bukti/{evidence.id}")
    assert shown.status_code == 200 and shown.content == PDF
    assert shown.headers["content-disposition"].startswith("inline")
    assert shown.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert shown.headers["x-content-type-options"] == "nosniff"
    download = client.get(f"{world.base()}/bukti/{evidence.id}?unduh=1")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert download.headers["x-content-type-options"] == "nosniff"


def test_executable_renamed_pdf_is_refused_and_nothing_is_stored(client, world, auth, catalogue, db, app):
    token = auth.login(client, "opd_a")
    code = next(r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies)
    response = client.post(
        f"{world.base()}/isian/{code}/bukti",
        files={"files": ("laporan.pdf", io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "application/pdf")},
        headers=_headers(token),
    )
    assert response.status_code == 422
    assert "program, bukan dokumen" in html.text_of(html.page(response))
    assert db.exec(select(Evidence)).all() == []
    assert db.exec(select(StoredFile)).all() == []
    evidence_dir = app.state.settings.evidence_dir
    assert not [p for p in evidence_dir.rglob("*") if p.is_file()]


def test_submit_makes_the_answer_read_only(client, world, auth, catalogue, db):
    token = auth.login(client, "opd_a")
    question, option = _dinkes_question_without_required_evidence(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    client.post(url, data={"version": "0", "option": option}, headers=_headers(token))
    submitted = client.post(f"{url}/kirim", headers=_headers(token))
    assert submitted.status_code == 200, submitted.text
    shown = html.text_of(html.page(submitted))
    assert "read-only" in shown or "hanya dapat dibaca" in shown
    answer = db.exec(select(Answer).where(Answer.question_code == question.code)).one()
    assert answer.status == AnswerStatus.SUBMITTED
    blocked = client.post(url, data={"version": str(answer.version), "option": option, "note": "x"},
                          headers=_headers(token))
    assert blocked.status_code == 409


def test_required_evidence_blocks_submission(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    question = next(
        r.question for r in catalogue.iter_questions()
        if "DINKES" in r.question.agencies and r.question.evidence.required
        and catalogue.scales[r.question.scale].kind == "options"
    )
    url = f"{world.base()}/isian/{question.code}"
    client.post(url, data={"version": "0", "option": catalogue.scales[question.scale].options[-1].code},
                headers=_headers(token))
    response = client.post(f"{url}/kirim", headers=_headers(token))
    assert response.status_code == 422
    assert "bukti" in html.text_of(html.page(response)).lower()


def test_opd_cannot_touch_another_agencys_question(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    other = next(r.question.code for r in catalogue.iter_questions() if r.question.agencies == ("DISDIK",))
    response = client.post(f"{world.base()}/isian/{other}", data={"version": "0"}, headers=_headers(token))
    assert response.status_code == 403


def test_post_without_csrf_token_is_refused(client, world, auth, catalogue):
    auth.login(client, "opd_a")
    question, best = _dinkes_option_question(catalogue)
    response = client.post(f"{world.base()}/isian/{question.code}", data={"version": "0", "option": best.code})
    assert response.status_code == 403
    assert "kedaluwarsa" in html.text_of(html.page(response))


def test_cross_site_post_is_refused_even_with_a_token(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    question, best = _dinkes_option_question(catalogue)
    response = client.post(
        f"{world.base()}/isian/{question.code}",
        data={"version": "0", "option": best.code},
        headers={**_headers(token), "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


def test_png_upload_is_accepted(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    code = next(r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies)
    raw = b"\x00\xff\x00\x00"
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )
    response = client.post(f"{world.base()}/isian/{code}/bukti",
                           files={"files": ("foto.png", io.BytesIO(png), "image/png")}, headers=_headers(token))
    assert response.status_code == 200, response.text


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def test_rows_rendered_for_one_kab_kota_link_to_the_cards_of_another(client, world, auth, catalogue, app,
                                                                    monkeypatch):
    """Rows and the headings around them are rendered once for the nation (the card link is put in
    per list): kab/kota B's list, made of what was rendered for A and at the worker's start, links
    to B's cards only. Seen from outside: the row macro and the headings template are not run again."""
    from urllib.parse import urljoin

    from app.routes.question_list import warm_question_rows
    from app.templating import env

    warm_question_rows(app.state.engine, catalogue)
    rows, headings = _count_calls(monkeypatch, env, "workspace/_question_row.html", "workspace/_questions.html")
    auth.login(client, "dp3a_a")
    page_a = client.get(f"{world.base('a')}/isian")
    assert rows == []  # every row came from the warm-up
    client.cookies.clear()
    auth.login(client, "dp3a_b")
    rendered = len(headings)
    page_b = client.get(f"{world.base('b')}/isian")
    assert rendered and len(headings) == rendered  # the same headings: reused
    # The links as the browser follows them from each list's page (rows link relative to it).
    links_a = [urljoin(f"{world.base('a')}/isian", link)
               for link in html.attrs(html.page(page_a), "//*[@hx-trigger='toggle once']/@hx-get")]
    links_b = [urljoin(f"{world.base('b')}/isian", link)
               for link in html.attrs(html.page(page_b), "//*[@hx-trigger='toggle once']/@hx-get")]
    assert len(links_b) == len(catalogue.questions) == len(links_a)
    assert all(link.startswith(f"{world.base('b')}/isian/") for link in links_b)
    assert all(link.startswith(f"{world.base('a')}/isian/") for link in links_a)
    assert "\x00" not in page_b.text


def _count_calls(monkeypatch, env, row_template: str, list_template: str) -> tuple[list, list]:
    """Calls of the row template's `row` macro and of the list template's part heading, from now on."""
    rows: list = []
    headings: list = []
    macros = env.get_template(row_template).module
    row = macros.row
    monkeypatch.setattr(macros, "row", lambda *args, **kwargs: rows.append(args) or row(*args, **kwargs))
    list_macros = env.get_template(list_template).module
    part_start = list_macros.part_start
    monkeypatch.setattr(list_macros, "part_start",
                        lambda *args, **kwargs: headings.append(args) or part_start(*args, **kwargs))
    return rows, headings


def test_the_dp3a_filtered_to_one_agency_keeps_its_progress_card_after_a_submission(client, world, auth, catalogue):
    """The card that comes back out of band counts the agency of the list the DP3A is looking at
    (and asks for it again on the next refresh), not the whole region."""
    token = auth.login(client, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    question, option = _dinkes_question_without_required_evidence(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    listing = f"http://testserver{world.base()}/isian?opd={dinkes.id}"
    headers = {**_headers(token), "HX-Current-URL": listing}
    assert client.post(url, data={"version": "0", "option": option}, headers=headers).status_code == 200
    submitted = client.post(f"{url}/kirim", headers=headers)
    assert submitted.status_code == 200, submitted.text
    dinkes_total = sum(1 for r in catalogue.iter_questions() if "DINKES" in r.question.agencies)
    tree = html.page(submitted)
    assert html.mentions(tree, f"/kemajuan?opd={dinkes.id}")
    assert any(shown.endswith(f"/ {dinkes_total}") for shown in html.texts(tree, "//dd"))
    # A header naming another region's agency is no filter, not an error after the submission.
    other = {**_headers(token), "HX-Current-URL": f"http://testserver{world.base()}/isian?opd={world.agencies['dinkes_b'].id}"}
    again = client.post(f"{url}/kirim", headers=other)
    assert again.status_code == 422 and not html.mentions(html.page(again), "/kemajuan?opd=")


def _dinkes_question_requiring_evidence(catalogue):
    return next(r.question for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and r.question.evidence.required)


def test_not_applicable_needs_its_reason_not_evidence_to_be_submitted(client, world, auth, catalogue, db):
    """The rules of the DP3A's check of the whole region, already at one answer's submission: a
    "not applicable" is sent with its reason in the note, and needs no file."""
    token = auth.login(client, "opd_a")
    question = _dinkes_question_requiring_evidence(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    saved = client.post(url, data={"version": "0", "not_applicable": "1", "note": ""}, headers=_headers(token))
    assert saved.status_code == 200, saved.text
    assert "Tuliskan di catatan mengapa pertanyaan ini tidak berlaku" in html.text_of(html.page(saved))  # said at once, not at the deadline
    refused = client.post(f"{url}/kirim", headers=_headers(token))
    assert refused.status_code == 422
    assert "Jelaskan di catatan mengapa pertanyaan ini tidak berlaku" in html.text_of(html.page(refused))
    answer = db.exec(select(Answer).where(Answer.question_code == question.code)).one()
    assert answer.status == AnswerStatus.DRAFT
    saved = client.post(url, data={"version": str(answer.version), "not_applicable": "1",
                                   "note": "Tidak ada rumah sakit di wilayah kami."}, headers=_headers(token))
    assert saved.status_code == 200 and "Tuliskan di catatan" not in html.text_of(html.page(saved))
    submitted = client.post(f"{url}/kirim", headers=_headers(token))
    assert submitted.status_code == 200, submitted.text
    db.refresh(answer)
    assert answer.status == AnswerStatus.SUBMITTED


def test_submit_all_leaves_out_not_applicable_answers_without_a_reason(client, world, auth, catalogue, db):
    token = auth.login(client, "opd_a")
    questions = [r.question for r in catalogue.iter_questions()
                 if "DINKES" in r.question.agencies and r.question.evidence.required][:2]
    for question, note in zip(questions, ["", "Tidak ada fasilitas ini."], strict=True):
        response = client.post(f"{world.base()}/isian/{question.code}",
                               data={"version": "0", "not_applicable": "1", "note": note}, headers=_headers(token))
        assert response.status_code == 200, response.text
    response = client.post(f"{world.base()}/kirim-semua", headers=_headers(token))
    shown = html.text_of(html.page(response))
    assert "1 jawaban dikirim" in shown
    assert "1 jawaban tidak dikirim karena ditandai tidak berlaku tanpa alasan" in shown
    statuses = {a.question_code: a.status for a in db.exec(select(Answer)).all()}
    assert statuses == {questions[0].code: AnswerStatus.DRAFT, questions[1].code: AnswerStatus.SUBMITTED}


def test_saving_the_same_answer_again_writes_nothing_and_keeps_a_colleagues_form_current(
        client, world, auth, catalogue, db):
    token = auth.login(client, "opd_a")
    question, best = _dinkes_option_question(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    form = {"option": best.code, "note": "Perbup 12/2023"}
    assert client.post(url, data={"version": "0", **form}, headers=_headers(token)).status_code == 200
    again = client.post(url, data={"version": "1", **form}, headers=_headers(token))
    tree = html.page(again)
    assert again.status_code == 200 and "Tersimpan" in html.text_of(tree)
    assert html.attrs(tree, f"//*[@id='version-{dom_id(question.code)}']/@value") == ["1"]
    answer = db.exec(select(Answer).where(Answer.question_code == question.code)).one()
    assert answer.version == 1
    saves = db.exec(select(AuditEntry).where(AuditEntry.action == "answer.save")).all()
    assert len(saves) == 1
    changed = client.post(url, data={"version": "1", **form, "note": "Perbup 12/2023 dan SK Bupati"},
                          headers=_headers(token))  # the colleague's form, still at version 1
    assert changed.status_code == 200
    assert html.attrs(html.page(changed), f"//*[@id='version-{dom_id(question.code)}']/@value") == ["2"]


def test_a_returned_answer_given_a_file_by_the_filtered_dp3a_stays_returned_and_editable(
        client, world, auth, catalogue, db):
    """A file on a returned answer no longer sends it back for review (issue 20, item 2): the card is
    not swapped for a read-only one; the progress card recounts in its own request."""
    token = auth.login(client, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    code = next(r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies)
    option = catalogue.scales[catalogue.questions[code].question.scale]
    given = {"option": option.options[-1].code} if option.kind == "options" else {"value": "1"}
    headers = {**_headers(token), "HX-Current-URL": f"http://testserver{world.base()}/isian?opd={dinkes.id}"}
    assert client.post(f"{world.base()}/isian/{code}", data={"version": "0", **given},
                       headers=headers).status_code == 200
    answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
    answer.status = AnswerStatus.RETURNED
    db.add(answer)
    db.commit()
    response = client.post(f"{world.base()}/isian/{code}/bukti",
                           files={"files": ("perbaikan.pdf", io.BytesIO(PDF), "application/pdf")}, headers=headers)
    assert response.status_code == 200, response.text
    assert "HX-Retarget" not in response.headers and response.headers["HX-Trigger"] == "progress-changed"
    db.refresh(answer)
    assert answer.status == AnswerStatus.RETURNED


@pytest.mark.parametrize("current_url", [
    "http://[oops/isian?opd=1",             # urlsplit refuses it
    "http://testserver/isian?opd=%C2%B2",   # "²" is a digit to str.isdigit(), not to int()
    "http://testserver/isian?opd=99999999999999999999999",
    "http://testserver/isian?opd=2147483648",  # beyond PostgreSQL's integer
    "http://testserver/isian?opd=" + "9" * 5000,
    "not a url at all",
])
def test_a_broken_current_url_header_is_no_filter_not_an_error(client, world, auth, catalogue, current_url):
    token = auth.login(client, "dp3a_a")
    code = next(iter(catalogue.questions))  # unanswered: the submission is refused, the card still comes back
    response = client.post(f"{world.base()}/isian/{code}/kirim",
                           headers={**_headers(token), "HX-Current-URL": current_url})
    assert response.status_code == 422, response.text
    assert not html.mentions(html.page(response), "/kemajuan?opd=")


@pytest.mark.parametrize("opd", ["%C2%B2", "99999999999999999999999", "2147483648", "-1", "0"])
def test_a_strange_agency_filter_in_the_address_is_no_filter(client, world, auth, opd):
    auth.login(client, "dp3a_a")
    assert client.get(f"{world.base()}/kemajuan?opd={opd}").status_code == 200
    assert client.get(f"{world.base()}/isian?opd={opd}").status_code == 200


def test_the_progress_card_refreshed_for_a_filtered_dp3a_asks_again_with_the_filter(client, world, auth):
    auth.login(client, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    card = client.get(f"{world.base()}/kemajuan?opd={dinkes.id}", headers={"HX-Request": "true"})
    assert card.status_code == 200
    tree = html.page(card)
    assert html.mentions(tree, f"/kemajuan?opd={dinkes.id}")  # its next refresh counts the same agency
    assert not tree.xpath("//*[@hx-swap-oob]")


def test_switching_language_keeps_the_pages_filter(client, world, auth):
    auth.login(client, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    page = client.get(f"{world.base()}/isian?opd={dinkes.id}")
    assert html.page(page).xpath(f"//a[@href='?opd={dinkes.id}&lang=en']")
    english = client.get(f"{world.base()}/isian?opd={dinkes.id}&lang=en")
    assert html.page(english).xpath(f"//a[@href='?opd={dinkes.id}&lang=id']")


def test_a_number_answer_is_shown_as_written_not_as_stored(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    question = next(r.question for r in catalogue.iter_questions()
                    if "DINKES" in r.question.agencies and not r.question.evidence.required
                    and catalogue.scales[r.question.scale].kind != "options")
    url = f"{world.base()}/isian/{question.code}"
    assert client.post(url, data={"version": "0", "value": "87,5"}, headers=_headers(token)).status_code == 200
    submitted = client.post(f"{url}/kirim", headers=_headers(token))  # read-only: the value is printed
    assert submitted.status_code == 200, submitted.text
    tree = html.page(submitted)
    assert "87,5" in html.texts(tree, "//dd") and not html.mentions(tree, "87.5000")


def test_answer_values_lose_the_columns_trailing_zeros_only():
    from app.templating import answer_value

    assert answer_value("50.0000") == "50"
    assert answer_value("100.0000") == "100"  # not 1E+2
    assert answer_value("0.0000") == "0"


def test_the_card_names_the_agencies_of_this_kab_kota_that_answer_it(client, world, auth, catalogue, db):
    from app.models import Agency

    dinkes = world.agencies["dinkes_a"]
    dinkes.short_name, dinkes.name = "DINKESKOTA", "Dinas Kesehatan Kota Palangka Raya"
    db.add(dinkes)
    db.commit()
    auth.login(client, "opd_a")
    question, _option = _dinkes_question_without_required_evidence(catalogue)
    card = client.get(f"{world.base()}/isian/{question.code}", headers={"HX-Request": "true"})
    # Full names a tap away (a <details>), not behind a hover-only title: phones cannot hover.
    names = {li.findtext("strong"): " ".join(li.text_content().split()[1:])
             for li in html.page(card).xpath("//details[@class='answered-by']//li")}
    assert names["DINKESKOTA"] == "Dinas Kesehatan Kota Palangka Raya"
    others = [code for code in question.agencies if code != "DINKES"]
    for code in others:  # the other agencies by this region's names too, not by catalogue codes
        agency = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                              Agency.role_code == code)).one()
        assert names[agency.short_name] == agency.name


def test_a_file_first_then_the_answer_is_no_conflict(client, world, auth, catalogue, db):
    """The first file starts an empty answer (version 1); the upload reply gives the form that version."""
    token = auth.login(client, "opd_a")
    question, option = _dinkes_question_without_required_evidence(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    uploaded = client.post(f"{url}/bukti", files={"files": ("sk.pdf", io.BytesIO(PDF), "application/pdf")},
                           headers=_headers(token))
    assert uploaded.status_code == 200, uploaded.text
    version = html.attrs(html.page(uploaded), f"//*[@id='version-{dom_id(question.code)}'][@hx-swap-oob='true']/@value")
    assert len(version) == 1 and version[0].isdigit(), uploaded.text
    saved = client.post(url, data={"version": version[0], "option": option}, headers=_headers(token))
    assert saved.status_code == 200, saved.text


def test_an_unchanged_save_asks_for_no_recount(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    question, option = _dinkes_question_without_required_evidence(catalogue)
    url = f"{world.base()}/isian/{question.code}"
    first = client.post(url, data={"version": "0", "option": option}, headers=_headers(token))
    assert first.headers.get("HX-Trigger") == "progress-changed"
    again = client.post(url, data={"version": "1", "option": option}, headers=_headers(token))
    assert again.status_code == 200 and "HX-Trigger" not in again.headers


def test_submit_all_sends_nothing_once_the_region_went_to_the_province(client, world, auth, catalogue, db):
    token = auth.login(client, "dp3a_a")
    question, option = _dinkes_question_without_required_evidence(catalogue)
    assert client.post(f"{world.base()}/isian/{question.code}", data={"version": "0", "option": option},
                       headers=_headers(token)).status_code == 200
    assessment = world.assessments["a"]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()
    response = client.post(f"{world.base()}/kirim-semua", headers=_headers(token))
    assert "sudah dikirim ke provinsi" in html.text_of(html.page(response))
    answer = db.exec(select(Answer).where(Answer.question_code == question.code)).one()
    db.refresh(answer)
    assert answer.status == AnswerStatus.DRAFT
