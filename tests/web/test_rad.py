"""The action plan (RAD KLA): the DP3A plans activities, the OPDs report progress on their own with
evidence, everyone of the kab/kota reads the progress per cluster, and the monitoring report as a
page and as a workbook (read back with openpyxl and recomputed by LibreOffice)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from app.exports.rad import PLAN_SHEET, SUMMARY_SHEET
from app.models import Agency, AuditEntry, Document, RadActivity, RadReport, RadStatus
from app.services.demo import sample_pdf
from tests.html import attrs, one, page, text_of, texts
from tests.web.test_exports import recalculating_profile

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _client(make_client, auth, username, language="en"):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", language)
    return client, token


def _rad(world, which="a") -> str:
    return f"{world.base(which)}/gugus-tugas/rad"


def _activity(world, **fields) -> dict[str, str]:
    data = {"indicator": "13", "title": "Kelas ibu balita di 30 posyandu", "target": "30 posyandu",
            "agency": str(world.agencies["dinkes_a"].id), "year": str(world.year), "budget": "1.250.000"}
    data.update(fields)
    return data


def _add(client, token, world, **fields):
    return client.post(f"{_rad(world)}/tambah", data={"csrf_token": token, **_activity(world, **fields)},
                       follow_redirects=False)


def _report(client, token, world, activity_id, files=None, **fields):
    data = {"csrf_token": token, "status": "ongoing", "progress": "40", "realised": "500.000", "note": "Tahap 1"}
    data.update(fields)
    return client.post(f"{_rad(world)}/{activity_id}/laporan", data=data, files=files, follow_redirects=False)


def _activities(db) -> list[RadActivity]:
    db.expire_all()
    return list(db.exec(select(RadActivity).order_by(col(RadActivity.id))))


@pytest.fixture
def dp3a(make_client, auth, world):
    return _client(make_client, auth, "dp3a_a")


@pytest.fixture
def opd(make_client, auth, world):
    return _client(make_client, auth, "opd_a")


@pytest.fixture
def planned(dp3a, world, db):
    client, token = dp3a
    assert _add(client, token, world).status_code == 303
    return _activities(db)[0]


def test_the_dp3a_adds_an_activity_once_and_it_is_audited(dp3a, world, db):
    client, token = dp3a
    first = _add(client, token, world)
    assert first.status_code == 303 and first.headers["location"].startswith(_rad(world))
    assert _add(client, token, world).status_code == 303  # a double click
    [activity] = _activities(db)
    assert (activity.indicator_code, activity.budget, activity.status, activity.progress) == (
        "13", Decimal("1250000.00"), RadStatus.PLANNED, 0)
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "rad.add")).all()) == 1
    tree = page(client.get(_rad(world)))
    row = one(tree, f"//tr[@id='kegiatan-{activity.id}']")
    assert text_of(row, ".//td[contains(@class,'title')]/a") == "Kelas ibu balita di 30 posyandu"
    assert text_of(row, ".//td[contains(@class,'budget')]") == "Rp 1,250,000"
    assert text_of(tree, "//tr[@id='kemajuan-K3']/td[contains(@class,'count')]") == "1"
    # Plain digits are the same amount, and the Indonesian page groups it with dots.
    client.cookies.set("kla_lang", "id")
    assert _add(client, token, world, title="Kelas ibu hamil", budget="1250000").status_code == 303
    assert _activities(db)[1].budget == Decimal("1250000.00")
    tree = page(client.get(_rad(world)))
    assert text_of(tree, f"//tr[@id='kegiatan-{_activities(db)[1].id}']/td[contains(@class,'budget')]") == "Rp 1.250.000"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("budget", "12,5 juta", "not an amount of rupiah"),
    ("budget", "-5000", "not an amount of rupiah"),
    ("budget", "12.5", "not an amount of rupiah"),
    ("indicator", "99", "Choose an indicator"),
    ("agency", "999999", "Choose the OPD responsible"),
    ("title", "   ", "Write the activity's name"),
    ("year", "20x5", "Write the activity's year"),
])
def test_bad_activity_input_comes_back_with_a_message_and_what_was_typed(dp3a, world, db, field, value, words):
    client, token = dp3a
    response = _add(client, token, world, **{field: value})
    assert response.status_code == 422
    tree = page(response)
    assert words in text_of(tree, "//p[@role='alert']")
    assert attrs(tree, "//form[@id='rad-add']//input[@name='target']/@value") == ["30 posyandu"]
    assert not _activities(db)


def test_an_agency_of_another_kab_kota_is_refused(dp3a, world, db):
    client, token = dp3a
    response = _add(client, token, world, agency=str(world.agencies["dinkes_b"].id))
    assert response.status_code == 422 and not _activities(db)


def test_the_forms_hold_amounts_as_they_are_read_back_whatever_the_language(dp3a, planned, world, db):
    client, token = dp3a  # an English page
    url = f"{_rad(world)}/{planned.id}"
    tree = page(client.get(url))
    assert text_of(tree, "//dd[@id='rad-budget']") == "Rp 1,250,000"
    assert attrs(tree, "//input[@id='edit-budget']/@value") == ["1.250.000"]
    fields = {name: attrs(tree, f"//form[@id='rad-edit']//*[@name='{name}']/@value")
              for name in ("title", "target", "year", "budget")}
    fields = {name: values[0] for name, values in fields.items()}
    fields["indicator"] = attrs(tree, "//select[@id='edit-indicator']//option[@selected]/@value")[0]
    fields["agency"] = attrs(tree, "//select[@id='edit-agency']/option[@selected]/@value")[0]
    again = client.post(f"{url}/ubah", data={"csrf_token": token, **fields})
    assert "Nothing changed." in text_of(page(again), "//p[@role='status']")
    assert _report(client, token, world, planned.id, realised="1.000.000,50").status_code == 303
    tree = page(client.get(url))
    assert attrs(tree, "//input[@id='report-realised']/@value") == ["1.000.000,5"]
    assert text_of(tree, "//tr[contains(@class,'report')]/td[contains(@class,'realised')]") == "Rp 1,000,000.5"


def test_the_dp3a_edits_and_removes_an_activity_keeping_the_row(dp3a, planned, world, db):
    client, token = dp3a
    url = f"{_rad(world)}/{planned.id}"
    changed = client.post(f"{url}/ubah", data={"csrf_token": token, **_activity(world, budget="Rp 2.000.000",
                                                                               title="Kelas ibu balita")},
                          follow_redirects=False)
    assert changed.status_code == 303
    again = client.post(f"{url}/ubah", data={"csrf_token": token, **_activity(world, budget="2000000",
                                                                             title="Kelas ibu balita")})
    assert "Nothing changed." in text_of(page(again), "//p[@role='status']")
    bad = client.post(f"{url}/ubah", data={"csrf_token": token, **_activity(world, budget="dua juta")})
    assert bad.status_code == 422 and attrs(page(bad), "//input[@id='edit-budget']/@value") == ["dua juta"]
    [activity] = _activities(db)
    assert (activity.title, activity.budget) == ("Kelas ibu balita", Decimal("2000000.00"))
    edits = db.exec(select(AuditEntry).where(AuditEntry.action == "rad.edit")).all()
    assert len(edits) == 1 and edits[0].after == {"title": "Kelas ibu balita", "budget": "2000000.00"}
    for _ in range(2):
        assert client.post(f"{url}/hapus", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    [activity] = _activities(db)
    assert activity.removed_at is not None
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "rad.remove")).all()) == 1
    assert client.get(url).status_code == 404
    assert not page(client.get(_rad(world))).xpath("//tr[contains(@class,'activity')]")


def test_an_opd_reports_on_its_own_activity_once_with_an_uploaded_file(opd, planned, world, db):
    client, token = opd
    files = {"file": ("laporan-tahap-1.pdf", sample_pdf("Laporan kegiatan", "Tahap 1"), "application/pdf")}
    assert _report(client, token, world, planned.id, files=files).status_code == 303
    files = {"file": ("laporan-tahap-1.pdf", sample_pdf("Laporan kegiatan", "Tahap 1"), "application/pdf")}
    assert _report(client, token, world, planned.id, files=files).status_code == 303  # the same, resent
    [report] = db.exec(select(RadReport)).all()
    document = db.get(Document, report.document_id)
    assert document.assessment_id == world.assessments["a"].id and document.agency_id == world.agencies["dinkes_a"].id
    assert (report.status, report.progress, report.realised) == (RadStatus.ONGOING, 40, Decimal("500000.00"))
    [activity] = _activities(db)
    assert (activity.status, activity.progress) == (RadStatus.ONGOING, 40)
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "rad.report")).all()) == 1
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "document.upload")).all()) == 1
    # A later report sets the status; the history keeps both, newest first.
    assert _report(client, token, world, planned.id, status="done", progress="100", realised="1.200.000",
                   note="Selesai", document=str(document.id)).status_code == 303
    tree = page(client.get(f"{_rad(world)}/{planned.id}"))
    assert texts(tree, "//tr[contains(@class,'report')]/td[contains(@class,'status')]") == ["Done", "Ongoing"]
    assert texts(tree, "//tr[contains(@class,'report')]/td[contains(@class,'evidence')]/a") == [
        "Laporan kegiatan", "Laporan kegiatan"]  # the document's title, read from the file
    assert text_of(tree, "//dd[@id='rad-status']") == "Done"
    assert _activities(db)[0].progress == 100


@pytest.mark.parametrize(("fields", "words"), [
    ({"progress": "101"}, "between 0 and 100"),
    ({"progress": "-1"}, "between 0 and 100"),
    ({"progress": "50,5"}, "between 0 and 100"),
    ({"realised": "lima ratus"}, "not an amount of rupiah"),
    ({"status": "finished"}, "Choose where the activity stands"),
    ({"status": "done", "progress": "80"}, "A finished activity is at 100%"),
    ({"document": "999999"}, "Choose a document of the library"),
])
def test_bad_reports_come_back_with_a_message(opd, planned, world, db, fields, words):
    client, token = opd
    response = _report(client, token, world, planned.id, **fields)
    assert response.status_code == 422
    tree = page(response)
    assert words in text_of(tree, "//p[@role='alert']")
    assert text_of(tree, "//textarea[@id='report-note']") == "Tahap 1"
    assert not db.exec(select(RadReport)).all()


def test_an_opd_reports_only_on_its_own_agencys_activities(make_client, auth, dp3a, world, db):
    client, token = dp3a
    disdik = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                          Agency.role_code == "DISDIK")).one()
    assert _add(client, token, world, indicator="19", title="Sekolah ramah anak", agency=str(disdik.id)).status_code == 303
    [activity] = _activities(db)
    opd_client, opd_token = _client(make_client, auth, "opd_a")
    tree = page(opd_client.get(f"{_rad(world)}/{activity.id}"))
    assert not tree.xpath("//form[@id='rad-report']") and not tree.xpath("//form[@id='rad-edit']")
    assert _report(opd_client, opd_token, world, activity.id).status_code == 403
    assert opd_client.post(f"{_rad(world)}/tambah", data={"csrf_token": opd_token, **_activity(world)},
                           follow_redirects=False).status_code == 403
    # The DP3A may report on any activity of its plan.
    assert _report(client, token, world, activity.id).status_code == 303
    assert len(db.exec(select(RadReport)).all()) == 1


def test_another_kab_kota_neither_sees_nor_touches_the_plan(make_client, auth, planned, world, db):
    for username in ("dp3a_b", "opd_b", "province", "admin", "reviewer"):
        client, token = _client(make_client, auth, username)
        assert client.get(_rad(world)).status_code == 403, username
        assert client.get(f"{_rad(world)}/{planned.id}").status_code == 403, username
        assert _report(client, token, world, planned.id).status_code == 403, username
    # B's DP3A in its own plan does not reach A's activity.
    client, token = _client(make_client, auth, "dp3a_b")
    assert client.get(f"{_rad(world, 'b')}/{planned.id}").status_code == 404
    assert client.post(f"{_rad(world, 'b')}/{planned.id}/hapus", data={"csrf_token": token}).status_code == 404
    assert _activities(db)[0].removed_at is None


def test_the_province_reads_the_plan_once_submitted_and_changes_nothing(make_client, auth, planned, world, db):
    assessment = world.assessments["a"]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()
    for username in ("province", "admin", "reviewer"):
        client, token = _client(make_client, auth, username)
        tree = page(client.get(_rad(world)))
        assert tree.xpath("//p[@id='rad-read-only']") and not tree.xpath("//form[@id='rad-add']"), username
        assert client.get(f"{_rad(world)}/laporan/rad-kla.xlsx").status_code == 200
        assert _report(client, token, world, planned.id).status_code == 403
    client, _token = _client(make_client, auth, "province_other")
    assert client.get(_rad(world)).status_code == 403


def test_progress_per_cluster_and_the_printable_report(dp3a, make_client, auth, world, db):
    client, token = dp3a
    disdik = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                          Agency.role_code == "DISDIK")).one()
    plans = [("13", "A", "dinkes_a", "1.000.000", "done", "100", "900.000"),
             ("14", "B", "dinkes_a", "3.000.000", "ongoing", "45", "1.000.000"),
             ("12", "C", "dinkes_a", "2.000.000", "cancelled", "10", "100.000"),
             ("19", "D", disdik, "500.000", "delayed", "20", "")]
    for code, title, agency, budget, status, progress, realised in plans:
        agency_id = agency.id if isinstance(agency, Agency) else world.agencies[agency].id
        assert _add(client, token, world, indicator=code, title=title, agency=str(agency_id), budget=budget).status_code == 303
        activity = _activities(db)[-1]
        assert _report(client, token, world, activity.id, status=status, progress=progress,
                       realised=realised).status_code == 303
    tree = page(client.get(_rad(world)))
    row = one(tree, "//tr[@id='kemajuan-K3']")
    assert [text_of(row, f".//td[contains(@class,'{c}')]") for c in ("count", "done", "ongoing", "delayed")] == [
        "3", "1", "1", "0"]
    assert text_of(row, ".//td[contains(@class,'average')]/span[@class='value']") == "72.5%"  # (100 + 45) / 2
    assert text_of(row, ".//td[contains(@class,'budget')]") == "Rp 4,000,000"  # without the cancelled one
    assert text_of(row, ".//td[contains(@class,'realised')]").startswith("Rp 2,000,000")
    assert one(row, ".//svg[@role='img']").get("aria-label") == "Average progress 72.5%"
    total = one(tree, "//tr[@id='kemajuan-total']")
    assert text_of(total, ".//td[contains(@class,'average')]/span[@class='value']") == "55%"  # (100 + 45 + 20) / 3
    report = page(client.get(f"{_rad(world)}/laporan/cetak"))
    assert text_of(report, "//h1") == "Monitoring report of the RAD KLA"
    assert len(report.xpath("//tr[contains(@class,'activity')]")) == 4
    assert text_of(report, "//tr[@id='kemajuan-K4']/td[contains(@class,'delayed')]") == "1"


def _workbook_plan(client, token, world, db):
    for code, title, budget, status, progress, realised in (
            ("13", "Kelas ibu balita", "1.250.000", "done", "100", "1.200.000"),
            ("14", "Konseling PMBA", "2.000.000", "ongoing", "45", "500.000"),
            ("12", "Dibatalkan", "700.000", "cancelled", "0", "")):
        assert _add(client, token, world, indicator=code, title=title, budget=budget).status_code == 303
        activity = _activities(db)[-1]
        assert _report(client, token, world, activity.id, status=status, progress=progress, realised=realised,
                       note="=SUM(A1)" if code == "14" else "").status_code == 303


def test_the_workbook_holds_every_activity_and_the_summary_with_its_values(dp3a, world, db):
    client, token = dp3a
    _workbook_plan(client, token, world, db)
    response = client.get(f"{_rad(world)}/laporan/rad-kla.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    values = load_workbook(io.BytesIO(response.content), data_only=True)
    plan = values[PLAN_SHEET]
    rows = [[c.value for c in row] for row in plan.iter_rows(min_row=5) if row[0].value is not None]
    assert [r[5] for r in rows] == ["Dibatalkan", "Kelas ibu balita", "Konseling PMBA"]  # in indicator order
    assert rows[1][9:13] == [1250000, "Selesai", 100, 1200000]
    assert rows[2][13] == "=SUM(A1)"  # a note stays text
    reported = plan.cell(row=6, column=15)  # the report's date: a date cell, not text
    assert isinstance(reported.value, datetime) and reported.number_format == "dd-mm-yyyy"
    summary = values[SUMMARY_SHEET]
    k3 = next(r for r in summary.iter_rows(values_only=True) if r[0] == "K3")
    assert k3[2:11] == (3, 1, 1, 0, 1, 72.5, 3250000, 1700000, 52.3)
    formulas = load_workbook(io.BytesIO(response.content))[SUMMARY_SHEET]
    k3_formulas = next(r for r in formulas.iter_rows(values_only=True) if r[0] == "K3")
    assert str(k3_formulas[2]).startswith("=COUNTIF(") and str(k3_formulas[7]).startswith("=IF(")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_workbook_and_recomputes_the_same_summary(dp3a, world, db, tmp_path):
    client, token = dp3a
    _workbook_plan(client, token, world, db)
    source = tmp_path / "rad.xlsx"
    source.write_bytes(client.get(f"{_rad(world)}/laporan/rad-kla.xlsx").content)
    profile = recalculating_profile(tmp_path / "profile")  # LibreOffice computes every formula itself
    for target in ("xlsx:Calc MS Excel 2007 XML", "pdf"):
        command = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to",
                   target, "--outdir", str(tmp_path / "out"), str(source)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
    pdf = (tmp_path / "out" / "rad.pdf").read_bytes()
    width, height = (float(v) for v in re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf).groups())
    assert width > height and round(width) == 842  # A4 landscape
    recomputed = load_workbook(tmp_path / "out" / "rad.xlsx", data_only=True)[SUMMARY_SHEET]
    cached = load_workbook(source, data_only=True)[SUMMARY_SHEET]
    ours = [r for r in cached.iter_rows(values_only=True)][4:]
    theirs = [r for r in recomputed.iter_rows(values_only=True)][4:]
    assert len(ours) == 8 and [r[:11] for r in theirs[:8]] == [r[:11] for r in ours]


def test_a_published_year_keeps_its_plan_but_the_library_takes_no_upload(dp3a, opd, planned, world, db):
    from app.models import Cycle, utcnow

    cycle = db.exec(select(Cycle).where(Cycle.year == world.year)).one()
    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    client, token = dp3a  # monitoring goes on through the year after the award
    assert _add(client, token, world, title="Kelas ayah").status_code == 303
    opd_client, opd_token = opd
    tree = page(opd_client.get(f"{_rad(world)}/{planned.id}"))
    assert tree.xpath("//form[@id='rad-report']") and not tree.xpath("//input[@id='report-file']")
    files = {"file": ("bukti.pdf", sample_pdf("Laporan", "Tahap 1"), "application/pdf")}
    refused = _report(opd_client, opd_token, world, planned.id, files=files)
    assert refused.status_code == 409 and text_of(page(refused), "//p[@role='alert']")
    assert not db.exec(select(RadReport)).all() and not db.exec(select(Document)).all()
    assert _report(opd_client, opd_token, world, planned.id).status_code == 303


def test_another_agency_neither_sees_nor_picks_an_agencys_own_evidence(make_client, auth, opd, planned, world, db,
                                                                        password_hash):
    from app.models import Role, User

    disdik = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                          Agency.role_code == "DISDIK")).one()
    db.add(User(username="opd_disdik", full_name="Disdik", password_hash=password_hash, role=Role.OPD,
                regency_code=world.regency_a.code, agency_id=disdik.id))
    db.commit()
    client, token = opd
    files = {"file": ("laporan-dinkes.pdf", sample_pdf("Laporan Dinkes", "Tahap 1"), "application/pdf")}
    assert _report(client, token, world, planned.id, files=files).status_code == 303
    [report] = db.exec(select(RadReport)).all()
    other, other_token = _client(make_client, auth, "opd_disdik")
    tree = page(other.get(f"{_rad(world)}/{planned.id}"))
    assert texts(tree, "//tr[contains(@class,'report')]/td[contains(@class,'evidence')]") == ["–"]
    assert not tree.xpath("//td[contains(@class,'evidence')]//a") and not tree.xpath("//form[@id='rad-report']")
    dp3a_client, dp3a_token = _client(make_client, auth, "dp3a_a")
    assert _add(dp3a_client, dp3a_token, world, indicator="19", title="SRA", agency=str(disdik.id)).status_code == 303
    own = _activities(db)[-1]
    picked = _report(other, other_token, world, own.id, document=str(report.document_id))
    assert picked.status_code == 422 and "Choose a document of the library" in text_of(page(picked), "//p[@role='alert']")
    # The DP3A sees it, named and linked to its page in the library.
    tree = page(dp3a_client.get(f"{_rad(world)}/{planned.id}"))
    assert texts(tree, "//td[contains(@class,'evidence')]/a") == ["Laporan Dinkes"]  # the title read from the file


def test_every_id_on_the_plan_page_is_unique_so_each_label_reaches_its_field(dp3a, world):
    """The heading of the add form once shared the id `add-title` with the activity's field: the
    field's label then pointed at the heading and the field had no name for a screen reader."""
    client, token = dp3a
    tree = page(client.get(_rad(world)))
    ids = attrs(tree, "//@id")
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    title = one(tree, "//form[@id='rad-add']//label[normalize-space()='Activity']")
    assert one(tree, f"//*[@id='{title.get('for')}']").tag == "input"
