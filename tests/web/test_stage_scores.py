"""Issue 22, item 5: scores per stage everywhere. A half-verified kab/kota (the DP3A's check complete,
the province's not) shows the points verified so far and the questions still undecided, and never a
category for the incomplete stage: on the dashboard, the province and national views, the API, the
workbooks and `kla season`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html
from openpyxl import load_workbook

from app.cli import main as cli
from app.exports.province import build_province_workbook
from app.exports.rekap import build_regency_workbook
from app.exports.stages import STAGES_SHEET, STILL_VERIFYING
from app.models import Cycle, ReviewEvent
from app.models.season import Award
from app.services import review as review_service
from app.services.overview import clear_cache
from app.services.stage_scores import categories_of, season_of
from scoring import Stage, category_for, from_cents
from tests.web.test_exports import _fill, _user


def _text(element) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture
def half_verified(world, db, scorer):
    """Kab/kota a at the province's stage: the DP3A decided every answer, the province not all."""
    clear_cache()
    assessment = world.assessments["a"]
    dp3a = _user(db, "dp3a_a")
    rows = _fill(db, assessment, scorer, 7, dp3a, stages=("dp3a", "province"), share=1.0)
    state = review_service.load_state(db, assessment)
    decided = state.verdicts(Stage.DP3A)
    for code, row in rows.items():
        if code not in decided:
            db.add(ReviewEvent(answer_id=row.id, stage=Stage.DP3A, action="approved", user_id=dp3a.id))
    assessment.stage = Stage.PROVINCE
    assessment.submitted_at = datetime.now(UTC)
    assessment.revision += 1
    db.add(assessment)
    db.commit()
    db.expire_all()
    season = season_of(scorer, review_service.load_state(db, assessment), (Stage.DP3A, Stage.PROVINCE))
    assert season.totals[Stage.DP3A].complete
    assert season.totals[Stage.PROVINCE].undecided > 0
    return season


def test_the_dashboard_shows_every_stage_and_no_category_for_an_incomplete_one(client, world, auth, half_verified,
                                                                               scorer):
    auth.login(client, "dp3a_a")
    page = lxml_html.fromstring(client.get(f"{world.base()}/dasbor?lang=en").text)
    rows = page.xpath('//table[contains(@class, "stages")]/tbody/tr')
    assert [r.get("class").split()[0] for r in rows] == ["stage-self", "stage-dp3a", "stage-province"]
    assert "stack-on-phone" in page.xpath('//table[contains(@class, "stages")]')[0].get("class")
    province = rows[2]
    assert "incomplete" in province.get("class")
    undecided = half_verified.totals[Stage.PROVINCE]
    cells = {c.get("data-label"): _text(c) for c in province.xpath("./td[@data-label]")}
    assert f"{undecided.undecided} questions" in cells["Still undecided"]
    assert cells["Category"] == "none until the stage is complete"
    dp3a_band = category_for(scorer, half_verified.sheets[Stage.DP3A])
    assert _text(rows[1].xpath('./td[@data-label="Category"]')[0]) == dp3a_band.name_en
    # The category the region holds is the DP3A's (the latest complete stage), and says so.
    assert "DP3A check" in _text(page.xpath('//p[@class="settled"]')[0])


def test_province_and_national_views_show_verified_so_far(client, world, auth, half_verified, scorer):
    auth.login(client, "province")
    page = lxml_html.fromstring(client.get(f"/provinsi/62/{world.year}?lang=en").text)
    row = next(r for r in page.xpath('//table[contains(@class, "regions")]/tbody/tr')
               if _text(r.xpath('./td[@class="code"]')[0]) == world.regency_a.code)
    latest = _text(row.xpath('./td[contains(@class, "latest")]')[0])
    undecided = half_verified.totals[Stage.PROVINCE].undecided
    assert "verified so far" in latest and f"+ {undecided} questions undecided" in latest
    category = _text(row.xpath('./td[@class="category"]')[0])
    assert category.endswith("(DP3A check)"), category

    auth.login(client, "admin")
    page = lxml_html.fromstring(client.get(f"/nasional/{world.year}?lang=en").text)
    pending = page.xpath('//tr[@class="being-verified"]/td')[0]
    assert _text(pending) == "1"
    province_row = next(r for r in page.xpath('//table[@class="provinces"]/tbody/tr') if "62" in r.xpath(".//a/@href")[0])
    assert _text(province_row.xpath('./td[contains(@class, "being-verified")]')[0]) == "1"


