"""Sessions live on the server (issue 19, items 2 and 8): a copied session cookie stops working the
moment its session ends (logout, a password change elsewhere, a reset, a deactivation of the
account or of its agency), and the check rides on the query that loads the user."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy import event
from sqlmodel import select

from app.models import Agency, Answer, User, UserSession, utcnow
from app.services.sessions import token_key

COOKIE = "kla_session"


def _replay(app, cookie: str, method: str = "GET", path: str = "/akun/sandi", **kwargs):
    """What someone holding a copy of the cookie gets: a fresh browser that sends only that cookie."""
    with TestClient(app) as stranger:
        headers = {"Cookie": f"{COOKIE}={cookie}", **kwargs.pop("headers", {})}
        return stranger.request(method, path, headers=headers, follow_redirects=False, **kwargs)


def _is_login_page(response) -> bool:
    """Sent to the login form: a redirect to /masuk, or htmx's 401 with HX-Redirect to it."""
    if response.status_code == 303:
        return response.headers["location"].startswith("/masuk")
    return response.status_code == 401 and response.headers.get("HX-Redirect", "").startswith("/masuk")


def _signed_in_page(response) -> bool:
    """The password page of a signed-in user (its form, not the login form)."""
    if response.status_code != 200:
        return False
    return bool(html.fromstring(response.text).xpath("//form[@action='/akun/sandi']"))


def _save(app, cookie: str, token: str, world, catalogue):
    """An htmx autosave of a Dinkes question, as the holder of `cookie` (with its CSRF token)."""
    ref = next(r for r in catalogue.iter_questions()
               if "DINKES" in r.question.agencies and catalogue.scales[r.question.scale].kind == "options")
    option = catalogue.scales[ref.question.scale].options[-1].code
    return _replay(app, cookie, "POST", f"{world.base()}/isian/{ref.question.code}",
                   data={"version": "0", "option": option},
                   headers={"X-CSRF-Token": token, "HX-Request": "true"})


def _sessions_of(db, username: str) -> list[UserSession]:
    db.expire_all()
    user = db.exec(select(User).where(User.username == username)).one()
    return list(db.exec(select(UserSession).where(UserSession.user_id == user.id)).all())


