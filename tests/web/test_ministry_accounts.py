"""Issue 22: the ministry's administrators create and keep reviewer accounts (by province) and
field verifier accounts (by organisation): a temporary password shown once, every change audited."""

from __future__ import annotations

from sqlmodel import select

from app.models import AuditEntry, Role, User
from tests import html

URL = "/kementerian/akun"


def _admin(make_client, auth):
    client = make_client()
    token = auth.login(client, "admin")
    client.cookies.set("kla_lang", "en")
    return client, token


def _user(db, username) -> User | None:
    db.expire_all()
    return db.exec(select(User).where(User.username == username)).first()


def test_a_reviewer_account_with_provinces_and_a_password_shown_once(make_client, auth, db, world):
    admin, token = _admin(make_client, auth)
    page = html.page(admin.get(URL))
    assert html.attrs(page, "//nav[@aria-label='Main menu']//a/@href").count(URL) == 1
    assert html.attrs(page, "//datalist[@id='organisations']/option/@value")[:2] == ["KemenPPPA", "Kemenkes"]
    created = admin.post(URL, data={"csrf_token": token, "username": "rina.kemen", "full_name": "Rina Kemen",
                                    "role": "reviewer", "provinces": ["63", "62"], "organisation": "KemenPPPA"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    password = html.text_of(html.page(created), "//code[@class='temp-password']")
    assert len(password) >= 10
    user = _user(db, "rina.kemen")
    assert user.role == Role.REVIEWER and user.provinces == ["62", "63"] and user.organisation == "KemenPPPA"
    assert password not in admin.get(URL).text  # once
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.after["provinces"] == ["62", "63"]
    # The new reviewer logs in and lands on their first province.
    reviewer = make_client()
    auth.login(reviewer, "rina.kemen", password)
    assert reviewer.get("/", follow_redirects=False).headers["location"] == f"/provinsi/62/{world.year}"


def test_refused_forms_say_what_is_missing(make_client, auth, db, world):
    admin, token = _admin(make_client, auth)
    no_province = admin.post(URL, data={"csrf_token": token, "username": "tono", "full_name": "Tono",
                                        "role": "reviewer"})
    assert no_province.status_code == 422
    assert "at least one province" in html.text_of(html.page(no_province), "//*[@id='provinces-error']")
    unknown = admin.post(URL, data={"csrf_token": token, "username": "tono", "full_name": "Tono",
                                    "role": "reviewer", "provinces": ["99"]})
    assert unknown.status_code == 422
    no_org = admin.post(URL, data={"csrf_token": token, "username": "tono", "full_name": "Tono", "role": "verifier"})
    assert no_org.status_code == 422
    assert "organisation" in html.text_of(html.page(no_org), "//*[@id='organisation-error']")
    wrong_role = admin.post(URL, data={"csrf_token": token, "username": "tono", "full_name": "Tono", "role": "admin",
                                       "organisation": "X"})
    assert wrong_role.status_code == 422
    taken = admin.post(URL, data={"csrf_token": token, "username": "reviewer", "full_name": "Dua",
                                  "role": "verifier", "organisation": "Kemenkes"})
    assert taken.status_code == 422
    assert _user(db, "tono") is None


def test_edit_reset_deactivate_and_reactivate(make_client, auth, db, world):
    admin, token = _admin(make_client, auth)
    reviewer = _user(db, "reviewer")
    url = f"{URL}/{reviewer.id}"
    saved = admin.post(url, data={"csrf_token": token, "provinces": ["62", "63"], "organisation": "Kemensos"},
                       follow_redirects=False)
    assert saved.status_code == 303
    assert _user(db, "reviewer").provinces == ["62", "63"]
    again = admin.post(url, data={"csrf_token": token, "provinces": ["62", "63"], "organisation": "Kemensos"},
                       follow_redirects=False)
    assert "Nothing changed" in html.text_of(html.page(admin.get(again.headers["location"])), "//*[@role='status']")
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "user.update")).all()) == 1
    refused = admin.post(url, data={"csrf_token": token, "organisation": "Kemensos"})
    assert refused.status_code == 422 and _user(db, "reviewer").provinces == ["62", "63"]

    reset = admin.post(f"{url}/sandi", data={"csrf_token": token, "confirm": "1"})
    password = html.text_of(html.page(reset), "//code[@class='temp-password']")
    fresh = make_client()
    auth.login(fresh, "reviewer", password)

    off = admin.post(f"{url}/status", data={"csrf_token": token, "active": "0"}, follow_redirects=False)
    assert off.status_code == 303 and not _user(db, "reviewer").active
    assert fresh.get("/", follow_redirects=False).headers["location"].startswith("/masuk")  # its sessions ended
    on = admin.post(f"{url}/status", data={"csrf_token": token, "active": "1"}, follow_redirects=False)
    assert on.status_code == 303 and _user(db, "reviewer").active
    # Only the ministry's own accounts: a kab/kota account is no such account here.
    assert admin.post(f"{URL}/{_user(db, 'opd_a').id}", data={"csrf_token": token}).status_code == 404
