"""Logging in and out, throttling, password change, the session cookie."""

from __future__ import annotations

from sqlmodel import select

from app.models import AuditEntry, LoginAttempt


def _post_login(client, username, password, token):
    return client.post("/masuk", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_login_sets_a_safe_session_cookie_and_lands_on_the_workspace(client, world, auth):
    token = auth.csrf_of(client)
    response = _post_login(client, "opd_a", auth.password, token)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "kla_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert client.get("/", follow_redirects=False).headers["location"] == f"{world.base()}/isian"


def test_wrong_password_is_refused_in_indonesian(client, world, auth):
    response = _post_login(client, "opd_a", "salah-sekali", auth.csrf_of(client))
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert 'value="opd_a"' in response.text  # the username is kept in the form


def test_unknown_user_gets_the_same_answer(client, world, auth):
    response = _post_login(client, "tidak.ada", "apa-saja-123", auth.csrf_of(client))
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text


def test_failed_logins_are_throttled(client, world, auth, db):
    token = auth.csrf_of(client)
    for _ in range(5):
        assert _post_login(client, "opd_a", "salah", token).status_code == 401
    blocked = _post_login(client, "opd_a", auth.password, token)
    assert blocked.status_code == 429
    assert "Tunggu 15 menit" in blocked.text
    assert len(db.exec(select(LoginAttempt)).all()) == 5


def test_login_without_csrf_token_is_refused(client, world, auth):
    response = client.post("/masuk", data={"username": "opd_a", "password": auth.password}, follow_redirects=False)
    assert response.status_code == 403


def test_next_parameter_never_leaves_the_site(client, world, auth):
    token = auth.csrf_of(client)
    response = client.post(
        "/masuk",
        data={"username": "opd_a", "password": auth.password, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_logout_ends_the_session(client, world, auth):
    token = auth.login(client, "opd_a")
    assert client.post("/keluar", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert client.get("/akun/sandi", follow_redirects=False).headers["location"].startswith("/masuk")


def test_password_change_logs_out_other_sessions(make_client, world, auth, db):
    here, elsewhere = make_client(), make_client()
    token = auth.login(here, "opd_a")
    auth.login(elsewhere, "opd_a")
    short = here.post("/akun/sandi", data={"current": auth.password, "new": "pendek", "confirm": "pendek",
                                           "csrf_token": token})
    assert short.status_code == 400 and "minimal 8 karakter" in short.text
    wrong = here.post("/akun/sandi", data={"current": "keliru", "new": "kata-sandi-baru", "confirm": "kata-sandi-baru",
                                           "csrf_token": token})
    assert wrong.status_code == 400 and "Kata sandi saat ini salah." in wrong.text
    done = here.post("/akun/sandi", data={"current": auth.password, "new": "kata-sandi-baru",
                                          "confirm": "kata-sandi-baru", "csrf_token": token})
    assert done.status_code == 200 and "sudah diganti" in done.text
    assert here.get("/akun/sandi").status_code == 200  # this session stays
    assert elsewhere.get("/akun/sandi", follow_redirects=False).status_code == 303  # the other one ended
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "user.password")).first() is not None
    fresh = make_client()
    auth.login(fresh, "opd_a", "kata-sandi-baru")


def test_htmx_request_without_session_is_told_to_redirect(client, world):
    response = client.get(f"{world.base()}/isian", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/masuk")