def test_a_copied_cookie_stops_working_at_logout(app, client, world, auth, db, catalogue):
    token = auth.login(client, "opd_a")
    copied = client.cookies.get(COOKIE)
    assert _signed_in_page(_replay(app, copied))  # the copy works while the session lasts
    assert client.post("/keluar", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert _sessions_of(db, "opd_a") == []
    assert _is_login_page(_replay(app, copied))
    assert _is_login_page(_replay(app, copied, path=f"{world.base()}/isian"))
    # Saving with the copy and its CSRF token is refused too, and writes nothing.
    assert _is_login_page(_save(app, copied, token, world, catalogue))
    assert db.exec(select(Answer)).all() == []


def test_a_copied_cookie_stops_working_when_the_password_is_changed_elsewhere(app, make_client, world, auth, db):
    thief, owner = make_client(), make_client()
    auth.login(thief, "opd_a")
    copied = thief.cookies.get(COOKIE)
    token = auth.login(owner, "opd_a")
    changed = owner.post("/akun/sandi", data={"current": auth.password, "new": "kata-sandi-baru",
                                              "confirm": "kata-sandi-baru", "csrf_token": token})
    assert changed.status_code == 200
    assert _is_login_page(_replay(app, copied))
    assert _is_login_page(thief.get("/akun/sandi", follow_redirects=False))
    assert _signed_in_page(owner.get("/akun/sandi"))  # the session that changed it stays
    assert len(_sessions_of(db, "opd_a")) == 1


def test_a_copy_of_the_changers_own_cookie_stops_working_when_it_changes_the_password(app, client, world, auth,
                                                                                         db):
    """The person who notices misuse changes the password in the browser whose cookie was copied:
    the copy ends with it, and that browser goes on under a new session."""
    token = auth.login(client, "opd_a")
    copied = client.cookies.get(COOKIE)
    changed = client.post("/akun/sandi", data={"current": auth.password, "new": "kata-sandi-baru",
                                               "confirm": "kata-sandi-baru", "csrf_token": token})
    assert changed.status_code == 200
    assert _is_login_page(_replay(app, copied))
    assert client.cookies.get(COOKIE) != copied
    assert _signed_in_page(client.get("/akun/sandi"))
    assert len(_sessions_of(db, "opd_a")) == 1


def test_a_copied_cookie_stops_working_after_a_reset_or_a_deactivation(app, make_client, world, auth, db):
    opd, dp3a = make_client(), make_client()
    auth.login(opd, "opd_a")
    copied = opd.cookies.get(COOKIE)
    token = auth.login(dp3a, "dp3a_a")
    target = world.users["opd_a"]
    base = f"{world.base()}/kelola/akun/{target.id}"
    assert dp3a.post(f"{base}/sandi", data={"confirm": "1", "csrf_token": token}).status_code == 200
    assert _is_login_page(_replay(app, copied))
    auth.login(opd, "opd_a2")
    second = opd.cookies.get(COOKIE)
    target = world.users["opd_a2"]
    deactivated = dp3a.post(f"{world.base()}/kelola/akun/{target.id}/status",
                            data={"active": "0", "csrf_token": token}, follow_redirects=False)
    assert deactivated.status_code == 303
    assert _sessions_of(db, "opd_a2") == []
    assert _is_login_page(_replay(app, second, path=f"{world.base()}/isian"))


def test_an_expired_session_gets_the_login_page_and_logins_prune_old_rows(app, make_client, world, auth, db):
    first, second = make_client(), make_client()
    auth.login(first, "opd_a")
    copied = first.cookies.get(COOKIE)
    (row,) = _sessions_of(db, "opd_a")
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.add(row)
    db.commit()
    assert _is_login_page(_replay(app, copied))
    auth.login(second, "opd_b")
    assert _sessions_of(db, "opd_a") == []  # pruned by the next login, whoever's it is
    (live,) = _sessions_of(db, "opd_b")
    assert timedelta(hours=11) < live.expires_at - utcnow() <= timedelta(hours=12)


def test_the_cookie_holds_a_token_whose_hash_keys_the_row(client, world, auth, db):
    auth.login(client, "opd_a")
    payload = client.cookies.get(COOKIE).split(".")[0]  # Starlette: base64(JSON).timestamp.signature
    content = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    (row,) = _sessions_of(db, "opd_a")
    assert row.id == token_key(content["sid"]) and row.id != content["sid"]  # the table alone logs nobody in


def test_the_session_is_checked_in_the_query_that_loads_the_user_and_the_place(app, client, world, auth):
    auth.login(client, "opd_a")
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    engine = app.state.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(f"{world.base()}/isian").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    checks = [s for s in statements if "usersession" in s]
    assert len(checks) == 1, checks  # no extra round trip per request
    # The session, the agency's state and the place come in the one query that loads the user.
    assert "join usersession" in checks[0] and "join agency" in checks[0] and "join cycle" in checks[0]


# -- item 8: a deactivated agency ----------------------------------------------------------


def _deactivate_agency(dp3a, world, token, agency: Agency):
    return dp3a.post(f"{world.base()}/kelola/opd/{agency.id}",
                     data={"short_name": agency.short_name, "name": agency.name, "role_code": agency.role_code,
                           "csrf_token": token}, follow_redirects=False)


def test_a_deactivated_agencys_accounts_can_neither_log_in_nor_save(app, make_client, world, auth, db, catalogue):
    opd, dp3a = make_client(), make_client()
    opd_token = auth.login(opd, "opd_a")
    copied = opd.cookies.get(COOKIE)
    token = auth.login(dp3a, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    assert _deactivate_agency(dp3a, world, token, dinkes).status_code == 303
    assert _sessions_of(db, "opd_a") == [] and _sessions_of(db, "opd_a2") == []
    # The open session has ended: pages and saves get the login page and write nothing.
    assert _is_login_page(opd.get(f"{world.base()}/isian", follow_redirects=False))
    assert _is_login_page(_save(app, copied, opd_token, world, catalogue))
    assert db.exec(select(Answer)).all() == []
    # A new login is refused. Whoever knows the password is told why (so the owner asks the DP3A
    # instead of retrying into the lock); a wrong password still says only that.
    fresh = make_client()
    refused = fresh.post("/masuk", data={"username": "opd_a2", "password": auth.password,
                                         "csrf_token": auth.csrf_of(fresh)}, follow_redirects=False)
    assert refused.status_code == 403
    said = html.fromstring(refused.text).xpath("//*[@id='login-error']")[0].text_content()
    assert "dinonaktifkan" in said and "DP3A" in said
    guessed = fresh.post("/masuk", data={"username": "opd_a2", "password": "bukan-sandinya",
                                         "csrf_token": auth.csrf_of(fresh)}, follow_redirects=False)
    assert guessed.status_code == 401
    assert "dinonaktifkan" not in html.fromstring(guessed.text).xpath("//*[@id='login-error']")[0].text_content()
    # A session that slipped past the ending (started before, checked after) is refused on every request.
    db.expire_all()
    agency = db.get(Agency, dinkes.id)
    agency.active = True
    db.add(agency)
    db.commit()
    late = make_client()
    auth.login(late, "opd_a2")
    agency.active = False
    db.add(agency)
    db.commit()
    assert _is_login_page(late.get("/akun/sandi", follow_redirects=False))
    assert _is_login_page(late.get(f"{world.base()}/isian", follow_redirects=False))


def test_a_reactivated_agencys_accounts_log_in_again(make_client, world, auth, db):
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    dinkes = world.agencies["dinkes_a"]
    assert _deactivate_agency(dp3a, world, token, dinkes).status_code == 303
    again = dp3a.post(f"{world.base()}/kelola/opd/{dinkes.id}",
                      data={"short_name": dinkes.short_name, "name": dinkes.name, "role_code": dinkes.role_code,
                            "active": "1", "csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303
    auth.login(make_client(), "opd_a")


def test_the_dp3a_cannot_deactivate_its_own_agency(client, world, auth, db):
    token = auth.login(client, "dp3a_a")
    own = world.agencies["dp3a_a"]
    response = _deactivate_agency(client, world, token, own)
    assert response.status_code == 409
    message = html.fromstring(response.text).xpath("//*[@id='active-error']")[0].text_content()
    assert "tidak dapat menonaktifkan OPD" in message
    db.expire_all()
    assert db.get(Agency, own.id).active
    assert _signed_in_page(client.get("/akun/sandi"))


def test_the_dp3a_is_told_a_deactivated_agencys_accounts_are_shut_out(make_client, world, auth):
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    saved = _deactivate_agency(dp3a, world, token, world.agencies["dinkes_a"])
    page = html.fromstring(dp3a.get(saved.headers["location"]).text)
    assert any("tidak dapat masuk selama OPD ini nonaktif" in p.text_content() for p in page.iter("p"))
    accounts = html.fromstring(dp3a.get(f"{world.base()}/kelola/akun").text)
    status = {row.xpath("string(th)").strip(): row.xpath("string(td[4])").strip()
              for row in accounts.xpath("//tbody/tr")}
    assert status["opd_a"] == "tidak dapat masuk: OPD-nya nonaktif"
    assert status["dp3a_a"] == "aktif"
