"""Excel exports: the kab/kota rekap layout, the province comparison, the national table, and
LibreOffice recomputing the workbooks' formulas to the app's own totals and categories."""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import event
from sqlmodel import select

from app.cli import main as cli
from app.exports.common import (
    REKAP_COLUMNS,
    SUMMARY_SHEET,
    category_formula,
    part_sheet_titles,
    workbook_bytes,
)
from app.exports.national import COLUMNS as NATIONAL_COLUMNS
from app.exports.national import write_national_workbook
from app.exports.stages import STILL_VERIFYING
from app.models import Answer, AnswerStatus, Regency, ReviewEvent, User
from app.services import review as review_service
from app.services.demo import sample_pdf
from app.services.evidence import attach
from app.services.overview import clear_cache
from app.services.stage_scores import season_of
from scoring import category_for, to_cents
from scoring.categories import band_for, cent_bands
from scoring.samples import random_answers
from tests import html

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _fill(db, assessment, scorer, seed: int, user, *, stages=("dp3a", "province"), share=1.0):
    """Answer (almost) everything at random; decide most answers at `stages`, a few returned or lowered."""
    rng = random.Random(seed)
    rows = []
    for code, given in random_answers(scorer, rng, answered_share=share).items():
        not_applicable = rng.random() < 0.03
        rows.append(Answer(assessment_id=assessment.id, question_code=code, option=given.option,
                           value=given.value, not_applicable=not_applicable, note="N/A: tidak ada" if not_applicable
                           else ("=catatan yang diawali tanda sama dengan" if rng.random() < 0.05 else ""),
                           status=AnswerStatus.APPROVED, updated_by=user.id))
    db.add_all(rows)
    db.flush()
    for row in rows:
        for stage in stages:
            roll = rng.random()
            if roll < 0.75:
                db.add(ReviewEvent(answer_id=row.id, stage=stage, action="approved", user_id=user.id))
            elif roll < 0.85:
                db.add(ReviewEvent(answer_id=row.id, stage=stage, action="approved", score=Decimal("0.5"),
                                   user_id=user.id))
            elif roll < 0.93:
                db.add(ReviewEvent(answer_id=row.id, stage=stage, action="returned", reasons=["tidak_lengkap"],
                                   note="lengkapi", user_id=user.id))
    db.commit()
    return {row.question_code: row for row in rows}


def _scores(db, scorer, assessment):
    """The self-assessed sheet and each review stage's (the season rules of issue 22, as the pages show them)."""
    db.expire_all()
    season = season_of(scorer, review_service.load_state(db, assessment))
    return SimpleNamespace(self_assessed=season.self_assessed, by_stage=season.sheets, totals=season.totals)


def _category(scorer, scores, stage: str) -> str:
    """What a workbook says of `stage`'s category: none while it has undecided answers (the pages' rule)."""
    if scores.totals[stage].undecided:
        return STILL_VERIFYING
    return category_for(scorer, scores.by_stage[stage]).name


# -- the kab/kota rekap ------------------------------------------------------------------------