def test_the_api_gives_every_stage_with_its_undecided_answers(client, world, auth, half_verified, db, scorer):
    auth.login(client, "province")
    body = client.get(f"/api/v1/regions/{world.regency_a.code}/{world.year}/scores").json()
    assert set(body["stages"]) == {"self", "dp3a", "province"}
    province = body["stages"]["province"]
    expected = half_verified.totals[Stage.PROVINCE]
    assert province == {"points": float(from_cents(expected.points)), "decided": expected.decided,
                        "undecided": expected.undecided, "undecided_points": float(from_cents(expected.undecided_cents)),
                        "complete": False, "category": None}
    assert body["stages"]["dp3a"]["complete"] is True and body["stages"]["dp3a"]["category"]
    assert body["award"] is None
    assert body["scores"]["province"]["category"] is None  # the old key still there, without a category
    assert body["scores"]["self"]["category"]

    db.add(Award(assessment_id=world.assessments["a"].id, total=0, band_category="", category="pratama",
                 decided_by=world.users["admin"].id))
    assessment = world.assessments["a"]
    cycle = db.get(Cycle, assessment.cycle_id)  # the ministry's draft until the award list is published
    cycle.published_at = datetime.now(UTC)
    db.add(cycle)
    assessment.revision += 1
    db.add(assessment)
    db.commit()
    assert client.get(f"/api/v1/regions/{world.regency_a.code}/{world.year}/scores").json()["award"] == "pratama"
    region = next(r for r in client.get(f"/api/v1/provinces/62/{world.year}").json()["regions"]
                  if r["regency_code"] == world.regency_a.code)
    assert region["award"] == "pratama" and region["stages"]["province"]["undecided"] == expected.undecided


def test_workbooks_have_a_column_per_stage_with_undecided_counts(world, db, catalogue, scorer, half_verified):
    expected = half_verified.totals[Stage.PROVINCE]
    categories = categories_of(scorer, half_verified)
    for data in (build_province_workbook(db, catalogue, scorer, "62", world.year),
                 build_regency_workbook(db, catalogue, scorer, world.assessments["a"], "http://x")):
        sheet = load_workbook(io.BytesIO(data))[STAGES_SHEET]
        header = [c.value for c in sheet[1]]
        row = next([c.value for c in r] for r in sheet.iter_rows(min_row=2) if r[0].value == world.regency_a.code)
        cell = dict(zip(header, row, strict=False))
        assert cell["Verifikasi provinsi – Nilai"] == pytest.approx(expected.points / 100)
        assert cell["Verifikasi provinsi – Belum diputuskan (soal)"] == expected.undecided
        assert cell["Verifikasi provinsi – Belum diputuskan (maks. nilai)"] == pytest.approx(
            expected.undecided_cents / 100)
        assert cell["Verifikasi provinsi – Kategori"] == STILL_VERIFYING
        band = {b.code: b.name for b in catalogue.bands}[categories[Stage.DP3A]]
        assert cell["Pemeriksaan DP3A – Kategori"] == band
        assert cell["Reviu kementerian – Nilai"] is None  # not reached


def _main_sheet_categories(db, catalogue, scorer, world) -> tuple[object, object]:
    """The province sheet's "Kategori Verifikasi" of A and the rekap summary's verified category, as cached."""
    province = load_workbook(io.BytesIO(build_province_workbook(db, catalogue, scorer, "62", world.year)),
                             data_only=True)["Rekap Provinsi"]
    header = next(r for r in province.iter_rows(values_only=True) if r and r[0] == "Kode")
    row = next(r for r in province.iter_rows(values_only=True) if r and r[0] == world.regency_a.code)
    rekap = load_workbook(io.BytesIO(build_regency_workbook(db, catalogue, scorer, world.assessments["a"], "http://x")),
                          data_only=True)["Ringkasan"]
    category = next(r for r in rekap.iter_rows(values_only=True) if r[1] == "Kategori")
    return dict(zip(header, row, strict=False))["Kategori Verifikasi"], category[4]


