"""The kab/kota rekap filled in offline and uploaded back: preview first, nothing written until confirmed."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from app.config import Settings
from app.exports.common import REKAP_COLUMNS, part_sheet_titles, workbook_bytes
from app.exports.rekap import build_regency_workbook
from app.factory import create_app
from app.models import Answer, AnswerStatus, AuditEntry, User
from app.services.answers import AnswerInput, save_answer
from scoring import Answer as ScoredAnswer
from tests import html
from tests.app import test_evidence_samples as samples
from tests.web.test_exports import SOFFICE, _soffice

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EM, NOTE, CODE = REKAP_COLUMNS.index("Nilai EM") + 1, REKAP_COLUMNS.index("Catatan") + 1, 4


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _codes(catalogue, kind: str) -> list[str]:
    return [r.question.code for r in catalogue.iter_questions()
            if catalogue.scales[r.question.scale].kind == kind and r.question.max > 0]


@pytest.fixture
def seeded(world, db, catalogue, scorer):
    """Region A in self-assessment: some draft answers of every scale kind, one submitted (locked)."""
    user = _user(db, "dp3a_a")
    assessment = world.assessments["a"]
    options, percents, numbers = _codes(catalogue, "options"), _codes(catalogue, "percent"), _codes(catalogue, "number")
    rows = []
    for index, code in enumerate(options[:12]):
        scale = catalogue.scales[catalogue.questions[code].question.scale]
        rows.append(Answer(assessment_id=assessment.id, question_code=code, option=scale.options[1].code,
                           note="catatan awal" if index % 3 == 0 else "", updated_by=user.id))
    for code in percents[:2]:
        rows.append(Answer(assessment_id=assessment.id, question_code=code, value=50, updated_by=user.id))
    for code in numbers[:2]:
        rows.append(Answer(assessment_id=assessment.id, question_code=code, value=1, updated_by=user.id))
    locked = options[12]
    rows.append(Answer(assessment_id=assessment.id, question_code=locked, option="tidak_ada"
                       if "tidak_ada" in {o.code for o in catalogue.scales[catalogue.questions[locked].question.scale]
                                          .options} else None, status=AnswerStatus.SUBMITTED, version=2,
                       updated_by=user.id))
    db.add_all(rows)
    db.commit()
    return {"options": options, "percents": percents, "numbers": numbers, "locked": locked,
            "assessment": assessment}


def _snapshot(db, assessment_id):
    db.expire_all()
    return sorted((a.question_code, a.option, None if a.value is None else str(a.value), a.note, a.not_applicable,
                   str(a.status), a.version)
                  for a in db.exec(select(Answer).where(Answer.assessment_id == assessment_id)))


def _audit_count(db) -> int:
    return len(db.exec(select(AuditEntry)).all())


def _export(client, world) -> bytes:
    response = client.get(f"{world.base()}/ekspor.xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return response.content


def _upload(client, world, token, content: bytes, name: str = "rekap.xlsx"):
    return client.post(f"{world.base()}/impor", data={"csrf_token": token}, files={"file": (name, content, XLSX)})


def _confirm(client, world, token, sha: str):
    return client.post(f"{world.base()}/impor/konfirmasi", data={"csrf_token": token, "sha256": sha})


def _sha(page: str) -> str:
    values = html.attrs(html.page(page), "//*[@name='sha256']/@value")
    assert len(values) == 1 and re.fullmatch(r"[0-9a-f]{64}", values[0]), page
    return values[0]


def _locate(workbook, catalogue, code):
    sheet = workbook[part_sheet_titles(catalogue)[catalogue.questions[code].part.code]]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=CODE).value == code:
            return sheet, row
    raise AssertionError(f"{code} not found")


def _edit(content: bytes, change) -> bytes:
    workbook = load_workbook(io.BytesIO(content))
    change(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _points(scorer, code, option=None, value=None) -> float:
    return scorer.question_points(code, ScoredAnswer(option=option, value=value)) / 100


# -- the round trip ----------------------------------------------------------------------------


def test_unchanged_then_five_edits_previewed_then_applied(client, world, auth, db, catalogue, scorer, seeded):
    token = auth.login(client, "dp3a_a")
    assessment = seeded["assessment"]
    exported = _export(client, world)

    unchanged = _upload(client, world, token, exported)
    assert unchanged.status_code == 200, unchanged.text
    assert "Tidak ada perubahan" in html.text_of(html.page(unchanged))
    assert not html.page(unchanged).xpath("//*[@name='sha256']")  # nothing to confirm

    options, percents, numbers = seeded["options"], seeded["percents"], seeded["numbers"]
    best_option, unanswered_option, note_only = options[0], options[20], options[1]
    percent, number = percents[0], numbers[5]
    best_scale = catalogue.scales[catalogue.questions[best_option].question.scale]
    best = max(best_scale.options, key=lambda o: o.fraction).code
    zero_scale = catalogue.scales[catalogue.questions[unanswered_option].question.scale]
    zero = next(o.code for o in zero_scale.options if o.fraction == 0)
    percent_scale = catalogue.scales[catalogue.questions[percent].question.scale]
    percent_value = 25 if percent_scale.lower_is_better else 75
    threshold = sorted(catalogue.scales[catalogue.questions[number].question.scale].thresholds,
                       key=lambda t: t.min)[2]
    expected_points = {
        best_option: _points(scorer, best_option, option=best),
        unanswered_option: 0.0,
        percent: _points(scorer, percent, value=percent_value),
        number: _points(scorer, number, value=threshold.min),
    }

    def five_edits(workbook):
        for code, value in expected_points.items():
            sheet, row = _locate(workbook, catalogue, code)
            sheet.cell(row=row, column=EM).value = value
        sheet, row = _locate(workbook, catalogue, note_only)
        sheet.cell(row=row, column=NOTE).value = "Catatan baru\nbaris kedua"

    before, audit_before = _snapshot(db, assessment.id), _audit_count(db)
    preview = _upload(client, world, token, _edit(exported, five_edits))
    assert preview.status_code == 200, preview.text
    assert "5 jawaban akan berubah" in html.text_of(html.page(preview))
    body = preview.text.split("import-changes", 1)[1]
    for code in (*expected_points, note_only):
        assert f'<td class="code">{code}</td>' in body
    assert body.count('<td class="code">') == 5
    assert "Catatan baru" in body
    assert _snapshot(db, assessment.id) == before, "nothing is written before confirmation"
    assert _audit_count(db) == audit_before

    done = _confirm(client, world, token, _sha(preview.text))
    assert done.status_code == 200, done.text
    assert "5 jawaban disimpan" in html.text_of(html.page(done))
    db.expire_all()
    stored = {a.question_code: a for a in db.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    assert stored[best_option].option == best and stored[best_option].version == 2
    assert stored[unanswered_option].option == zero and stored[unanswered_option].version == 1
    assert float(stored[percent].value) == percent_value
    assert stored[number].value == threshold.min
    assert stored[note_only].note == "Catatan baru\nbaris kedua"
    assert stored[note_only].option == catalogue.scales[catalogue.questions[note_only].question.scale].options[1].code
    for code, points in expected_points.items():
        answer = stored[code]
        given = ScoredAnswer(option=answer.option, value=None if answer.value is None else answer.value)
        assert scorer.question_points(code, given) / 100 == points
    saves = db.exec(select(AuditEntry).where(AuditEntry.action == "answer.save")).all()
    assert len(saves) == 5  # the seed wrote rows directly: every save is the import's
    assert _confirm(client, world, token, _sha(preview.text)).status_code == 422  # used up


def test_stale_workbook_reports_conflicts_and_keeps_newer_answers(client, world, auth, db, catalogue, scorer, seeded):
    token = auth.login(client, "dp3a_a")
    assessment = seeded["assessment"]
    exported = _export(client, world)
    options = seeded["options"]
    edited_elsewhere, untouched_but_newer, fine = options[2], options[3], options[4]
    user = _user(db, "dp3a_a")
    for code in (edited_elsewhere, untouched_but_newer):
        scale = catalogue.scales[catalogue.questions[code].question.scale]
        saved = save_answer(db, assessment, code, AnswerInput(option=scale.options[-1].code, note="di aplikasi"), 1,
                            user, scorer)
        assert saved.written
    db.commit()

    def edits(workbook):
        sheet, row = _locate(workbook, catalogue, edited_elsewhere)
        sheet.cell(row=row, column=EM).value = 0
        sheet, row = _locate(workbook, catalogue, fine)
        sheet.cell(row=row, column=NOTE).value = "dari Excel"

    preview = _upload(client, world, token, _edit(exported, edits))
    assert preview.status_code == 200, preview.text
    assert f"Pertanyaan {edited_elsewhere} sudah diubah di aplikasi" in html.text_of(html.page(preview))
    assert "1 jawaban akan berubah" in html.text_of(html.page(preview))
    done = _confirm(client, world, token, _sha(preview.text))
    assert done.status_code == 200 and "1 jawaban disimpan" in html.text_of(html.page(done))
    db.expire_all()
    stored = {a.question_code: a for a in db.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    assert stored[fine].note == "dari Excel"
    for code in (edited_elsewhere, untouched_but_newer):
        assert stored[code].note == "di aplikasi" and stored[code].version == 2


@pytest.mark.parametrize("meanwhile", ["saved", "deleted"])
def test_answer_changed_between_preview_and_save_is_a_conflict_not_a_scale_error(
        client, world, auth, db, catalogue, scorer, seeded, monkeypatch, meanwhile):
    """A colleague saves (or an administrator removes) the answer in the moment between the confirmation's
    planning and its save: the save's version conflict is reported as "changed in the app since the
    download", never as the answer service's "does not fit its scale (version)"."""
    from app.exports import importer
    from app.routes import exports as export_routes

    token = auth.login(client, "dp3a_a")
    assessment, code = seeded["assessment"], seeded["options"][2]
    exported = _export(client, world)

    def edit(workbook):
        sheet, row = _locate(workbook, catalogue, code)
        sheet.cell(row=row, column=NOTE).value = "dari Excel"

    preview = _upload(client, world, token, _edit(exported, edit))
    assert "1 jawaban akan berubah" in preview.text

    def apply_after_a_colleague(session, *args):
        stored = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                              Answer.question_code == code)).one()
        if meanwhile == "saved":
            saved = save_answer(db, assessment, code, AnswerInput(option=stored.option, note="di aplikasi"),
                                stored.version, _user(db, "dp3a_a"), scorer)
            assert saved.written
        else:
            db.delete(stored)
        db.commit()
        return importer.apply_import(session, *args)

    monkeypatch.setattr(export_routes, "apply_import", apply_after_a_colleague)
    done = _confirm(client, world, token, _sha(preview.text))
    assert done.status_code == 200, done.text
    page = html.page(done)
    conflicts = [" ".join(li.text_content().split()) for li in page.xpath('//li[@class="warning"]')]
    assert len(conflicts) == 1 and conflicts[0].startswith(f"Pertanyaan {code} sudah diubah di aplikasi")
    assert page.xpath('//li[@class="error"]') == []  # not "could not be saved: ... (version)"
    assert "0 jawaban disimpan" in html.text_of(page)
    db.expire_all()
    stored = db.exec(select(Answer).where(Answer.assessment_id == assessment.id, Answer.question_code == code)).all()
    assert [a.note for a in stored] == (["di aplikasi"] if meanwhile == "saved" else [])


