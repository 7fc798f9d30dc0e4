"""The award (issue 22): the category from the bands, a deviation only with a reason, the award
list with Provila and its workbook, and the publication that freezes the year. Pages are read as
parsed HTML; the workbook is opened with openpyxl."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from sqlmodel import select

from app.models import Assessment, AuditEntry, Award, Cycle, Regency, StageChange
from scoring import Stage
from tests import html
from tests.web.test_final import answer_codes, at_final, final_events

NO_AWARD = ("Tidak mendapat penghargaan", "No award")
PRATAMA_CENTS = 52_000  # a total a little over 520: Pratama (500-600)


@pytest.fixture
def pratama_codes(scorer, catalogue):
    return answer_codes(scorer, catalogue, up_to_cents=PRATAMA_CENTS)


def _fix(client, token, world, which="a", **data):
    return client.post(f"{world.base(which)}/penghargaan", data={"csrf_token": token, **data},
                       follow_redirects=False)


def _award(db, which_assessment) -> Award | None:
    db.expire_all()
    return db.exec(select(Award).where(Award.assessment_id == which_assessment.id)).first()


def test_the_bands_give_the_default_and_another_category_needs_a_reason(client, auth, world, db, scorer,
                                                                        pratama_codes):
    assessment = at_final(db, world, scorer, "a", pratama_codes)
    token = auth.login(client, "admin")
    page = html.page(client.get(f"{world.base('a')}/penghargaan"))
    assert html.text_of(page, "//dd[@id='band-category']") == "Pratama"
    assert html.one(page, "//select[@name='category']/option[@selected]").get("value") == "pratama"

    refused = _fix(client, token, world, category="madya")
    assert refused.status_code == 422 and _award(db, assessment) is None
    assert html.text_of(html.page(refused), "//p[@role='alert']")
    assert html.one(html.page(refused), "//select[@name='category']/option[@selected]").get("value") == "madya"

    assert _fix(client, token, world, category="pratama").status_code == 303
    award = _award(db, assessment)
    assert (award.category, award.band_category, award.reason) == ("pratama", "pratama", "")
    assert Decimal(award.total) >= Decimal("520")
    audits = db.exec(select(AuditEntry).where(AuditEntry.action == "award.fix")).all()
    assert len(audits) == 1 and audits[0].regency_code == world.regency_a.code
    # The same award again: nothing written.
    assert _fix(client, token, world, category="pratama").status_code == 303
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "award.fix")).all()) == 1

    assert _fix(client, token, world, category="madya", reason="inovasi luar biasa").status_code == 303
    award = _award(db, assessment)
    assert (award.category, award.band_category, award.reason) == ("madya", "pratama", "inovasi luar biasa")
    page = html.page(client.get(f"{world.base('a')}/penghargaan"))
    assert html.text_of(page, "//dd[@id='fixed-category']").startswith("Madya")


def test_below_pratama_is_no_award_and_incomplete_final_refuses(client, auth, world, db, scorer, catalogue):
    codes = answer_codes(scorer, catalogue, n=3)
    assessment = at_final(db, world, scorer, "a", codes)
    token = auth.login(client, "admin")
    page = html.page(client.get(f"{world.base('a')}/penghargaan"))
    assert html.one(page, "//select[@name='category']/option[@selected]").get("value") == ""
    assert _fix(client, token, world, category="").status_code == 303
    assert _award(db, assessment).category == ""
    assert _fix(client, token, world, category="utama-ish", reason="x").status_code == 422
    # At FIELD the award cannot be fixed.
    other = db.get(Assessment, world.assessments["b"].id)
    other.stage = Stage.FIELD
    db.add(other)
    db.commit()
    assert _fix(client, token, world, "b", category="").status_code == 409


def test_a_final_change_makes_the_award_stale_until_fixed_again(client, auth, world, db, scorer, pratama_codes):
    assessment = at_final(db, world, scorer, "a", pratama_codes)
    token = auth.login(client, "admin")
    assert _fix(client, token, world, category="pratama").status_code == 303
    code = pratama_codes[0]
    client.post(f"{world.base('a')}/final", data={"csrf_token": token, "question": code, f"figure:{code}": "0",
                                                   "reason": "tidak ada bukti"})
    assert len(final_events(db, assessment)) == 1
    page = html.page(client.get(f"{world.base('a')}/penghargaan"))
    assert page.xpath("//p[@role='alert']")  # stale
    confirm = client.post(f"/nasional/{world.year}/penghargaan/terbitkan", data={"csrf_token": token})
    assert confirm.status_code == 200
    assert html.texts(html.page(confirm), "//li[@id='stale']//a") == [world.regency_a.name]
    refused = client.post(f"/nasional/{world.year}/penghargaan/terbitkan", data={"csrf_token": token, "confirm": "1"})
    assert refused.status_code == 409 and db.get(Cycle, assessment.cycle_id).published_at is None


def _two_awards(client, auth, world, db, scorer, catalogue, pratama_codes):
    """A (Pratama) and C (no award: below the bands) fixed; B at FINAL without an award."""
    at_final(db, world, scorer, "a", pratama_codes)
    at_final(db, world, scorer, "b", answer_codes(scorer, catalogue, n=2))
    at_final(db, world, scorer, "c", answer_codes(scorer, catalogue, n=2))
    token = auth.login(client, "admin")
    assert _fix(client, token, world, "a", category="pratama").status_code == 303
    assert _fix(client, token, world, "c", category="").status_code == 303
    return token


def test_the_list_its_counts_provila_and_workbook(client, auth, world, db, scorer, catalogue, pratama_codes):
    _two_awards(client, auth, world, db, scorer, catalogue, pratama_codes)
    url = f"/nasional/{world.year}/penghargaan"
    page = html.page(client.get(url))
    assert "2024" in html.text_of(page, "//h1") or str(world.year) in html.text_of(page, "//h1")
    assert page.xpath("//*[contains(@class,'draft-mark')]")
    rows = [html.texts(tr, "./td") for tr in page.xpath("//table[contains(@class,'awards')]/tbody/tr")]
    assert [r[0:2] for r in rows] == [["Kalimantan Selatan", "Kota Banjarmasin"],
                                       ["Kalimantan Tengah", "Kota Palangka Raya"]]
    # (new UI strings are translated when the lead compiles locales/pending: either language here)
    assert rows[1][3] == "Pratama" and rows[0][3] in NO_AWARD
    assert html.text_of(page, "//td[@data-category='pratama']") == "1"
    assert html.text_of(page, "//td[@data-category='none']") == "1"
    # Provila: Kalimantan Tengah is held back by B (no award yet), Kalimantan Selatan by C (no award).
    provila = {html.text_of(tr, "./td[1]"): html.text_of(tr, "./td[4]")
               for tr in page.xpath("//table[contains(@class,'provila')]/tbody/tr")}
    assert provila["Kalimantan Tengah"].startswith("tidak") and "Kabupaten Kotawaringin Barat" in provila[
        "Kalimantan Tengah"]
    # Filters.
    filtered = html.page(client.get(url, params={"provinsi": "62", "kategori": "pratama"}))
    assert html.texts(filtered, "//table[contains(@class,'awards')]/tbody/tr/td[2]") == ["Kota Palangka Raya"]
    nothing = html.page(client.get(url, params={"kategori": "none", "provinsi": "62"}))
    assert html.texts(nothing, "//table[contains(@class,'awards')]/tbody/tr/td[@data-label]") == []
    # The print stylesheet is linked.
    assert page.xpath("//link[starts-with(@href, '/static/award.')]")  # issue 25, budget: a versioned name

    response = client.get(f"{url}.xlsx")
    assert response.status_code == 200 and "draf" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Penghargaan"]
    assert str(world.year) in sheet["A1"].value and sheet["A2"].value.startswith("DRAF")
    assert [c.value for c in sheet[4]] == ["Provinsi", "Kabupaten/Kota", "Nilai Akhir", "Kategori"]
    award_a = db.exec(select(Award).where(Award.assessment_id == world.assessments["a"].id)).one()
    assert [c.value for c in sheet[6]] == ["Kalimantan Tengah", "Kota Palangka Raya", float(award_a.total), "Pratama"]
    assert sheet[5][3].value == "Tidak mendapat penghargaan" and sheet.max_row == 6
    provila_sheet = book["Provila"]
    by_name = {r[0].value: [c.value for c in r] for r in provila_sheet.iter_rows(min_row=5)}
    assert by_name["Kalimantan Tengah"][1:4] == [2, 1, "Tidak"]
    assert by_name["Kalimantan Tengah"][4] == "Kabupaten Kotawaringin Barat"
    assert by_name["Kalimantan Selatan"][3] == "Tidak"


def test_provila_when_every_kab_kota_holds_pratama(client, auth, world, db, scorer, catalogue, pratama_codes):
    # Province 63 has one kab/kota (C): Pratama makes it a Provila.
    at_final(db, world, scorer, "c", pratama_codes)
    token = auth.login(client, "admin")
    assert _fix(client, token, world, "c", category="pratama").status_code == 303
    page = html.page(client.get(f"/nasional/{world.year}/penghargaan"))
    provila = {html.text_of(tr, "./td[1]"): html.text_of(tr, "./td[4]")
               for tr in page.xpath("//table[contains(@class,'provila')]/tbody/tr")}
    assert provila["Kalimantan Selatan"] == "ya" and provila["Kalimantan Tengah"].startswith("tidak")


def test_publish_once_then_frozen_and_public(client, make_client, auth, world, db, scorer, catalogue, pratama_codes):
    token = _two_awards(client, auth, world, db, scorer, catalogue, pratama_codes)
    publish = f"/nasional/{world.year}/penghargaan/terbitkan"
    # Before publication only the ministry sees the list.
    other = make_client()
    auth.login(other, "dp3a_a")
    assert other.get(f"/nasional/{world.year}/penghargaan").status_code == 403
    assert other.get(f"/nasional/{world.year}/penghargaan.xlsx").status_code == 403

    confirm = html.page(client.post(publish, data={"csrf_token": token}))
    assert "2" in html.text_of(confirm, "//li[@id='to-publish']")
    assert html.texts(confirm, "//li[@id='without-award']//li") == ["Kabupaten Kotawaringin Barat (Kalimantan Tengah)"]
    assert db.get(Cycle, world.assessments["a"].cycle_id).published_at is None  # nothing yet

    done = client.post(publish, data={"csrf_token": token, "confirm": "1"}, follow_redirects=False)
    assert done.status_code == 303
    db.expire_all()
    stages = {key: db.get(Assessment, world.assessments[key].id).stage for key in "abc"}
    assert stages == {"a": Stage.AWARDED, "b": Stage.FINAL, "c": Stage.AWARDED}
    assert db.get(Cycle, world.assessments["a"].cycle_id).published_at is not None
    assert len(db.exec(select(StageChange).where(StageChange.to_stage == Stage.AWARDED)).all()) == 2
    published = db.exec(select(AuditEntry).where(AuditEntry.action == "cycle.publish")).all()
    assert len(published) == 1 and published[0].regency_code is None

    again = client.post(publish, data={"csrf_token": token, "confirm": "1"})
    assert again.status_code == 409 and html.text_of(html.page(again), "//p[@role='alert']")
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "cycle.publish")).all()) == 1

    # Frozen: awards and final figures refuse.
    assert _fix(client, token, world, "c", category="pratama", reason="x").status_code == 409
    assert _fix(client, token, world, "b", category="").status_code == 409
    code = pratama_codes[0]
    refused = client.post(f"{world.base('a')}/final", data={"csrf_token": token, "question": code,
                                                           f"figure:{code}": "0", "reason": "x"})
    assert refused.status_code == 409

    # After publication every signed-in user sees it, not marked as a draft.
    page = html.page(other.get(f"/nasional/{world.year}/penghargaan"))
    assert not page.xpath("//*[contains(@class,'draft-mark')]") and not page.xpath("//form[contains(@action,'terbitkan')]")
    assert "Kota Palangka Raya" in html.texts(page, "//table[contains(@class,'awards')]/tbody/tr/td[2]")
    xlsx = other.get(f"/nasional/{world.year}/penghargaan.xlsx")
    assert xlsx.status_code == 200 and "draf" not in xlsx.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content))["Penghargaan"]["A2"].value.startswith("Diterbitkan")
    assert other.post(publish, data={"csrf_token": auth.csrf_of(other)}).status_code in (403,)


def test_nothing_to_publish(client, auth, world, db):
    token = auth.login(client, "admin")
    publish = f"/nasional/{world.year}/penghargaan/terbitkan"
    confirm = html.page(client.post(publish, data={"csrf_token": token}))
    assert not confirm.xpath("//input[@name='confirm']")
    refused = client.post(publish, data={"csrf_token": token, "confirm": "1"})
    assert refused.status_code == 409
    assert db.exec(select(Cycle)).first().published_at is None
    assert client.get("/nasional/1999/penghargaan").status_code in (404, 422)
    assert client.get("/nasional/2090/penghargaan").status_code == 404
    assert Regency  # the world's kab/kota


def test_only_the_ministry_reaches_final_and_award_pages(make_client, auth, world, db, scorer, catalogue):
    at_final(db, world, scorer, "a", answer_codes(scorer, catalogue, n=1))
    urls = [f"{world.base('a')}/final", f"{world.base('a')}/penghargaan", f"/nasional/{world.year}/penghargaan",
            f"/nasional/{world.year}/penghargaan.xlsx"]
    for username in ("reviewer", "verifier", "province", "dp3a_a"):
        client = make_client()
        auth.login(client, username)
        assert [client.get(url).status_code for url in urls] == [403] * 4, username
        # Not in their top menu either.
        assert not html.page(client.get("/akun/sandi")).xpath("//header//a[contains(@href, '/penghargaan')]")
    admin = make_client()
    auth.login(admin, "admin")
    assert html.page(admin.get("/akun/sandi")).xpath(f"//header//a[@href='/nasional/{world.year}/penghargaan']")
