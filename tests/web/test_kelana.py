"""Kelana/Dekela from the source (issue 23 item 7): the areas of Kota Palangka Raya (62.71) loaded on
first use, records per kecamatan and desa, "apply" writing the percentages as answers with the list of
qualifying areas attached once (and replaced), under the rules of answering."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select

from app.models import (
    Answer,
    Area,
    AreaLevel,
    AreaRecord,
    AuditEntry,
    Cycle,
    Document,
    DocumentKind,
    Evidence,
    utcnow,
)
from tests import html

KECAMATAN = ["62.71.01", "62.71.02", "62.71.03", "62.71.04", "62.71.05"]


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    return client, {"X-CSRF-Token": token}


def _record(client, headers, world, area, meets, shown, note="", file=None, which="a"):
    data = {"shown": list(shown), "meets": list(meets), "note": note}
    files = {"file": file} if file else None
    return client.post(f"{world.base(which)}/kelana/catat/{area}", data=data, files=files, headers=headers,
                       follow_redirects=False)


def _apply(client, headers, world):
    return client.post(f"{world.base()}/kelana/terapkan", headers=headers, follow_redirects=False)


def _answer(db, world, code) -> Answer | None:
    db.expire_all()
    return db.exec(select(Answer).where(Answer.assessment_id == world.assessments["a"].id,
                                        Answer.question_code == code)).first()


def _generated(db, answer) -> list[Evidence]:
    db.expire_all()
    return list(db.exec(select(Evidence).join(Document, col(Document.id) == col(Evidence.document_id)).where(
        Evidence.answer_id == answer.id, col(Evidence.removed_at).is_(None), Document.kind == DocumentKind.DATA)))


def test_areas_load_on_first_visit(make_client, auth, db, world):
    assert db.exec(select(Area)).first() is None  # nothing loaded at start
    client, _headers = _client(make_client, auth, "dp3a_a")
    page = client.get(f"{world.base()}/kelana")
    assert page.status_code == 200
    tree = html.page(page)
    assert [a.get("id") for a in tree.xpath("//article[contains(@class, 'area')]")] == \
        [f"area-{code.replace('.', '-')}" for code in KECAMATAN]
    assert len(tree.xpath("//table[@id='kelana-results']/tbody/tr")) == 35  # every Kelana/Dekela question
    db.expire_all()
    areas = db.exec(select(Area).where(Area.regency_code == "62.71")).all()
    assert sorted(a.code for a in areas if a.level == AreaLevel.KECAMATAN) == KECAMATAN
    villages = [a for a in areas if a.level == AreaLevel.DESA]
    assert len(villages) == 30 and all(v.parent_code in KECAMATAN for v in villages)
    assert db.exec(select(Area).where(Area.regency_code != "62.71")).first() is None  # only this kab/kota
    desa_page = html.page(client.get(f"{world.base()}/kelana/62.71.01"))
    cards = desa_page.xpath("//article[contains(@class, 'area')]")
    assert len(cards) == 6
    assert html.text_of(cards[0], ".//span[contains(@class, 'badge')]") == "kelurahan"  # code 1xxx


def test_record_apply_score_and_generated_list(make_client, auth, db, world, scorer):
    client, headers = _client(make_client, auth, "dp3a_a")
    client.get(f"{world.base()}/kelana")
    for area in KECAMATAN:
        response = _record(client, headers, world, area, ["25.2"] if area in ("62.71.01", "62.71.03", "62.71.05")
                           else [], ["25.2", "25.7a"] if area != "62.71.04" else ["25.2"])
        assert response.status_code == 303
    # 25.7a: one kecamatan recorded with malnutrition cases, three without, one unrecorded.
    _record(client, headers, world, "62.71.04", ["25.7a"], ["25.7a"])
    assert db.exec(select(AreaRecord)).all()
    assert _apply(client, headers, world).status_code == 303
    a252, a257 = _answer(db, world, "25.2"), _answer(db, world, "25.7a")
    assert Decimal(a252.value) == Decimal("60.00") and Decimal(a257.value) == Decimal("20.00")
    assert scorer.question_points("25.2", _scored(a252)) == 75  # 60 % of 1.25, in hundredths
    assert scorer.question_points("25.7a", _scored(a257)) == 40  # lower is better: 80 % of 0.5
    # The results table writes the share as the UI's language does: 60,00 in Bahasa Indonesia.
    results = html.page(client.get(f"{world.base()}/kelana"))
    assert html.texts(results, "//tr[td[1][normalize-space()='25.2']]/td[@data-label='%']") == ["60,00"]
    first = _generated(db, a252)
    assert len(first) == 1 and first[0].filename == "daftar-kelana-25.2.xlsx"
    document = db.get(Document, first[0].document_id)
    assert document.year == world.year and "Kota Palangka Raya" in document.title
    assert "Forum Anak Kecamatan" in document.title
    # Applying again with nothing changed: the same answer version and the same single list.
    version = a252.version
    _apply(client, headers, world)
    assert _answer(db, world, "25.2").version == version
    assert [e.id for e in _generated(db, a252)] == [first[0].id]
    # A changed record: a new percentage, and the list replaced (the old one removed, kept in history).
    _record(client, headers, world, "62.71.02", ["25.2"], ["25.2"])
    _apply(client, headers, world)
    assert Decimal(_answer(db, world, "25.2").value) == Decimal("80.00")
    now = _generated(db, a252)
    assert len(now) == 1 and now[0].id != first[0].id
    assert db.get(Evidence, first[0].id).removed_at is not None
    # The card shows the computed value and counts instead of a number input.
    card = html.page(client.get(f"{world.base()}/isian/25.2"))
    assert card.xpath("//div[@id='kelana-25_2']")
    assert not card.xpath("//input[@name='value' and @type='text']")


def _scored(answer):
    from app.services.answers import scored

    return scored(answer)


def test_computed_answer_is_not_typed_by_hand(make_client, auth, db, world):
    client, headers = _client(make_client, auth, "dp3a_a")
    client.get(f"{world.base()}/kelana")
    _record(client, headers, world, "62.71.01", ["25.2"], ["25.2"])
    _apply(client, headers, world)
    answer = _answer(db, world, "25.2")
    typed = client.post(f"{world.base()}/isian/25.2", data={"version": answer.version, "value": "100", "note": ""},
                        headers=headers)
    assert typed.status_code == 422
    assert Decimal(_answer(db, world, "25.2").value) == Decimal("20.00")
    noted = client.post(f"{world.base()}/isian/25.2", data={"version": answer.version, "value": "20",
                                                            "note": "Lihat daftar"}, headers=headers)
    assert noted.status_code == 200 and _answer(db, world, "25.2").note == "Lihat daftar"


def test_recording_is_idempotent_and_audited_once(make_client, auth, db, world):
    client, headers = _client(make_client, auth, "dp3a_a")
    client.get(f"{world.base()}/kelana")
    _record(client, headers, world, "62.71.01", ["25.2"], ["25.2", "25.4"], note="SK camat")
    db.expire_all()
    entries = len(db.exec(select(AuditEntry)).all())
    _record(client, headers, world, "62.71.01", ["25.2"], ["25.2", "25.4"], note="SK camat")
    db.expire_all()
    assert len(db.exec(select(AuditEntry)).all()) == entries
    rows = {r.question_code: r.meets for r in db.exec(select(AreaRecord))}
    assert rows == {"25.2": True, "25.4": False}


def test_agency_records_its_own_criteria_only(make_client, auth, db, world):
    dp3a, dp3a_headers = _client(make_client, auth, "dp3a_a")
    dp3a.get(f"{world.base()}/kelana")
    opd, headers = _client(make_client, auth, "opd_a")  # Dinkes answers 25.7a-d
    page = html.page(opd.get(f"{world.base()}/kelana"))
    assert page.xpath("//input[@name='meets' and @value='25.7a']")
    assert not page.xpath("//input[@name='meets' and @value='25.2']")
    _record(opd, headers, world, "62.71.01", ["25.2"], ["25.2"])
    _record(opd, headers, world, "62.71.01", ["25.7a"], ["25.7a"])
    db.expire_all()
    assert {r.question_code for r in db.exec(select(AreaRecord))} == {"25.7a"}
    assert _apply(opd, headers, world).status_code == 403
    # The window closed to agencies: the agency's records are read-only, the DP3A's are not.
    assessment = world.assessments["a"]
    assessment.window_open = False
    db.add(assessment)
    db.commit()
    _record(opd, headers, world, "62.71.02", ["25.7a"], ["25.7a"])
    _record(dp3a, dp3a_headers, world, "62.71.02", ["25.2"], ["25.2"])
    db.expire_all()
    assert {(r.area_code, r.question_code) for r in db.exec(select(AreaRecord))} == \
        {("62.71.01", "25.7a"), ("62.71.02", "25.2")}


def test_frozen_year_refuses_records_and_apply(make_client, auth, db, world):
    client, headers = _client(make_client, auth, "dp3a_a")
    client.get(f"{world.base()}/kelana")
    _record(client, headers, world, "62.71.01", ["25.2"], ["25.2"])
    cycle = db.exec(select(Cycle)).one()
    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    _record(client, headers, world, "62.71.02", ["25.2"], ["25.2"])
    _apply(client, headers, world)
    db.expire_all()
    assert {r.area_code for r in db.exec(select(AreaRecord))} == {"62.71.01"}
    assert _answer(db, world, "25.2") is None
    page = html.page(client.get(f"{world.base()}/kelana"))
    assert not page.xpath("//input[@name='meets']") and not page.xpath("//button[@id='kelana-apply']")


def test_other_regions_areas_are_not_found(make_client, auth, db, world):
    client, headers = _client(make_client, auth, "dp3a_a")
    assert client.get(f"{world.base()}/kelana/62.01.01").status_code == 404  # Kotawaringin Barat's
    assert client.get(f"{world.base()}/kelana/62.71.01.1001").status_code == 404  # a kelurahan, not a kecamatan
    assert _record(client, headers, world, "62.01.01", ["25.2"], ["25.2"]).status_code == 404
    assert _record(client, headers, world, "nonsense" * 5, ["25.2"], ["25.2"]).status_code == 404
    other, other_headers = _client(make_client, auth, "dp3a_b")
    assert other.get(f"{world.base()}/kelana").status_code == 403
    assert _record(other, other_headers, world, "62.71.01", ["25.2"], ["25.2"]).status_code == 403
    assert db.exec(select(AreaRecord)).first() is None


def test_evidence_file_of_an_area(make_client, auth, db, world, app):
    from app.services.demo import sample_pdf

    client, headers = _client(make_client, auth, "dp3a_a")
    client.get(f"{world.base()}/kelana")
    pdf = ("sk-forum-anak.pdf", sample_pdf("SK Forum Anak", "Pahandut"), "application/pdf")
    assert _record(client, headers, world, "62.71.01", ["25.2"], ["25.2"], file=pdf).status_code == 303
    db.expire_all()
    row = db.exec(select(AreaRecord)).one()
    assert row.document_id is not None
    assert db.get(Document, row.document_id).filename == "sk-forum-anak.pdf"
    page = html.page(client.get(f"{world.base()}/kelana"))
    assert "sk-forum-anak.pdf" in html.text_of(page, "//article[@id='area-62-71-01']")