# -- malformed files ----------------------------------------------------------------------------


def _set(code, column, value):
    def change(workbook, catalogue, scorer, seeded):
        sheet, row = _locate(workbook, catalogue, seeded[code][0] if isinstance(seeded[code], list) else seeded[code])
        sheet.cell(row=row, column=column).value = value(catalogue, scorer, seeded) if callable(value) else value
    return change


def _off_scale(catalogue, scorer, seeded):
    code = seeded["options"][0]
    return scorer.questions[code].max_cents / 100 - 0.01


def _out_of_range(catalogue, scorer, seeded):
    return scorer.questions[seeded["options"][0]].max_cents / 100 + 1


def _rename(workbook, catalogue, scorer, seeded):
    workbook["Klaster I"].title = "Klaster 1"


def _shift(workbook, catalogue, scorer, seeded):
    workbook["Klaster I"].insert_cols(3)


def _drop_data(workbook, catalogue, scorer, seeded):
    del workbook["_data"]


def _unknown_code(workbook, catalogue, scorer, seeded):
    sheet, row = _locate(workbook, catalogue, seeded["options"][0])
    sheet.cell(row=row, column=CODE).value = "99.9"


def _locked(workbook, catalogue, scorer, seeded):
    sheet, row = _locate(workbook, catalogue, seeded["locked"])
    sheet.cell(row=row, column=EM).value = scorer.questions[seeded["locked"]].max_cents / 100