def test_regency_rekap_layout(client, world, auth, db, catalogue, scorer, app):
    user = _user(db, "dp3a_a")
    assessment = world.assessments["a"]
    answers = _fill(db, assessment, scorer, 1, user, stages=("dp3a",), share=0.8)
    with_files = sorted(answers)[:2]
    stored = [app.state.evidence.save_file(io.BytesIO(sample_pdf(name, "bukti"))) for name in ("sk", "foto")]
    files = [attach(db, assessment, answers[with_files[0]], stored[0], "sk-gugus-tugas.pdf", user),
             attach(db, assessment, answers[with_files[0]], stored[1], "foto kegiatan.pdf", user),
             attach(db, assessment, answers[with_files[1]], stored[0], "=sk.pdf", user)]
    db.commit()
    auth.login(client, "dp3a_a")
    response = client.get(f"{world.base()}/ekspor.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == f'attachment; filename="rekap-62.71-{world.year}.xlsx"'

    workbook = load_workbook(io.BytesIO(response.content))
    titles = part_sheet_titles(catalogue)
    assert workbook.sheetnames == [SUMMARY_SHEET, *titles.values(), "_data", "Tahapan", "Data dua tahun"]
    assert all(len(t) <= 31 and "/" not in t for t in workbook.sheetnames)
    assert workbook["_data"].sheet_state == "veryHidden"
    scores = _scores(db, scorer, assessment)
    question_rows = 0
    for part in catalogue.data.parts:
        sheet = workbook[titles[part.code]]
        assert [c.value for c in sheet[1]] == list(REKAP_COLUMNS)
        assert sheet.max_column == len(REKAP_COLUMNS)
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:K")
        assert sheet.page_setup.orientation == "landscape" and str(sheet.page_setup.paperSize) == "9"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1)
        assert sheet.page_setup.fitToHeight == 0  # one page wide, as many down as it takes
        assert sheet.print_title_rows == "$1:$1"
        assert not sheet.protection.sheet
        codes = [q.code for i in part.indicators for q in i.questions]
        for offset, code in enumerate(codes, start=2):
            row = {name: sheet.cell(row=offset, column=i + 1) for i, name in enumerate(REKAP_COLUMNS)}
            assert row["Kode Pertanyaan"].value == code
            assert row["Pertanyaan"].alignment.wrap_text
            assert row["Nilai EM"].number_format == "0.00"
            em = scores.self_assessed.questions.get(code)
            assert row["Nilai EM"].value == (None if em is None else em / 100), code
            verified = scores.by_stage["dp3a"].questions.get(code)
            if verified is not None:
                assert row["Nilai Verifikasi"].value == verified / 100
            answer = answers.get(code)
            assert (row["Catatan"].value or "") == (answer.note if answer else "")
            assert row["Sumber Data"].value
        question_rows += len(codes)
        subtotal = sheet.cell(row=len(codes) + 2, column=1)
        assert subtotal.value == f"Jumlah {part.short_name}"
        for column in (6, 7, 8):
            assert str(sheet.cell(row=len(codes) + 2, column=column).value).startswith("=ROUND(SUM(")
    assert question_rows == 274
    # A note starting with "=" stays text, not a formula.
    noted = next(code for code, a in answers.items() if a.note.startswith("="))
    sheet = workbook[titles[catalogue.questions[noted].part.code]]
    cell = next(sheet.cell(row=r, column=10) for r in range(2, sheet.max_row) if sheet.cell(row=r, column=4).value == noted)
    assert cell.data_type == "s" and cell.value == answers[noted].note

    # Evidence: the first file linked, every name listed; the link is the authorised download.
    sheet = workbook[titles[catalogue.questions[with_files[0]].part.code]]
    row = next(r for r in range(2, sheet.max_row) if sheet.cell(row=r, column=4).value == with_files[0])
    cell = sheet.cell(row=row, column=11)
    url = f"http://testserver/r/62.71/{world.year}/verifikasi-bukti/{files[0].id}?unduh=1"
    # A HYPERLINK formula, one name a line (LibreOffice prints a cell hyperlink's lines run together).
    assert cell.value == f'=HYPERLINK("{url}","sk-gugus-tugas.pdf"&CHAR(10)&"foto kegiatan.pdf")'
    assert cell.alignment.wrap_text
    cached = load_workbook(io.BytesIO(response.content), data_only=True)[sheet.title].cell(row=row, column=11)
    assert cached.value == "sk-gugus-tugas.pdf\nfoto kegiatan.pdf"
    download = client.get(url)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert "attachment" in download.headers["content-disposition"]

    summary = workbook[SUMMARY_SHEET]
    formulas = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert any(f.startswith("='Klaster I'!G") for f in formulas)
    assert sum(f.startswith("=IF(ROUND(") for f in formulas) == 1  # EM's category
    # The verified category: "masih diverifikasi" while the DP3A has undecided answers, then the band.
    assert sum(f.startswith('=IF(N(E') and STILL_VERIFYING in f and "IF(ROUND(" in f for f in formulas) == 1