def test_the_main_sheets_give_no_category_while_the_province_has_undecided_answers(world, db, catalogue, scorer,
                                                                                  half_verified):
    assert _main_sheet_categories(db, catalogue, scorer, world) == (STILL_VERIFYING, STILL_VERIFYING)
    # The province decides the rest: its category appears in both.
    state = review_service.load_state(db, world.assessments["a"])
    decided = state.verdicts(Stage.PROVINCE)
    user = world.users["province"]
    for code, answer in state.answers.items():
        if code not in decided:
            db.add(ReviewEvent(answer_id=answer.id, stage=Stage.PROVINCE, action="approved", user_id=user.id))
    assessment = world.assessments["a"]
    assessment.revision += 1
    db.add(assessment)
    db.commit()
    clear_cache()
    season = season_of(scorer, review_service.load_state(db, assessment), (Stage.DP3A, Stage.PROVINCE))
    assert season.totals[Stage.PROVINCE].complete
    band = category_for(scorer, season.sheets[Stage.PROVINCE]).name
    assert _main_sheet_categories(db, catalogue, scorer, world) == (band, band)


def test_kla_season_prints_json_lines(world, db, half_verified, migrated, tmp_path, monkeypatch):
    monkeypatch.setenv("KLA_DATABASE_URL", migrated)
    monkeypatch.setenv("KLA_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["season", str(world.year), "--province", "62", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    by_code = {line["code"]: line for line in lines}
    a = by_code[world.regency_a.code]
    assert set(a) == {"code", "name", "stage", "scores", "category"}
    assert a["stage"] == "province" and a["category"] is None
    assert set(a["scores"]) == {"self", "dp3a", "province"}
    assert a["scores"]["province"] == round(half_verified.totals[Stage.PROVINCE].points / 100, 2)

    text = CliRunner().invoke(cli, ["season", str(world.year), "--lang", "en"])
    assert text.exit_code == 0, text.output
    assert f"{half_verified.totals[Stage.PROVINCE].undecided} undecided" in text.output
    assert "Provila" in text.output

    assert CliRunner().invoke(cli, ["season", "1999"]).exit_code == 2
    unknown = CliRunner().invoke(cli, ["season", str(world.year), "--province", "99", "--lang", "en"])
    assert unknown.exit_code == 2 and "Unknown province" in unknown.output


def test_provila_counts_only_awards_once_the_list_is_published(world, db, scorer, half_verified, client, auth):
    """Before publication Provila is a forecast (the latest complete stage's category stands in for the
    award); once the year's list is published a kab/kota that stopped before the award holds its
    province back, on the pages as in `kla season` and the award list."""
    from app.services import season_years
    from app.services.overview import provila_categories, region_rows, verified_categories

    forecast = provila_categories(db, region_rows(db, scorer, world.year, "62"), world.year)
    assert forecast == verified_categories(region_rows(db, scorer, world.year, "62"))
    assert forecast[world.regency_a.code] == categories_of(scorer, half_verified)[Stage.DP3A]
    cycle = db.get(Cycle, world.assessments["a"].cycle_id)
    cycle.published_at = datetime.now(UTC)
    db.add(cycle)
    db.commit()
    season_years.forget()
    published = provila_categories(db, region_rows(db, scorer, world.year, "62"), world.year)
    assert published[world.regency_a.code] is None  # no award: it never reached one (was its DP3A category)
    auth.login(client, "admin")  # the province page reads the same input once published
    client.cookies.set("kla_lang", "en")
    body = _text(lxml_html.fromstring(client.get(f"/provinsi/62/{world.year}").text))
    assert world.regency_a.name in body.split("Provila")[1][:400]