MUTATIONS = {
    "renamed_sheet": (_rename, "Sheet 'Klaster I' tidak ditemukan"),
    "shifted_columns": (_shift, "Sheet Klaster I, sel C1: kolom ini seharusnya 'Nama Indikator'"),
    "no_data_sheet": (_drop_data, "Sheet tersembunyi '_data' tidak ditemukan"),
    "formula": (_set("options", EM, "=2+3"), "rumus tidak diperbolehkan di sini"),
    "formula_in_note": (_set("options", NOTE, '=CONCAT("a","b")'), "rumus tidak diperbolehkan di sini"),
    "text_in_number": (_set("options", EM, "lima"), "'lima' berupa teks, bukan angka"),
    "unknown_code": (_unknown_code, "kode pertanyaan '99.9' tidak ada dalam instrumen"),
    "off_scale": (_set("options", EM, _off_scale), "Nilai yang diperbolehkan: 0,00;"),
    "out_of_range": (_set("options", EM, _out_of_range), "di luar rentang 0 sampai"),
    "locked": (_locked, "sudah dikirim atau disetujui sehingga terkunci"),
}


def test_malformed_workbooks_are_refused_cell_by_cell(client, world, auth, db, catalogue, scorer, seeded):
    """Each mutation of an exported rekap: 422, a message in Indonesian naming the cell, nothing written."""
    token = auth.login(client, "dp3a_a")
    exported = _export(client, world)
    before, audit_before = _snapshot(db, seeded["assessment"].id), _audit_count(db)
    failures = []
    for case, (mutate, expected) in MUTATIONS.items():
        response = _upload(client, world, token, _edit(exported, lambda wb, m=mutate: m(wb, catalogue, scorer, seeded)))
        tree = html.page(response)
        problems = html.texts(tree, "//li[@class='error']")
        if response.status_code != 422 or expected not in html.text_of(tree):
            failures.append(f"{case}: {response.status_code} {problems}")
        if case in ("formula", "text_in_number", "off_scale", "out_of_range", "locked", "unknown_code"):
            code = seeded["locked"] if case == "locked" else seeded["options"][0]
            sheet_title = part_sheet_titles(catalogue)[catalogue.questions[code].part.code]
            column = "D" if case == "unknown_code" else "G"
            if not re.search(rf"Sheet {sheet_title}, sel {column}\d+: ", html.text_of(tree)):
                failures.append(f"{case}: no cell reference in {problems}")
        if tree.xpath("//*[@name='sha256']"):
            failures.append(f"{case}: offered a confirmation")
    assert not failures, "\n".join(failures)
    assert _snapshot(db, seeded["assessment"].id) == before
    assert _audit_count(db) == audit_before


