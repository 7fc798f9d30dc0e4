"""The DP3A's administration of its kab/kota: agencies, accounts, assignments, the answering window."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.models import Agency, Assessment, Assignment, AuditEntry, User, UserSession
from app.templating import dom_id
from tests import html


def _temp_password(response) -> str:
    """The one-time password the page shows, in its own element."""
    shown = html.texts(html.page(response), f"//*[{html.has_class('temp-password')}]")
    assert len(shown) == 1, response.text
    return shown[0]


def _listed(client, world, code: str) -> bool:
    """Whether the question's row is in the client's list of questions."""
    return bool(html.page(client.get(f"{world.base()}/isian")).xpath(f"//*[@id='q-{dom_id(code)}']"))


def _admin(world, which: str = "a") -> str:
    return f"{world.base(which)}/kelola"


def _htmx(token: str) -> dict:
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def _audit(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _user(db, username: str) -> User:
    db.expire_all()
    return db.exec(select(User).where(User.username == username)).one()


def _question_not_for(catalogue, role: str) -> str:
    """A question the instrument gives to one other agency only (so Dinkes does not answer it)."""
    return next(r.question.code for r in catalogue.iter_questions()
                if role not in r.question.agencies and r.question.agencies == ("DISDIK",))


def _dinkes_option_question(catalogue):
    for ref in catalogue.iter_questions():
        scale = catalogue.scales[ref.question.scale]
        if "DINKES" in ref.question.agencies and scale.kind == "options":
            return ref.question.code, scale.options[-1].code
    raise AssertionError("no Dinkes question")


# -- pages ---------------------------------------------------------------------------------


def test_the_dp3a_sees_every_page(client, world, auth):
    auth.login(client, "dp3a_a")
    base = _admin(world)
    pages = ["", "/opd", f"/opd/{world.agencies['dinkes_a'].id}", "/akun", "/penugasan", "/penugasan?part=K3"]
    for page in pages:
        response = client.get(base + page)
        assert response.status_code == 200, page
        tree = html.page(response)
        assert tree.xpath("//h1") and "Kota Palangka Raya" in html.text_of(tree)
    overview = html.page(client.get(base))
    assert "Masa pengisian" in html.text_of(overview) and "Dibuka" in html.text_of(overview)
    assert "Pertanyaan tanpa OPD" in html.text_of(overview)
    assert overview.xpath("//a[@href='/r/62.71/2024/kelola/penugasan']")


def test_agencies_table_lists_roles_and_counts(client, world, auth):
    auth.login(client, "dp3a_a")
    page = client.get(f"{_admin(world)}/opd")
    tree = html.page(page)
    assert "DINKES · Dinas Kesehatan" in html.text_of(tree)
    assert "Dinkes" in html.texts(tree, "//th[@scope='row']")
    assert tree.xpath("//th[@scope='col']")
    # Region B's agencies do not show.
    assert "Kotawaringin" not in page.text


# -- agencies ------------------------------------------------------------------------------


def test_create_an_agency_and_refuse_a_duplicate_short_name(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    url = f"{_admin(world)}/opd"
    created = client.post(url, data={"short_name": "DISPERKIM", "name": "Dinas Perumahan dan Permukiman",
                                     "role_code": "PUPR", "csrf_token": token}, follow_redirects=False)
    assert created.status_code == 303
    agency = db.exec(select(Agency).where(Agency.short_name == "DISPERKIM")).one()
    assert agency.regency_code == world.regency_a.code and agency.role_code == "PUPR" and agency.active
    entry = _audit(db, "agency.create")[0]
    assert entry.regency_code == "62.71" and entry.after["short_name"] == "DISPERKIM"
    assert "OPD DISPERKIM ditambahkan." in html.text_of(html.page(client.get(url)))

    duplicate = client.post(url, data={"short_name": "dinkes", "name": "Dinas Kesehatan Kedua",
                                       "role_code": "DINKES", "csrf_token": token})
    assert duplicate.status_code == 422
    tree = html.page(duplicate)
    assert "sudah memakai nama singkat dinkes" in html.text_of(tree)
    assert tree.xpath("//*[@value='Dinas Kesehatan Kedua']")  # what was typed is kept
    assert tree.xpath("//*[@aria-invalid='true']")
    # The same short name in another kab/kota is fine: it is unique within the kab/kota only.
    assert len(db.exec(select(Agency).where(Agency.short_name == "Dinkes")).all()) == 3

    bad = client.post(url, data={"short_name": "", "name": "", "role_code": "TIDAK_ADA", "csrf_token": token})
    assert bad.status_code == 422
    shown = html.text_of(html.page(bad))
    assert "Tulis nama singkat OPD" in shown and "Pilih peran OPD dari daftar." in shown
    assert len(_audit(db, "agency.create")) == 1


def test_rename_change_role_and_deactivate_an_agency(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    old_name = dinkes.name
    url = f"{_admin(world)}/opd/{dinkes.id}"
    saved = client.post(url, data={"short_name": "DINKESPPKB", "name": "Dinas Kesehatan dan KB",
                                   "role_code": "DINKES", "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303  # no "active" box ticked: deactivated
    db.expire_all()
    agency = db.get(Agency, dinkes.id)
    assert agency.short_name == "DINKESPPKB" and not agency.active
    entry = _audit(db, "agency.update")[0]
    assert entry.before == {"short_name": "Dinkes", "name": old_name, "active": True}
    assert entry.after["active"] is False and entry.regency_code == "62.71"
    # Taking another agency's short name is refused.
    clash = client.post(url, data={"short_name": "JDIH", "name": "x", "role_code": "DINKES", "active": "1",
                                   "csrf_token": token})
    assert clash.status_code == 422 and "JDIH" in html.text_of(html.page(clash))
    # Keeping one's own short name is not a clash.
    again = client.post(url, data={"short_name": "DINKESPPKB", "name": "Dinas Kesehatan dan KB",
                                   "role_code": "DINKES", "active": "1", "csrf_token": token},
                        follow_redirects=False)
    assert again.status_code == 303
    db.expire_all()
    assert db.get(Agency, dinkes.id).active


def test_an_agency_of_another_region_is_not_found(client, world, auth):
    token = auth.login(client, "dp3a_a")
    other = world.agencies["dinkes_b"]
    assert client.get(f"{_admin(world)}/opd/{other.id}").status_code == 404
    response = client.post(f"{_admin(world)}/opd/{other.id}",
                           data={"short_name": "X", "name": "X", "role_code": "DINKES", "csrf_token": token})
    assert response.status_code == 404


# -- accounts ------------------------------------------------------------------------------


def test_create_an_account_shows_the_password_once_and_it_logs_in(client, make_client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    url = f"{_admin(world)}/akun"
    response = client.post(url, data={"username": "Budi.Dinkes", "full_name": "Budi Santoso", "role": "opd",
                                      "agency_id": str(world.agencies["dinkes_a"].id), "csrf_token": token})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    password = _temp_password(response)
    assert re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", password)
    assert "hanya ditampilkan sekali" in html.text_of(html.page(response))
    user = _user(db, "budi.dinkes")
    assert user.role == "opd" and user.regency_code == "62.71" and user.agency_id == world.agencies["dinkes_a"].id
    assert user.password_hash not in response.text and "argon2" not in response.text
    # Shown once: the list page does not carry it.
    listing = client.get(url)
    assert password not in listing.text and "budi.dinkes" in html.text_of(html.page(listing))
    entry = _audit(db, "user.create")[0]
    assert entry.regency_code == "62.71" and entry.after["username"] == "budi.dinkes"
    assert password not in str(entry.after)

    other = make_client()
    auth.login(other, "budi.dinkes", password)
    assert other.get("/", follow_redirects=False).headers["location"] == f"{world.base()}/isian"


def test_a_dp3a_account_defaults_to_the_dp3a_agency(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    response = client.post(f"{_admin(world)}/akun", data={"username": "sekretariat-2", "full_name": "Sri",
                                                          "role": "dp3a", "agency_id": "", "csrf_token": token})
    assert response.status_code == 200
    user = _user(db, "sekretariat-2")
    assert user.role == "dp3a" and user.agency_id == world.agencies["dp3a_a"].id


@pytest.mark.parametrize(("fields", "message"), [
    ({"username": "ab"}, "3 sampai 40 karakter"),
    ({"username": "budi dinkes"}, "3 sampai 40 karakter"),
    ({"username": "opd_b"}, "sudah dipakai"),  # unique across the whole app, not only the kab/kota
    ({"full_name": ""}, "Tulis nama lengkap orang tersebut."),
    ({"agency_id": "999999"}, "Pilih OPD aktif"),
    ({"agency_id": ""}, "Pilih OPD tempat orang tersebut bekerja."),
])
def test_account_form_problems_are_explained(client, world, auth, db, fields, message):
    token = auth.login(client, "dp3a_a")
    data = {"username": "siti.dinsos", "full_name": "Siti Aminah", "role": "opd",
            "agency_id": str(world.agencies["dinkes_a"].id), "csrf_token": token, **fields}
    response = client.post(f"{_admin(world)}/akun", data=data)
    assert response.status_code == 422
    tree = html.page(response)
    assert message in html.text_of(tree)
    assert tree.xpath("//*[@value='Siti Aminah']") or fields.get("full_name") == ""
    assert not tree.xpath(f"//*[{html.has_class('temp-password')}]")
    assert _audit(db, "user.create") == []


def test_an_agency_of_another_region_cannot_get_an_account_here(client, world, auth):
    token = auth.login(client, "dp3a_a")
    response = client.post(f"{_admin(world)}/akun", data={
        "username": "penyusup", "full_name": "X", "role": "opd",
        "agency_id": str(world.agencies["dinkes_b"].id), "csrf_token": token})
    assert response.status_code == 422


def test_reset_password_ends_the_old_session(client, make_client, world, auth, db):
    opd = make_client()
    auth.login(opd, "opd_a")
    assert opd.get(f"{world.base()}/isian").status_code == 200
    token = auth.login(client, "dp3a_a")
    target = world.users["opd_a"]
    response = client.post(f"{_admin(world)}/akun/{target.id}/sandi", data={"confirm": "1", "csrf_token": token})
    assert response.status_code == 200
    password = _temp_password(response)
    assert db.exec(select(UserSession).where(UserSession.user_id == target.id)).all() == []
    # The old session is over; the old password no longer works, the new one does.
    assert opd.get(f"{world.base()}/isian", follow_redirects=False).headers["location"].startswith("/masuk")
    refused = opd.post("/masuk", data={"username": "opd_a", "password": auth.password,
                                       "csrf_token": auth.csrf_of(opd)}, follow_redirects=False)
    assert refused.status_code == 401
    auth.login(opd, "opd_a", password)
    entry = _audit(db, "user.password_reset")[0]
    assert entry.entity_id == str(target.id) and entry.regency_code == "62.71"


def test_a_reset_needs_the_form_and_not_for_oneself(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    target = world.users["opd_a"]
    assert client.post(f"{_admin(world)}/akun/{target.id}/sandi", data={"csrf_token": token}).status_code == 422
    me = world.users["dp3a_a"]
    own = client.post(f"{_admin(world)}/akun/{me.id}/sandi", data={"confirm": "1", "csrf_token": token})
    assert own.status_code == 409 and "halaman Kata sandi" in html.text_of(html.page(own))
    assert _audit(db, "user.password_reset") == []


def test_deactivate_blocks_login_and_activate_restores_it(client, make_client, world, auth, db):
    opd = make_client()
    auth.login(opd, "opd_a")
    token = auth.login(client, "dp3a_a")
    target = world.users["opd_a"]
    url = f"{_admin(world)}/akun/{target.id}/status"
    response = client.post(url, data={"active": "0", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert not _user(db, "opd_a").active
    assert "tidak dapat masuk lagi" in html.text_of(html.page(client.get(f"{_admin(world)}/akun")))
    assert opd.get(f"{world.base()}/isian", follow_redirects=False).headers["location"].startswith("/masuk")
    fresh = make_client()
    refused = fresh.post("/masuk", data={"username": "opd_a", "password": auth.password,
                                         "csrf_token": auth.csrf_of(fresh)}, follow_redirects=False)
    assert refused.status_code == 403  # the right password: told the account is deactivated
    assert client.post(url, data={"active": "1", "csrf_token": token}, follow_redirects=False).status_code == 303
    auth.login(fresh, "opd_a")
    actions = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.entity == "user",
                                                                  AuditEntry.entity_id == str(target.id)))]
    assert "user.deactivate" in actions and "user.activate" in actions


def test_the_dp3a_cannot_deactivate_itself(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    me = world.users["dp3a_a"]
    response = client.post(f"{_admin(world)}/akun/{me.id}/status", data={"active": "0", "csrf_token": token})
    assert response.status_code == 409
    assert "tidak dapat menonaktifkan akun Anda sendiri" in html.text_of(html.page(response))
    assert _user(db, "dp3a_a").active


def test_accounts_of_another_region_are_not_found(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    base = _admin(world)
    for username in ("opd_b", "dp3a_b", "province", "admin"):
        target = world.users[username]
        assert client.post(f"{base}/akun/{target.id}/sandi", data={"confirm": "1", "csrf_token": token}).status_code == 404
        assert client.post(f"{base}/akun/{target.id}/status", data={"active": "0", "csrf_token": token}).status_code == 404
    assert _user(db, "opd_b").active
    page = client.get(f"{base}/akun")
    assert "opd_b" not in page.text and "dp3a_b" not in page.text and "argon2" not in page.text


# -- assignments ---------------------------------------------------------------------------


def test_toggle_an_assignment_changes_what_the_agency_sees(client, make_client, world, auth, db, catalogue):
    code = _question_not_for(catalogue, "DINKES")
    dinkes = world.agencies["dinkes_a"]
    opd = make_client()
    auth.login(opd, "opd_a")
    assert not _listed(opd, world, code)
    token = auth.login(client, "dp3a_a")
    url = f"{_admin(world)}/penugasan"

    added = client.post(url, data={"question": code, "agency_id": str(dinkes.id), "assigned": "1"},
                        headers=_htmx(token))
    assert added.status_code == 200, added.text
    tree = html.page(added)
    assert html.one(tree, f"//*[@id='c{dinkes.id}-{dom_id(code)}']").get("checked") is not None
    count = html.one(tree, "//*[@id='unassigned-count']")
    assert count.get("hx-swap-oob") == "true" and html.text_of(count) == "0"
    assert db.exec(select(Assignment).where(Assignment.question_code == code,
                                            Assignment.agency_id == dinkes.id)).first() is not None
    assert _listed(opd, world, code)

    removed = client.post(url, data={"question": code, "agency_id": str(dinkes.id), "assigned": "0"},
                          headers=_htmx(token))
    assert removed.status_code == 200 and not html.page(removed).xpath("//*[@checked]")
    db.expire_all()
    assert db.exec(select(Assignment).where(Assignment.question_code == code,
                                            Assignment.agency_id == dinkes.id)).first() is None
    assert not _listed(opd, world, code)
    assert opd.get(f"{world.base()}/isian/{code}", headers={"HX-Request": "true"}).status_code == 403

    assert len(_audit(db, "assignment.add")) == 1
    entry = _audit(db, "assignment.remove")[0]
    assert entry.regency_code == "62.71" and entry.before["question"] == code


def test_removing_the_last_agency_counts_the_question_as_unassigned(client, world, auth, db, catalogue):
    code = _question_not_for(catalogue, "DINKES")
    disdik = db.exec(select(Agency).where(Agency.regency_code == "62.71", Agency.role_code == "DISDIK")).one()
    token = auth.login(client, "dp3a_a")
    url = f"{_admin(world)}/penugasan"
    response = client.post(url, data={"question": code, "agency_id": str(disdik.id)}, headers=_htmx(token))
    assert response.status_code == 200  # an unchecked box sends no "assigned": removed
    tree = html.page(response)
    count = html.one(tree, "//*[@id='unassigned-count']")
    assert count.get("hx-swap-oob") == "true" and html.text_of(count) == "1"
    mark = html.one(tree, f"//*[@id='none-{dom_id(code)}']")
    assert mark.get("class") == "none-mark" and mark.get("hx-swap-oob") == "true"
    assert html.text_of(mark) == "tanpa OPD"
    part = catalogue.questions[code].part.code
    grid = html.page(client.get(f"{url}?part={part}"))
    assert html.texts(grid, "//strong[@id='unassigned-count']") == ["1"]
    overview = html.page(client.get(_admin(world)))
    assert overview.xpath(f"//@href[contains(., '#row-{dom_id(code)}')]")
    # Doing it twice changes nothing and writes nothing more.
    client.post(url, data={"question": code, "agency_id": str(disdik.id), "assigned": "0"}, headers=_htmx(token))
    assert len(_audit(db, "assignment.remove")) == 1


def test_toggle_refuses_unknown_questions_and_foreign_agencies(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    url = f"{_admin(world)}/penugasan"
    dinkes, foreign = world.agencies["dinkes_a"], world.agencies["dinkes_b"]
    assert client.post(url, data={"question": "99.9z", "agency_id": str(dinkes.id), "assigned": "1"},
                       headers=_htmx(token)).status_code == 404
    assert client.post(url, data={"question": "1.1", "agency_id": str(foreign.id), "assigned": "1"},
                       headers=_htmx(token)).status_code == 404
    assert client.post(url, data={"question": "1.1", "agency_id": "x", "assigned": "1"},
                       headers=_htmx(token)).status_code == 422
    assert _audit(db, "assignment.add") == []


def test_the_grid_marks_the_instruments_agencies_and_labels_every_box(client, world, auth, catalogue):
    auth.login(client, "dp3a_a")
    code, _ = _dinkes_option_question(catalogue)
    part = catalogue.questions[code].part.code
    response = client.get(f"{_admin(world)}/penugasan?part={part}")
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"  # a few hundred KB of HTML otherwise
    page = html.page(response)
    assert page.xpath(f"//div[{html.has_class('table-scroll')} and {html.has_class('grid-scroll')}]")
    dinkes = world.agencies["dinkes_a"]
    box = html.one(page, f"//*[@aria-label='Tugaskan {code} ke Dinkes (disebut instrumen)']")
    assert box.get("checked") is not None
    assert page.xpath(f"//th[@scope='row'][{html.has_class('q')}]/strong[normalize-space()='{code}']")
    assert page.xpath(f"//*[@id='c{dinkes.id}-{dom_id(code)}']")
    # Only the chosen part is on the page.
    other_part = next(p for p in catalogue.data.parts if p.code != part)
    other_code = other_part.indicators[0].questions[0].code
    assert not page.xpath(f"//*[@id='row-{dom_id(other_code)}']")
    english = html.page(client.get(f"{_admin(world)}/penugasan?part={part}&lang=en"))
    assert english.xpath(f"//*[@aria-label='Assign {code} to Dinkes (named by the instrument)']")


# -- the answering window --------------------------------------------------------------


def test_closing_the_window_makes_the_agencys_answers_read_only(client, make_client, world, auth, db, catalogue):
    token = auth.login(client, "dp3a_a")
    response = client.post(f"{_admin(world)}/jendela", data={"open": "0", "closes_at": "", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    db.expire_all()
    assert not db.get(Assessment, world.assessments["a"].id).window_open
    assert "Ditutup" in html.text_of(html.page(client.get(_admin(world))))
    entry = _audit(db, "assessment.window")[0]
    assert entry.regency_code == "62.71" and entry.after["window_open"] is False

    opd = make_client()
    opd_token = auth.login(opd, "opd_a")
    code, option = _dinkes_option_question(catalogue)
    saved = opd.post(f"{world.base()}/isian/{code}", data={"version": "0", "option": option},
                     headers=_htmx(opd_token))
    assert saved.status_code == 409

    reopened = client.post(f"{_admin(world)}/jendela", data={"open": "1", "closes_at": "2099-01-31T16:00",
                                                             "csrf_token": token}, follow_redirects=False)
    assert reopened.status_code == 303
    db.expire_all()
    assessment = db.get(Assessment, world.assessments["a"].id)
    closes = assessment.window_closes_at
    closes = closes.replace(tzinfo=UTC) if closes.tzinfo is None else closes.astimezone(UTC)
    assert assessment.window_open and closes == datetime(2099, 1, 31, 9, 0, tzinfo=UTC)  # 16:00 WIB
    overview = html.page(client.get(_admin(world)))
    assert overview.xpath("//*[@value='2099-01-31T16:00']") and "31-01-2099 16:00 WIB" in html.text_of(overview)
    saved = opd.post(f"{world.base()}/isian/{code}", data={"version": "0", "option": option},
                     headers=_htmx(opd_token))
    assert saved.status_code == 200


def test_the_window_hint_says_it_closes_by_itself_at_its_deadline(client, world, auth):
    """The runner closes the window at its deadline (issue 24): the hint once said it never did."""
    auth.login(client, "dp3a_a")
    client.cookies.set("kla_lang", "en")
    hint = html.text_of(html.page(client.get(_admin(world))), "//*[@id='closes_at-hint']")
    assert "closes by itself" in hint and "does not close" not in hint


@pytest.mark.parametrize(("fields", "message"), [
    ({"open": ""}, "Pilih apakah masa pengisian dibuka atau ditutup."),
    ({"open": "1", "closes_at": "besok"}, "bukan tanggal dan jam yang sah"),
    ({"open": "1", "closes_at": "2001-01-01T10:00"}, "sudah lewat"),
])
def test_window_form_problems_are_explained(client, world, auth, db, fields, message):
    token = auth.login(client, "dp3a_a")
    response = client.post(f"{_admin(world)}/jendela", data={"csrf_token": token, **fields})
    assert response.status_code == 422
    assert message in html.text_of(html.page(response))
    assert _audit(db, "assessment.window") == []


# -- who may --------------------------------------------------------------------------------


def _admin_routes(app, world) -> list[tuple[str, str]]:
    from app.factory import api_routes

    values = {"regency_code": world.regency_a.code, "year": str(world.year),
              "agency_id": str(world.agencies["dinkes_a"].id), "user_id": str(world.users["opd_a"].id)}
    found = []
    for route in api_routes(app):
        if route.name != "administration" and not route.name.startswith("admin_"):
            continue
        path = route.path
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", values[name])
        found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_there_are_the_expected_routes(app, world):
    routes = _admin_routes(app, world)
    assert len(routes) == 14  # with an account's e-mail address (issue 24, surel: tests/web/test_account_email.py)
    assert ("POST", f"{_admin(world)}/penugasan") in routes


@pytest.mark.parametrize("username", ["opd_a", "dp3a_b", "province", "admin"])
def test_nobody_else_administers_region_a(make_client, app, world, auth, db, username):
    client = make_client()
    token = auth.login(client, username)
    data = {"short_name": "X", "name": "X", "role_code": "DINKES", "username": "xx.yy", "full_name": "X",
            "role": "opd", "agency_id": str(world.agencies["dinkes_a"].id), "active": "0", "confirm": "1",
            "question": "1.1", "assigned": "0", "open": "0", "csrf_token": token}
    for method, path in _admin_routes(app, world):
        response = client.request(method, path, data=data if method == "POST" else None, follow_redirects=False)
        assert response.status_code == 403, (username, method, path, response.status_code)
    assert db.exec(select(AuditEntry).where(AuditEntry.action.notin_(["user.login", "assessment.open"]))).all() == []


def test_posts_without_a_csrf_token_are_refused(client, app, world, auth, db):
    auth.login(client, "dp3a_a")
    data = {"short_name": "X", "name": "X", "role_code": "DINKES", "username": "xx.yy", "full_name": "X",
            "role": "opd", "agency_id": str(world.agencies["dinkes_a"].id), "active": "0", "confirm": "1",
            "question": "1.1", "assigned": "0", "open": "0"}
    posts = [path for method, path in _admin_routes(app, world) if method == "POST"]
    assert len(posts) == 9
    for path in posts:
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path
        assert client.post(path, data=data, headers={"HX-Request": "true", "X-CSRF-Token": "falsch"},
                           follow_redirects=False).status_code == 403, path
    assert db.exec(select(AuditEntry).where(AuditEntry.action.notin_(["user.login", "assessment.open"]))).all() == []


def test_anonymous_visitors_are_sent_to_the_login(client, app, world):
    for method, path in _admin_routes(app, world):
        if method == "GET":
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/masuk"), path


def test_default_agency_names_fill_the_catalogues_kabupaten_kota_with_the_region():
    from app.services.setup import agency_name

    assert agency_name("Kantor Kementerian Agama Kabupaten/Kota", "Kota Palangkaraya") == \
        "Kantor Kementerian Agama Kota Palangkaraya"
    assert agency_name("Dinas Kesehatan", "Kabupaten Kapuas") == "Dinas Kesehatan Kabupaten Kapuas"
