"""Issue 22, an adversarial pass over the season after the province: what each page lets a user see
that another rule says they must not (a sensitive finding's words through its score adjustment, an
award before the list is published), and input that must be refused, never a 500."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from sqlmodel import select

from app.models import Award, Cycle, utcnow
from scoring import Stage
from tests import html
from tests.web.test_field import _field_started, _finding, _indicator
from tests.web.test_field import season as season  # noqa: F401  (the fixture)
from tests.web.test_final import answer_codes, at_final

SECRET = "Anak R menceritakan kekerasan oleh pamannya"


# -- a sensitive finding's words -------------------------------------------------------------------


def test_a_sensitive_findings_adjustment_does_not_carry_its_words(make_client, world, auth, db, scorer, catalogue,
                                                                  season):  # noqa: F811
    """A score adjustment is a FIELD decision whose note the kab/kota reads (the review page, the
    question's history, the recommendation form): a sensitive finding's words must not be that note."""
    _field_started(db, world, scorer, season)
    team = make_client()
    token = auth.login(team, "verifier")
    code = season[0]
    assert _finding(team, world, token, _indicator(catalogue, code), SECRET, sensitive="1",
                    **{f"score_{code}": "0"}).status_code == 303
    for username in ("dp3a_a", "province", "opd_a"):
        client = make_client()
        auth.login(client, username)
        for path in (f"/verifikasi/{code}", f"/riwayat/{code}"):
            response = client.get(world.base() + path)
            if response.status_code == 200:
                assert not html.mentions(html.page(response), SECRET), (username, path)
    # The team still sees its adjustment under the finding.
    page = html.page(team.get(f"{world.base()}/lapangan"))
    assert html.mentions(page, SECRET)
    assert page.xpath(f"//*[contains(@class,'finding')]//*[contains(normalize-space(), '{code}')]")


# -- the award before publication -------------------------------------------------------------------


@pytest.fixture
def fixed_award(world, db, scorer, catalogue):
    """Kab/kota A at FINAL, its award fixed (utama), the list not yet published."""
    codes = answer_codes(scorer, catalogue, n=2)
    assessment = at_final(db, world, scorer, "a", codes)
    db.add(Award(assessment_id=assessment.id, total=Decimal("0"), band_category="", category="utama",
                 decided_by=world.users["admin"].id))
    assessment.revision += 1
    db.add(assessment)
    db.commit()
    return assessment


def _in_workbook(response, text: str) -> bool:
    """Whether a cell of the downloaded workbook's stage sheet ("Tahapan", the one with the award column)
    says `text` (other sheets name every category in their formulas)."""
    if response.status_code != 200:
        return False
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)["Tahapan"]
    return any(text in str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)


def _award_shown(client, world) -> dict[str, bool]:
    dashboard = client.get(f"{world.base()}/dasbor")
    api = client.get(f"/api/v1/regions/{world.regency_a.code}/{world.year}/scores")
    province = client.get(f"/provinsi/62/{world.year}")
    return {
        "dashboard": dashboard.status_code == 200 and "Utama" in html.text_of(html.page(dashboard), "//main"),
        "api": api.status_code == 200 and api.json()["award"] is not None,
        "province": province.status_code == 200 and "Utama" in html.text_of(html.page(province), "//main"),
        # The workbooks of the kab/kota and of the province carry the stage sheet with the award column.
        "rekap": _in_workbook(client.get(f"{world.base()}/ekspor.xlsx"), "Utama"),
        "province_workbook": _in_workbook(client.get(f"/provinsi/62/{world.year}/ekspor.xlsx"), "Utama"),
    }


def test_an_award_stays_with_the_ministry_until_the_list_is_published(make_client, world, auth, db, fixed_award):
    admin = make_client()
    auth.login(admin, "admin")
    assert _award_shown(admin, world)["province"] and _award_shown(admin, world)["api"]
    # The ministry's page first: a cached fragment must not carry its award to the province.
    for username in ("province", "dp3a_a"):
        client = make_client()
        auth.login(client, username)
        assert not any(_award_shown(client, world).values()), (username, _award_shown(client, world))
    cycle = db.exec(select(Cycle).where(Cycle.year == world.year)).one()
    cycle.published_at = utcnow()
    db.add(cycle)
    fixed_award.stage = Stage.AWARDED
    fixed_award.revision += 1
    db.add(fixed_award)
    db.commit()
    for username, pages in (("province", ("dashboard", "api", "province", "rekap", "province_workbook")),
                            ("dp3a_a", ("dashboard", "api", "rekap"))):
        client = make_client()
        auth.login(client, username)
        shown = _award_shown(client, world)
        assert all(shown[page] for page in pages), (username, shown)


# -- numbers no score can be ------------------------------------------------------------------------


@pytest.mark.parametrize("figure", ["1e30", "9" * 40, "1E+999999", "NaN", "-1", "Infinity"])
def test_a_final_figure_out_of_any_range_is_refused(client, auth, world, db, scorer, catalogue, figure):
    codes = answer_codes(scorer, catalogue, n=1)
    at_final(db, world, scorer, "a", codes)
    token = auth.login(client, "admin")
    response = client.post(f"{world.base('a')}/final", data={
        "csrf_token": token, "question": codes[0], f"figure:{codes[0]}": figure, "reason": "uji"})
    assert response.status_code == 422, response.status_code
    assert html.text_of(html.page(response), "//p[@role='alert']")


@pytest.mark.parametrize("figure", ["1e30", "9" * 40, "1E+999999"])
def test_a_field_adjustment_out_of_any_range_is_refused(client, world, auth, db, scorer, catalogue, season,  # noqa: F811
                                                        figure):
    _field_started(db, world, scorer, season)
    token = auth.login(client, "verifier")
    code = season[0]
    response = _finding(client, world, token, _indicator(catalogue, code), "Angka aneh", **{f"score_{code}": figure})
    assert 400 <= response.status_code < 500, response.status_code