def test_wrong_files_are_refused_with_a_clear_message(client, world, auth, db, catalogue, scorer, seeded):
    token = auth.login(client, "dp3a_a")
    before = _snapshot(db, seeded["assessment"].id)
    other = Workbook()
    other.active["A1"] = "bukan rekap"
    wrong_sheets = _upload(client, world, token, workbook_bytes(other))
    assert wrong_sheets.status_code == 422
    shown = html.text_of(html.page(wrong_sheets))
    assert "Sheet 'Ringkasan' tidak ditemukan" in shown
    assert "Sheet 'Klaster V' tidak ditemukan" in shown

    other_region = build_regency_workbook(db, catalogue, scorer, world.assessments["b"], "http://testserver")
    refused = _upload(client, world, token, workbook_bytes(other_region))
    assert refused.status_code == 422 and "Rekap ini milik kab/kota 62.01 tahun" in html.text_of(html.page(refused))

    junk = _upload(client, world, token, os.urandom(64 * 1024), "rekap.xlsx")
    assert junk.status_code == 422 and "bukan buku kerja Excel (.xlsx)" in html.text_of(html.page(junk))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("catatan.txt", "bukan excel")
    zipped = _upload(client, world, token, archive.getvalue(), "rekap.xlsx")
    assert zipped.status_code == 422 and "bukan buku kerja Excel (.xlsx)" in html.text_of(html.page(zipped))
    nothing = client.post(f"{world.base()}/impor", data={"csrf_token": token})
    assert nothing.status_code == 422 and "Pilih berkas rekap" in html.text_of(html.page(nothing))
    forged = _confirm(client, world, token, "0" * 64)
    assert forged.status_code == 422 and "Tidak ada yang dapat dikonfirmasi" in html.text_of(html.page(forged))
    assert _snapshot(db, seeded["assessment"].id) == before


