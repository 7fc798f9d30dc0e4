"""Accounts per kecamatan (issue 23 item 7): the DP3A creates a kecamatan's own office (role KECAMATAN,
one agency per kecamatan) and its accounts; such an account sees and records the Kelana/Dekela criteria of
its kecamatan and of the desa/kelurahan in it only, under the rules of answering, and never applies."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.deps import Place
from app.models import Agency, AreaLevel, AreaRecord, AuditEntry, Cycle, Regency, User
from app.refusals import NotAllowed
from app.services import areas as area_service
from tests import html

OWN, OTHER = "62.71.01", "62.71.02"  # Pahandut, Bukit Batu (Kota Palangka Raya)
OWN_DESA, OTHER_DESA = "62.71.01.1001", "62.71.02.1001"


def _admin(world) -> str:
    return f"{world.base()}/kelola"


def _create_office(client, token, world, area=OWN, **fields):
    data = {"short_name": "", "name": "", "role_code": "KECAMATAN", "area_code": area, "csrf_token": token, **fields}
    return client.post(f"{_admin(world)}/opd", data=data, follow_redirects=False)


def _office(db, area=OWN) -> Agency:
    db.expire_all()
    return db.exec(select(Agency).where(Agency.area_code == area)).one()


def _account(client, token, world, db, agency, username="camat.pahandut") -> str:
    response = client.post(f"{_admin(world)}/akun", data={"username": username, "full_name": "Staf Kecamatan",
                                                         "role": "opd", "agency_id": str(agency.id),
                                                         "csrf_token": token})
    assert response.status_code == 200, response.text
    shown = html.texts(html.page(response), f"//*[{html.has_class('temp-password')}]")
    assert len(shown) == 1
    return shown[0]


@pytest.fixture
def office(make_client, auth, world, db):
    """The DP3A's client and token, and the logged-in client and token of Pahandut's office."""
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    assert _create_office(dp3a, token, world).status_code == 303
    password = _account(dp3a, token, world, db, _office(db))
    camat = make_client()
    camat_token = auth.login(camat, "camat.pahandut", password)
    return dp3a, token, camat, camat_token


def _record(client, token, world, area, meets, shown, note="", file=None):
    data = {"shown": list(shown), "meets": list(meets), "note": note}
    return client.post(f"{world.base()}/kelana/catat/{area}", data=data, files={"file": file} if file else None,
                       headers={"X-CSRF-Token": token}, follow_redirects=False)


def _rows(db) -> set[tuple[str, str, bool]]:
    db.expire_all()
    return {(r.area_code, r.question_code, r.meets) for r in db.exec(select(AreaRecord))}


def _codes(catalogue, level: AreaLevel) -> list[str]:
    return [q.code for q in area_service.area_questions(catalogue, level)]


def test_the_dp3a_creates_one_office_per_kecamatan(make_client, auth, world, db):
    client = make_client()
    token = auth.login(client, "dp3a_a")
    form = html.page(client.get(f"{_admin(world)}/opd"))
    assert form.xpath("//select[@name='role_code']/option[@value='KECAMATAN']")
    assert [o.get("value") for o in form.xpath("//select[@name='area_code']/option")] == \
        ["", "62.71.01", "62.71.02", "62.71.03", "62.71.04", "62.71.05"]
    assert _create_office(client, token, world).status_code == 303
    agency = _office(db)
    assert (agency.short_name, agency.name, agency.role_code, agency.regency_code) == \
        ("Kec. Pahandut", "Kecamatan Pahandut", "KECAMATAN", "62.71")
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "agency.create")).one()
    assert entry.after["area_code"] == OWN
    # A second office for the same kecamatan is refused next to the field, nothing written.
    again = _create_office(client, token, world, short_name="CAMAT PAHANDUT")
    assert again.status_code == 409
    assert "sudah memiliki perangkat daerahnya" in html.text_of(html.page(again), "//*[@id='area_code-error']")
    # The role without a kecamatan, or a kecamatan of another kab/kota: refused, never a 500.
    for area in ("", "62.01.01", "62.71.01.1001", "x" * 20):
        refused = _create_office(client, token, world, area=area)
        assert refused.status_code == 422, area
        assert html.text_of(html.page(refused), "//*[@id='area_code-error']")
    db.expire_all()
    assert len(db.exec(select(Agency).where(Agency.role_code == "KECAMATAN")).all()) == 1
    # Another role ignores the kecamatan field: an ordinary agency.
    assert _create_office(client, token, world, short_name="DISPERKIM", name="Dinas Perkim",
                          role_code="PUPR", area="62.71.03").status_code == 303
    db.expire_all()
    assert db.exec(select(Agency).where(Agency.short_name == "DISPERKIM")).one().area_code is None
    # The office keeps its role; no other agency takes it.
    edit = client.post(f"{_admin(world)}/opd/{agency.id}", data={"short_name": agency.short_name, "name": agency.name,
                                                                  "role_code": "DINKES", "active": "1",
                                                                  "csrf_token": token})
    assert edit.status_code == 422
    dinkes = world.agencies["dinkes_a"]
    edit = client.post(f"{_admin(world)}/opd/{dinkes.id}", data={"short_name": "DINKES", "name": dinkes.name,
                                                                  "role_code": "KECAMATAN", "active": "1",
                                                                  "csrf_token": token})
    assert edit.status_code == 422
    assert _office(db).role_code == "KECAMATAN"
    # Its accounts are agency accounts: a DP3A account there would reach the whole kab/kota.
    dp3a_there = client.post(f"{_admin(world)}/akun", data={"username": "camat.dp3a", "full_name": "Camat",
                                                             "role": "dp3a", "agency_id": str(agency.id),
                                                             "csrf_token": token})
    assert dp3a_there.status_code == 422
    assert html.text_of(html.page(dp3a_there), "//*[@id='role-error']")
    assert db.exec(select(User).where(User.username == "camat.dp3a")).first() is None


def test_the_office_lands_on_its_kecamatan_and_records_it(office, world, db, catalogue):
    _dp3a, _token, camat, token = office
    assert camat.get("/", follow_redirects=False).headers["location"] == f"{world.base()}/kelana"
    page = html.page(camat.get(f"{world.base()}/kelana"))
    assert [a.get("id") for a in page.xpath("//article[contains(@class, 'area')]")] == ["area-62-71-01"]
    kecamatan_codes, desa_codes = _codes(catalogue, AreaLevel.KECAMATAN), _codes(catalogue, AreaLevel.DESA)
    # Every criterion of its level, none assigned to it.
    assert {i.get("value") for i in page.xpath("//input[@name='meets']")} == set(kecamatan_codes)
    assert not page.xpath("//button[@id='kelana-apply']")
    desa_page = html.page(camat.get(f"{world.base()}/kelana/{OWN}"))
    assert len(desa_page.xpath("//article[contains(@class, 'area')]")) == 6
    assert {i.get("value") for i in desa_page.xpath("//input[@name='meets']")} == set(desa_codes)
    assert camat.get(f"{world.base()}/kelana/{OTHER}").status_code == 404

    assert _record(camat, token, world, OWN, [kecamatan_codes[0]], kecamatan_codes[:2], note="SK camat").status_code \
        == 303
    assert _record(camat, token, world, OWN_DESA, [desa_codes[0]], desa_codes[:1]).status_code == 303
    assert _rows(db) == {(OWN, kecamatan_codes[0], True), (OWN, kecamatan_codes[1], False),
                         (OWN_DESA, desa_codes[0], True)}
    me = db.exec(select(User).where(User.username == "camat.pahandut")).one()
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == "area.record")).all()
    assert {(e.user_id, e.entity_id) for e in entries} == {(me.id, OWN), (me.id, OWN_DESA)}
    # The same again writes nothing and audits nothing.
    _record(camat, token, world, OWN, [kecamatan_codes[0]], kecamatan_codes[:2], note="SK camat")
    db.expire_all()
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "area.record")).all()) == 2
    # It answers no question: its list of questions is empty, and it cannot apply.
    questions = camat.get(f"{world.base()}/isian")
    assert questions.status_code == 200
    assert not html.page(questions).xpath("//*[starts-with(@id, 'q-')]")
    assert camat.post(f"{world.base()}/kelana/terapkan", headers={"X-CSRF-Token": token},
                      follow_redirects=False).status_code == 403


def test_another_kecamatan_is_out_of_reach(office, world, db, catalogue, app):
    from app.services.demo import sample_pdf

    dp3a, dp3a_token, camat, token = office
    kecamatan_codes, desa_codes = _codes(catalogue, AreaLevel.KECAMATAN), _codes(catalogue, AreaLevel.DESA)
    pdf = ("sk-bukit-batu.pdf", sample_pdf("SK Forum Anak", "Bukit Batu"), "application/pdf")
    assert _record(dp3a, dp3a_token, world, OTHER, [kecamatan_codes[0]], kecamatan_codes[:1], file=pdf).status_code \
        == 303
    before = _rows(db)
    document_id = db.exec(select(AreaRecord)).one().document_id
    # By address: another kecamatan, its desa, another kab/kota's, nonsense: 404.
    for area in (OTHER, OTHER_DESA, "62.01.01", "x" * 40):
        assert _record(camat, token, world, area, [kecamatan_codes[0]], kecamatan_codes[:1]).status_code == 404, area
    # By form field: criteria of another level or unknown ones are refused with a message.
    for shown in ([desa_codes[0]], ["1.1"], ["nonsense"]):
        refused = _record(camat, token, world, OWN, shown, shown)
        assert refused.status_code == 303
        flash = html.text_of(html.page(camat.get(refused.headers["location"])), "//*[@role='status']")
        assert "Pilih kriteria" in flash or "Choose the criteria" in flash
    assert _rows(db) == before
    # The service refuses it as well, whatever the route.
    db.expire_all()
    user = db.exec(select(User).where(User.username == "camat.pahandut")).one()
    place = Place(db.get(Regency, "62.71"), db.exec(select(Cycle)).one(), world.assessments["a"])
    other = area_service.area_in(db, "62.71", OTHER)
    with pytest.raises(NotAllowed):
        area_service.record(db, place, user, catalogue, other, {kecamatan_codes[0]: True})
    db.rollback()
    # Another kecamatan's evidence: neither on its page nor in the library.
    page = camat.get(f"{world.base()}/kelana")
    assert "sk-bukit-batu" not in html.text_of(html.page(page))
    assert camat.get(f"{world.base()}/dokumen/{document_id}").status_code == 404
    assert "sk-bukit-batu" not in html.text_of(html.page(camat.get(f"{world.base()}/dokumen")))


def test_a_closed_window_makes_its_records_read_only(office, world, db, catalogue):
    dp3a, dp3a_token, camat, token = office
    code = _codes(catalogue, AreaLevel.KECAMATAN)[0]
    assessment = world.assessments["a"]
    assessment.window_open = False
    db.add(assessment)
    db.commit()
    _record(camat, token, world, OWN, [code], [code])
    assert _rows(db) == set()
    page = html.page(camat.get(f"{world.base()}/kelana"))
    assert not page.xpath("//input[@name='meets']")
    _record(dp3a, dp3a_token, world, OWN, [code], [code])  # the DP3A still records
    assert _rows(db) == {(OWN, code, True)}


def test_the_database_holds_one_office_per_kecamatan(db, world):
    """Two creations at once both pass the service's check; the partial unique index stops the second
    (other agencies, with no kecamatan, are not affected by it)."""
    regency = world.regency_a.code
    db.add(Agency(regency_code=regency, role_code="KECAMATAN", short_name="Kec. Satu", name="Kecamatan Satu",
                  area_code=f"{regency}.01"))
    db.add(Agency(regency_code=regency, role_code="DINKES", short_name="DINKES-2", name="Dinas Kesehatan 2"))
    db.commit()
    db.add(Agency(regency_code=regency, role_code="KECAMATAN", short_name="Kec. Dua", name="Kecamatan Dua",
                  area_code=f"{regency}.01"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
