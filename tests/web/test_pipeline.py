"""The season's pipeline: kab/kota per stage by province and in total, the filters (an odd value is
the default), the award distribution next to the published one and the previous cycle's, Provila,
and the province's list with dates and links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.models import Assessment, Award, Cycle, Regency, StageChange
from scoring import Move, Stage
from tests import html


def _stage(db, world, which: str, stage: Stage, *, at: datetime | None = None) -> Assessment:
    assessment = world.assessments[which]
    assessment.stage = stage
    assessment.revision += 1  # as the app's audited move does: the national figures are kept per revision
    db.add(assessment)
    if at is not None:
        db.add(StageChange(assessment_id=assessment.id, move=Move.SUBMIT, from_stage=Stage.SELF, to_stage=stage,
                           user_id=world.users["admin"].id, at=at))
    db.commit()
    return assessment


def _award(db, world, assessment_id: int, category: str) -> None:
    db.add(Award(assessment_id=assessment_id, total=Decimal("650.00"), band_category=category, category=category,
                 decided_by=world.users["admin"].id))
    db.commit()


@pytest.fixture
def outsider(db, world):
    """A kab/kota of province 63 with no assessment this year: not taking part."""
    db.add(Regency(code="63.01", province_code="63", name="Kabupaten Tanah Laut"))
    db.commit()


def _cell(tree, province: str, column: str) -> str:
    return html.text_of(tree, f"//table[@class='pipeline']//tr[@data-province='{province}']/td[@data-stage='{column}']")


def test_counts_per_stage_and_province(client, auth, world, db, outsider):
    _stage(db, world, "a", Stage.MINISTRY)
    _stage(db, world, "b", Stage.FIELD)
    auth.login(client, "admin")
    response = client.get(f"/nasional/{world.year}/tahapan")
    assert response.status_code == 200
    tree = html.page(response)
    assert _cell(tree, "62", "ministry") == "1" and _cell(tree, "62", "field") == "1" and _cell(tree, "62", "self") == "0"
    assert _cell(tree, "63", "self") == "1" and _cell(tree, "63", "none") == "1"
    assert _cell(tree, "total", "ministry") == "1" and _cell(tree, "total", "none") == "1"
    assert _cell(tree, "total", "self") == "1" and _cell(tree, "total", "awarded") == "0"
    # no stage filter: no list
    assert not tree.xpath("//table[@id='listed']")


def test_filters_narrow_and_odd_values_are_ignored(client, auth, world, db, outsider):
    since = datetime(2024, 7, 1, 3, 0, tzinfo=UTC)
    _stage(db, world, "a", Stage.MINISTRY, at=since)
    _stage(db, world, "c", Stage.MINISTRY)
    auth.login(client, "admin")
    tree = html.page(client.get(f"/nasional/{world.year}/tahapan?provinsi=62&tahap=ministry"))
    assert tree.xpath("//tr[@data-province='62']") and not tree.xpath("//tr[@data-province='63']")
    assert html.texts(tree, "//table[@id='listed']//td[@class='name']") == ["Kota Palangka Raya"]
    # the date it reached the stage, in WIB
    assert "01-07-2024 10:00 WIB" in html.text_of(tree, "//table[@id='listed']")
    assert html.attrs(tree, "//select[@name='tahap']/option[@selected]/@value") == ["ministry"]

    listed = html.page(client.get(f"/nasional/{world.year}/tahapan?tahap=none"))
    assert html.texts(listed, "//table[@id='listed']//td[@class='name']") == ["Kabupaten Tanah Laut"]

    # An odd value filters as the default: every province, no list; never an error page.
    for odd in ("provinsi=99", "provinsi=%00", "provinsi=6", "provinsi=62abc", "provinsi=" + "6" * 300,
                "tahap=DP3A", "tahap=dp3a", "tahap=%27%3B--", "tahap=" + "s" * 500, "tahap=self&tahap=x"):
        response = client.get(f"/nasional/{world.year}/tahapan?{odd}")
        assert response.status_code == 200, odd
        page = html.page(response)
        assert page.xpath("//tr[@data-province='62']") and page.xpath("//tr[@data-province='63']"), odd
        if odd.startswith("tahap="):
            assert not page.xpath("//table[@id='listed']"), odd
    assert client.get("/nasional/2099/tahapan").status_code == 404  # no cycle that year


def test_htmx_filter_swaps_the_table_only(client, auth, world, db):
    auth.login(client, "admin")
    response = client.get(f"/nasional/{world.year}/tahapan?tahap=self", headers={"HX-Request": "true"})
    assert response.status_code == 200
    tree = html.page(response)
    assert tree.xpath("//div[@id='pipeline-table']") and not tree.xpath("//header[@class='page-head']")
    assert len(tree.xpath("//table[@id='listed']//tbody/tr")) == 3


def test_award_distribution_before_and_after_publication(client, auth, world, db, catalogue):
    a = _stage(db, world, "a", Stage.FINAL)
    b = _stage(db, world, "b", Stage.FINAL)
    c = _stage(db, world, "c", Stage.FINAL)
    _award(db, world, a.id, "madya")
    _award(db, world, b.id, "pratama")
    _award(db, world, c.id, "")
    auth.login(client, "admin")
    tree = html.page(client.get(f"/nasional/{world.year}/tahapan"))

    def cell(category: str, column: str) -> str:
        return html.text_of(tree, f"//table[@id='award-distribution']//tr[@data-category='{category}']"
                                  f"/td[@data-column='{column}']")

    # the award bands from the highest down, then no award
    assert html.attrs(tree, "//table[@id='award-distribution']//tbody/tr/@data-category") == [
        b.code for b in reversed(catalogue.bands) if b.award] + ["none"]
    assert html.texts(tree, "//table[@id='award-distribution']//tbody/tr/th")[-5:-1] == [
        "Utama", "Nindya", "Madya", "Pratama"]
    assert cell("madya", "fixed") == "1" and cell("pratama", "fixed") == "1" and cell("none", "fixed") == "1"
    assert cell("utama", "fixed") == "0" and cell("madya", "published") == "–"
    assert html.one(tree, "//p[@id='publication']") is not None
    assert str(world.year) in html.text_of(tree, "//p[@id='publication']")
    # Province 62: both kab/kota at Pratama or above -> Provila; 63's one has no award.
    assert html.text_of(tree, "//p[@id='provila']").startswith("1 ")

    # A previous cycle, published; then this one published (its awarded kab/kota only).
    old = Cycle(year=world.year - 1, instrument_code="x", instrument_version="1",
                published_at=datetime(2023, 7, 23, tzinfo=UTC))
    db.add(old)
    db.flush()
    old_a = Assessment(cycle_id=old.id, regency_code=world.regency_a.code, stage=Stage.AWARDED)
    db.add(old_a)
    db.flush()
    _award(db, world, old_a.id, "Utama")  # written as the name: still Utama
    cycle = db.get(Cycle, a.cycle_id)
    cycle.published_at = datetime.now(UTC) - timedelta(hours=1)
    db.add(cycle)
    for assessment in (a, b):
        assessment.stage = Stage.AWARDED
        assessment.revision += 1
        db.add(assessment)
    db.commit()
    tree = html.page(client.get(f"/nasional/{world.year}/tahapan"))
    assert cell("madya", "published") == "1" and cell("pratama", "published") == "1"
    assert cell("none", "published") == "0"  # c stayed at FINAL: not on the published list
    assert cell("utama", "previous") == "1" and cell("madya", "previous") == "0"
    assert str(world.year - 1) in html.text_of(tree, "//table[@id='award-distribution']//thead")


def test_province_pipeline_lists_its_kab_kota_with_dates_and_links(client, auth, world, db):
    since = datetime(2024, 8, 2, 1, 30, tzinfo=UTC)
    _stage(db, world, "a", Stage.MINISTRY, at=since)
    _stage(db, world, "b", Stage.SELF)
    a = world.assessments["a"]
    _award(db, world, a.id, "madya")
    auth.login(client, "province")
    response = client.get(f"/provinsi/62/{world.year}/tahapan")
    assert response.status_code == 200
    tree = html.page(response)
    rows = tree.xpath("//table[@id='province-regions']//tbody/tr")
    assert [r.get("data-regency") for r in rows] == ["62.01", "62.71"]
    row_a = html.one(tree, "//tr[@data-regency='62.71']")
    assert html.text_of(row_a, ".//td[@data-stage]") and row_a.xpath(".//td[@data-stage='ministry']")
    assert "02-08-2024 08:30 WIB" in html.text_of(row_a)
    hrefs = html.attrs(row_a, ".//a/@href")
    assert f"/r/62.71/{world.year}/linimasa" in hrefs and f"/r/62.71/{world.year}/verifikasi" in hrefs
    # b is still in self-assessment: the province may not open it
    assert not html.attrs(tree, "//tr[@data-regency='62.01']//a/@href")
    # the award fixed is the ministry's until published: the province sees none of it
    assert html.text_of(row_a, ".//td[@data-label='Penghargaan' or @data-label='Award']") == "–"
    assert not tree.xpath("//table[@id='award-distribution']")
    assert "Provila" not in html.text_of(tree, "//table[@class='pipeline']")  # it would tell the awards
    assert _cell(tree, "62", "ministry") == "1" and _cell(tree, "62", "self") == "1"
    assert not tree.xpath("//tr[@data-province='63']")

    reviewer = client.__class__(client.app)
    with reviewer:
        auth.login(reviewer, "reviewer")
        tree = html.page(reviewer.get(f"/provinsi/62/{world.year}/tahapan"))
        assert html.texts(tree, "//tr[@data-regency='62.71']/td[@data-label='Penghargaan' or @data-label='Award']") \
            == ["Madya"]
        assert tree.xpath("//table[@id='award-distribution']")
        assert "Provila" in html.text_of(tree, "//table[@class='pipeline']")


def test_who_sees_the_pipelines(make_client, auth, world):
    for user, national, province_62, province_63 in (
        ("admin", 200, 200, 200), ("province", 403, 200, 403), ("province_other", 403, 403, 200),
        ("reviewer", 403, 200, 403), ("reviewer_other", 403, 403, 200), ("verifier", 403, 403, 403),
        ("dp3a_a", 403, 403, 403), ("opd_a", 403, 403, 403),
    ):
        client = make_client()
        auth.login(client, user)
        assert client.get(f"/nasional/{world.year}/tahapan").status_code == national, user
        assert client.get(f"/provinsi/62/{world.year}/tahapan").status_code == province_62, user
        assert client.get(f"/provinsi/63/{world.year}/tahapan").status_code == province_63, user


def test_top_menu_links_the_pipeline(make_client, auth, world):
    for user, href in (("admin", f"/nasional/{world.year}/tahapan"), ("province", f"/provinsi/62/{world.year}/tahapan"),
                       ("reviewer", f"/provinsi/62/{world.year}/tahapan"), ("dp3a_a", None)):
        client = make_client()
        auth.login(client, user)
        tree = html.page(client.get("/akun/sandi"))
        links = html.attrs(tree, "//header//nav//a/@href")
        assert (href in links) if href else not any("tahapan" in link for link in links), user


def test_national_figures_follow_every_audited_change(client, auth, world, db):
    auth.login(client, "admin")
    url = f"/nasional/{world.year}/tahapan"
    assert _cell(html.page(client.get(url)), "total", "self") == "3"
    _stage(db, world, "a", Stage.PROVINCE)  # the revision moves: the kept figures are not served
    tree = html.page(client.get(url))
    assert _cell(tree, "total", "self") == "2" and _cell(tree, "total", "province") == "1"