def test_ten_megabytes_of_junk(client, world, auth, db, seeded, settings, catalogue, migrated, tmp_path):
    junk = os.urandom(10 * 1024 * 1024)
    before = _snapshot(db, seeded["assessment"].id)
    token = auth.login(client, "dp3a_a")
    # The app's upload limit (2 MB in tests) stops it before the route reads it.
    stopped = _upload(client, world, token, junk)
    assert stopped.status_code == 413 and "Berkas terlalu besar" in html.text_of(html.page(stopped))
    # With a generous upload limit, the import's own limit (5 MB) answers.
    roomy = create_app(Settings(environment="test", database_url=migrated, data_dir=tmp_path / "roomy",
                                max_upload_mb=20), catalogue=catalogue)
    try:
        with TestClient(roomy) as big:
            big_token = auth.login(big, "dp3a_a")
            refused = _upload(big, world, big_token, junk)
            assert refused.status_code == 422
            assert "Berkas lebih besar dari 5 MB" in html.text_of(html.page(refused))
            assert not list((tmp_path / "roomy" / "evidence" / "tmp").glob("import-*"))
    finally:
        roomy.state.engine.dispose()
    assert _snapshot(db, seeded["assessment"].id) == before


def test_import_only_while_the_kabkota_answers(client, world, auth, db, seeded):
    token = auth.login(client, "dp3a_a")
    exported = _export(client, world)
    assessment = seeded["assessment"]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()
    page = client.get(f"{world.base()}/impor")
    assert page.status_code == 200 and "tidak dapat diimpor lagi" in html.text_of(html.page(page))
    refused = _upload(client, world, token, exported)
    assert refused.status_code == 409 and "tidak dapat diimpor lagi" in html.text_of(html.page(refused))


def test_only_the_dp3a_of_the_kabkota_imports(make_client, world, auth, seeded):
    for username, status in (("opd_a", 403), ("dp3a_b", 403), ("province", 403), ("admin", 403), ("dp3a_a", 200)):
        client = make_client()
        auth.login(client, username)
        assert client.get(f"{world.base()}/impor").status_code == status, username


# -- notes that look like formulas (issue 19, item 12) -------------------------------------------------
# The cell's type decides: what openpyxl reads as a formula cell is refused, whatever its first character;
# a text cell is text, also when it begins with "=" (the export writes such notes as text cells).