def test_who_may_export(make_client, world, auth, db):
    expectations = {
        (f"{world.base()}/ekspor.xlsx", "self"): {"dp3a_a": 200, "opd_a": 403, "province": 403, "admin": 403,
                                                   "dp3a_b": 403},
        (f"{world.base()}/ekspor.xlsx", "province"): {"province": 200, "admin": 200, "province_other": 403},
        (f"/provinsi/62/{world.year}/ekspor.xlsx", "self"): {"province": 200, "admin": 200, "province_other": 403,
                                                              "dp3a_a": 403},
    }
    clients = {}
    for (url, stage), allowed in expectations.items():
        assessment = world.assessments["a"]
        assessment.stage = stage
        db.add(assessment)
        db.commit()
        for username, status in allowed.items():
            if username not in clients:
                clients[username] = make_client()
                auth.login(clients[username], username)
            response = clients[username].get(url)
            assert response.status_code == status, (url, stage, username)
            if status == 200:
                assert response.headers["content-type"] == XLSX
    assert make_client().get(f"/provinsi/62/{world.year}/ekspor.xlsx", follow_redirects=False).status_code == 303


# -- the province workbook ---------------------------------------------------------------------


def test_province_workbook_hides_unsubmitted_scores(client, world, auth, db, catalogue, scorer):
    user = _user(db, "dp3a_a")
    _fill(db, world.assessments["a"], scorer, 2, user)
    _fill(db, world.assessments["b"], scorer, 3, _user(db, "dp3a_b"))
    assessment = world.assessments["a"]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()
    clear_cache()
    auth.login(client, "province")
    response = client.get(f"/provinsi/62/{world.year}/ekspor.xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="rekap-62-{world.year}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {sheet.cell(row=r, column=1).value: r for r in range(9, sheet.max_row + 1)}
    a, b = rows["62.71"], rows["62.01"]
    assert str(sheet.cell(row=a, column=4).value).startswith("=ROUND(SUM(")
    assert sheet.cell(row=a, column=8).value.startswith("=IF(ROUND(")
    assert sheet.cell(row=b, column=3).value.startswith("Evaluasi mandiri")
    assert all(sheet.cell(row=b, column=c).value is None for c in range(4, 10))  # not submitted: no scores
    assert sheet.cell(row=b, column=10).value > 0  # its progress shows
    assert sheet["C3"].value == "Belum memenuhi"  # 62.01 has not been verified


# -- the national workbook ---------------------------------------------------------------------


def test_national_workbook_streams_one_row_per_region_and_question(world, db, catalogue, scorer, tmp_path, engine,
                                                                    migrated, monkeypatch):
    _fill(db, world.assessments["a"], scorer, 4, _user(db, "dp3a_a"), share=0.9)
    db.add(Regency(code="63.01", province_code="63", name="Kabupaten Tanah Laut"))  # no assessment
    db.commit()
    queries = {"n": 0}

    def count(*_args, **_kwargs):
        queries["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    progressed = []
    target = tmp_path / "nasional.xlsx"
    try:
        report = write_national_workbook(db, catalogue, scorer, world.year, target, progress=progressed.append)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (report.regions, report.rows, report.skipped) == (3, 3 * 274, 1)
    assert len(progressed) == 3
    assert queries["n"] <= 2 + 2 * 3 + 4, queries

    workbook = load_workbook(target, read_only=True)
    width = len(NATIONAL_COLUMNS)  # read-only rows stop at their last value: pad them
    rows = [tuple(r) + (None,) * (width - len(r)) for r in workbook["Nasional"].iter_rows(values_only=True)]
    assert rows[0] == NATIONAL_COLUMNS
    assert len(rows) == 1 + 3 * 274
    assert {r[1] for r in rows[1:]} == {"62.01", "62.71", "63.71"}
    scores = _scores(db, scorer, world.assessments["a"])
    for row in rows[1:]:
        if row[1] == "62.71":
            em = scores.self_assessed.questions.get(row[5])
            assert row[8] == (None if em is None else em / 100)
    workbook.close()

    monkeypatch.setenv("KLA_DATABASE_URL", migrated)
    monkeypatch.setenv("KLA_DATA_DIR", str(tmp_path))
    out = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(cli, ["export", "national", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 kab/kota, 822 baris; 1 kab/kota tanpa penilaian" in result.output
    assert load_workbook(out, read_only=True).sheetnames == ["Ringkasan", "Nasional", "Tahapan", "Keterangan"]
    regency = CliRunner().invoke(cli, ["export", "regency", "62.71", "--out", str(tmp_path / "r.xlsx"),
                                       "--base-url", "https://kla.example.go.id"])
    assert regency.exit_code == 0, regency.output
    assert (tmp_path / "r.xlsx").read_bytes().startswith(b"PK")
    province = CliRunner().invoke(cli, ["export", "province", "62", "--out", str(tmp_path / "p.xlsx")])
    assert province.exit_code == 0, province.output
    missing = CliRunner().invoke(cli, ["export", "regency", "99.99"])
    assert missing.exit_code == 2 and "tidak ditemukan" in missing.output


# -- LibreOffice -------------------------------------------------------------------------------


# LibreOffice keeps the values cached in an .xlsx by default ("never recalculate"): this profile
# setting makes it recompute every formula on loading, so that its values are its own.
RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def recalculating_profile(path: Path) -> Path:
    (path / "user").mkdir(parents=True, exist_ok=True)
    (path / "user" / "registrymodifications.xcu").write_text(RECALCULATE, encoding="utf-8")
    return path


def _soffice(args: list[str], profile: Path, timeout: int = 120) -> None:
    command = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _cents(text: str) -> int:
    return to_cents(Decimal(text))


def national_workbook(client, token, year, app, catalogue):
    """The ministry's way to the national workbook (issue 24): ask for it (POST from the national view),
    let a runner build it, follow the status page to the download. Returns the download response."""
    from app.jobs.registry import JobContext
    from app.jobs.runner import TickReport, run_due_jobs

    asked = client.post(f"/nasional/{year}/ekspor", data={"csrf_token": token}, follow_redirects=False)
    assert asked.status_code == 303, asked.text
    status_url = asked.headers["location"]
    run_due_jobs(JobContext(app.state.settings, app.state.engine, catalogue, "test:1"), None, TickReport(),
                 kinds=("export.national",))
    page = html.page(client.get(status_url))
    [link] = page.xpath("//section[@id='national-export-status']//a[@download]/@href")
    return client.get(link)


def test_the_ministry_downloads_the_national_workbook_of_submitted_kab_kota(client, world, auth, db, scorer, app,
                                                                           catalogue):
    _fill(db, world.assessments["a"], scorer, 5, _user(db, "dp3a_a"), share=0.9)
    _fill(db, world.assessments["b"], scorer, 6, _user(db, "dp3a_b"), share=0.5)
    assessment = world.assessments["a"]
    assessment.stage = "province"  # A has submitted; B is still answering
    db.add(assessment)
    db.commit()
    token = auth.login(client, "admin")
    page = html.page(client.get(f"/nasional/{world.year}"))
    [form] = page.xpath("//form[@id='national-export']")
    assert form.get("method") == "post" and form.get("action") == f"/nasional/{world.year}/ekspor"
    assert page.xpath("//button[@form='national-export']")
    response = national_workbook(client, token, world.year, app, catalogue)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment")
    assert f'filename="rekap-nasional-{world.year}.xlsx"' in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff" and "no-store" in response.headers["cache-control"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    regions = {row[1] for row in workbook["Nasional"].iter_rows(min_row=2, values_only=True)}
    notes = {row[0]: row[1] for row in workbook["Keterangan"].iter_rows(values_only=True)}
    workbook.close()
    assert regions == {"62.71"}  # B's work in progress stays B's own
    assert notes["Kab/kota belum mengirim (tidak ditulis)"] == 2
    token = auth.login(client, "province")
    assert client.post(f"/nasional/{world.year}/ekspor", data={"csrf_token": token},
                       follow_redirects=False).status_code == 403


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: "
                                            "apt-get install -y libreoffice-calc-nogui")
def test_libreoffice_converts_and_recomputes_the_app_totals(world, db, catalogue, scorer, tmp_path):
    for key, seed, who in (("a", 5, "dp3a_a"), ("b", 6, "dp3a_b")):
        _fill(db, world.assessments[key], scorer, seed, _user(db, who))
        world.assessments[key].stage = "province"
        db.add(world.assessments[key])
    db.commit()
    clear_cache()
    from app.exports.province import build_province_workbook
    from app.exports.rekap import build_regency_workbook

    regency = tmp_path / "rekap.xlsx"
    regency.write_bytes(workbook_bytes(build_regency_workbook(db, catalogue, scorer, world.assessments["a"],
                                                              "http://127.0.0.1:8000")))
    province = tmp_path / "provinsi.xlsx"
    province.write_bytes(workbook_bytes(build_province_workbook(db, catalogue, scorer, "62", world.year)))
    # The category formula at every boundary, and on float sums that only round onto one.
    totals = ["0", "499.99", "500", "600", "600.01", "700", "700.01", "800", "800.01", "900", "900.01", "1000"]
    bounds = Workbook()
    for row, total in enumerate(totals, start=1):
        bounds.active.cell(row=row, column=1, value=float(total))
        bounds.active.cell(row=row, column=2, value=category_formula(catalogue, f"A{row}"))
    bounds.active.cell(row=len(totals) + 1, column=1, value="=0.1+0.2+599.7")
    bounds.active.cell(row=len(totals) + 1, column=2, value=category_formula(catalogue, f"A{len(totals) + 1}"))
    boundaries = tmp_path / "batas.xlsx"
    boundaries.write_bytes(workbook_bytes(bounds))

    profile, out = recalculating_profile(tmp_path / "lo-profile"), tmp_path / "out"
    _soffice(["--convert-to", "pdf", "--outdir", str(out), str(regency), str(province)], profile)
    for name in ("rekap.pdf", "provinsi.pdf"):
        pdf = (out / name).read_bytes()
        assert pdf.startswith(b"%PDF"), name
        width, height = (float(v) for v in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
        assert width > height and round(width) == 842, (name, width, height)  # A4 landscape
    _soffice(["--convert-to", ALL_SHEETS_CSV, "--outdir", str(out), str(regency), str(province), str(boundaries)],
             profile)

    # The kab/kota summary: LibreOffice's sums of the part sheets equal the app's scores to the cent.
    scores = _scores(db, scorer, world.assessments["a"])
    verified = scores.by_stage["province"]
    summary = {row[0] or row[1]: row for row in _csv(out / "rekap-Ringkasan.csv") if row}
    for part in catalogue.data.parts:
        row = summary[part.code]
        assert _cents(row[2]) == to_cents(part.max)
        assert _cents(row[3]) == scores.self_assessed.parts[part.code], part.code
        assert _cents(row[4]) == verified.parts[part.code], part.code
    assert _cents(summary["Total"][2]) == to_cents(catalogue.max_total)
    assert _cents(summary["Total"][3]) == scores.self_assessed.total
    assert _cents(summary["Total"][4]) == verified.total
    assert summary["Kategori"][3] == category_for(scorer, scores.self_assessed).name
    assert summary["Kategori"][4] == _category(scorer, scores, "province")
    assert int(summary["Belum diputuskan (soal)"][4]) == scores.totals["province"].undecided

    # The province sheet: per kab/kota totals, drop and categories, and the Provila status by formula.
    lines = _csv(out / "provinsi-Rekap Provinsi.csv")
    by_code = {row[0]: row for row in lines if row and row[0] in ("62.71", "62.01")}
    for key, code in (("a", "62.71"), ("b", "62.01")):
        stage_scores = _scores(db, scorer, world.assessments[key])
        row = by_code[code]
        em, checked = stage_scores.self_assessed, stage_scores.by_stage["province"]
        assert _cents(row[3]) == em.total
        assert _cents(row[4]) == stage_scores.by_stage["dp3a"].total
        assert _cents(row[5]) == checked.total
        assert _cents(row[6]) == checked.total - em.total  # negative on a drop, as the app shows it
        assert row[7] == category_for(scorer, em).name
        assert row[8] == _category(scorer, stage_scores, "province")
        assert int(row[10]) == stage_scores.totals["province"].undecided
    provila = {row[0]: row[2] for row in lines if row and row[0].startswith("Provila")}
    assert provila["Provila (rumus)"] == provila["Provila (aplikasi)"]

    bands = cent_bands(catalogue)
    computed = [row[1] for row in _csv(out / "batas-Sheet.csv")]
    expected = [band_for(bands, to_cents(t)).band.name for t in totals] + [band_for(bands, 60000).band.name]
    assert computed == expected
    assert computed[3] == "Pratama" and computed[4] == "Madya" and computed[1] == catalogue.bands[0].name