FORMULA_LIKE_NOTES = ("=SUM(A1:A3) hanya catatan, bukan rumus", "+62 812 3456 7890 (narahubung)",
                      '=HYPERLINK("https://kla.example.go.id")')


def _problems(response) -> list[str]:
    return html.texts(html.page(response), "//li[@class='error']")


def _changed_codes(response) -> list[str]:
    return [td.text_content() for td in html.page(response).xpath("//td[@class='code']")]


@pytest.fixture
def formula_like(db, seeded):
    """Three draft answers whose notes begin with "=" or "+"; returns {code: note}."""
    answers = {a.question_code: a for a in db.exec(select(Answer).where(Answer.assessment_id == seeded["assessment"].id))}
    notes = dict(zip(seeded["options"][3:6], FORMULA_LIKE_NOTES, strict=True))
    for code, note in notes.items():
        answers[code].note = note
        db.add(answers[code])
    db.commit()
    return notes


def _note_cell(workbook, catalogue, code):
    sheet, row = _locate(workbook, catalogue, code)
    return sheet.cell(row=row, column=NOTE)


def test_notes_beginning_with_equals_survive_export_and_unchanged_import(client, world, auth, db, catalogue,
                                                                        seeded, formula_like):
    token = auth.login(client, "dp3a_a")
    exported = _export(client, world)
    workbook = load_workbook(io.BytesIO(exported))
    for code, note in formula_like.items():
        cell = _note_cell(workbook, catalogue, code)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (note, "s", True), code

    unchanged = _upload(client, world, token, exported)
    assert unchanged.status_code == 200, _problems(unchanged)
    assert _problems(unchanged) == [] and _changed_codes(unchanged) == []
    assert "Tidak ada perubahan" in html.text_of(html.page(unchanged))

    # Beside them, one such note typed anew (as text): that one change, and it is saved as typed.
    edited_code = seeded["options"][6]

    def new_note(workbook):
        cell = _note_cell(workbook, catalogue, edited_code)
        cell.value, cell.data_type = "=1+1 adalah catatan baru", "s"

    preview = _upload(client, world, token, _edit(exported, new_note))
    assert preview.status_code == 200, _problems(preview)
    assert _problems(preview) == [] and _changed_codes(preview) == [edited_code]
    assert _confirm(client, world, token, _sha(preview.text)).status_code == 200
    db.expire_all()
    stored = {a.question_code: a.note for a in db.exec(select(Answer).where(Answer.assessment_id == seeded["assessment"].id))}
    assert stored[edited_code] == "=1+1 adalah catatan baru"
    assert {code: stored[code] for code in formula_like} == formula_like


@pytest.mark.parametrize("text", ['\t=HYPERLINK("https://evil.example/","klik")', " =1+1"])
def test_formula_cells_are_refused_whatever_comes_before_the_equals_sign(client, world, auth, db, catalogue,
                                                                         seeded, text):
    token = auth.login(client, "dp3a_a")
    exported = _export(client, world)
    code = seeded["options"][0]
    before = _snapshot(db, seeded["assessment"].id)

    def formula(workbook):
        cell = _note_cell(workbook, catalogue, code)
        cell.value, cell.data_type = text, "f"

    refused = _upload(client, world, token, _edit(exported, formula))
    assert refused.status_code == 422
    [problem] = _problems(refused)
    sheet, row = _locate(load_workbook(io.BytesIO(exported)), catalogue, code)
    assert problem.startswith(f"Sheet {sheet.title}, sel J{row}: rumus tidak diperbolehkan di sini")
    assert _snapshot(db, seeded["assessment"].id) == before

    # The same characters in a text cell (as Excel stores " =1+1" typed by hand) are a note.
    def as_text(workbook):
        cell = _note_cell(workbook, catalogue, code)
        cell.value, cell.data_type = text, "s"

    accepted = _upload(client, world, token, _edit(exported, as_text))
    assert accepted.status_code == 200 and _problems(accepted) == []
    assert _changed_codes(accepted) == [code]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: "
                                            "apt-get install -y libreoffice-calc-nogui")
def test_notes_beginning_with_equals_survive_a_libreoffice_save(client, world, auth, db, catalogue, seeded,
                                                                formula_like, tmp_path):
    """Opened and saved again in LibreOffice Calc, the rekap imports with no change and no formula."""
    token = auth.login(client, "dp3a_a")
    original = tmp_path / "rekap.xlsx"
    original.write_bytes(_export(client, world))
    _soffice(["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo"), str(original)],
             tmp_path / "lo-profile")
    saved = (tmp_path / "lo" / "rekap.xlsx").read_bytes()
    workbook = load_workbook(io.BytesIO(saved))
    for code, note in formula_like.items():
        cell = _note_cell(workbook, catalogue, code)
        assert (cell.value, cell.data_type) == (note, "s"), code
    unchanged = _upload(client, world, token, saved)
    assert unchanged.status_code == 200, _problems(unchanged)
    assert _problems(unchanged) == [] and _changed_codes(unchanged) == []


def test_a_rekap_that_fetches_data_from_elsewhere_is_refused_with_its_reason(client, world, auth, db, seeded):
    """Item 11 reaches the import too: a link to a workbook on a server is not "not an Excel file"."""
    token = auth.login(client, "dp3a_a")
    exported = io.BytesIO(_export(client, world))
    rels = samples.relationships(("externalLinkPath", "https://evil.example/data.xlsx", "External"))
    linked = io.BytesIO()
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(linked, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/externalLinks/_rels/externalLink1.xml.rels", rels)
    before = _snapshot(db, seeded["assessment"].id)
    refused = _upload(client, world, token, linked.getvalue())
    assert refused.status_code == 422
    text = html.text_of(html.page(refused))
    assert "mengambil data dari luar berkas" in text and "bukan buku kerja Excel" not in text
    assert _snapshot(db, seeded["assessment"].id) == before


def test_a_rekap_carrying_an_embedded_program_object_is_refused_with_its_reason(client, world, auth, db, seeded):
    """An OLE package (any file, a program too) inside the workbook: refused as unsafe, not as "not an
    Excel file"."""
    token = auth.login(client, "dp3a_a")
    exported = io.BytesIO(_export(client, world))
    carried = io.BytesIO()
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(carried, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/embeddings/oleObject1.bin", samples.ole("\x01Ole10Native"))
    before = _snapshot(db, seeded["assessment"].id)
    refused = _upload(client, world, token, carried.getvalue())
    assert refused.status_code == 422
    text = html.text_of(html.page(refused))
    assert "objek program yang tertanam" in text and "bukan buku kerja Excel" not in text
    assert _snapshot(db, seeded["assessment"].id) == before


def test_reimporting_an_applied_workbook_warns_of_nothing(client, world, auth, db, catalogue, scorer, seeded):
    """Issue 20, item 9: the same workbook uploaded again after it was applied matches the app:
    "no change", and no "changed in the app since the download" for the rows it changed itself."""
    token = auth.login(client, "dp3a_a")
    options = seeded["options"]
    exported = _export(client, world)

    def edits(workbook):
        sheet, row = _locate(workbook, catalogue, options[0])
        sheet.cell(row=row, column=NOTE).value = "dari Excel"
        sheet, row = _locate(workbook, catalogue, options[5])
        sheet.cell(row=row, column=EM).value = 0

    edited = _edit(exported, edits)
    preview = _upload(client, world, token, edited)
    assert _confirm(client, world, token, _sha(preview.text)).status_code == 200

    again = html.page(_upload(client, world, token, edited))
    section = again.xpath('//section[@aria-labelledby="preview-title"]')[0]
    assert section.xpath('.//li[contains(@class, "warning")]') == []
    assert section.xpath('.//h3') == []
    status = section.xpath('.//p[@role="status"]')
    assert [p.get("class") for p in status] == ["ok"]
    assert "Tidak ada perubahan" in status[0].text_content()
    assert section.xpath('.//input[@name="sha256"]') == []
