"""Error pages: a person gets an HTML page in Bahasa Indonesia (never FastAPI's raw JSON), with the
security headers, whatever went wrong; the JSON API keeps answering JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from lxml import html

from app import i18n
from app.security_headers import CONTENT_SECURITY_POLICY

HARDENING = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def indonesian(msgid: str) -> str:
    token = i18n.current_language.set("id")
    try:
        text = i18n.gettext(msgid)
    finally:
        i18n.current_language.reset(token)
    assert text != msgid, f"no Indonesian translation of {msgid!r}"
    return text


def _boom():
    raise RuntimeError("a failure nobody foresaw")


@pytest.fixture
def browser(app):
    """A browser against the app, with a route that fails the way a bug would; a 500 is an answer here."""
    app.add_api_route("/uji-gagal", _boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def assert_error_page(response, status: int, msgid: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    for name, value in HARDENING.items():
        assert response.headers.get(name) == value, (status, name, response.headers.get(name))
    page = html.fromstring(response.text)
    assert page.get("lang") == "id"
    assert [p.text_content() for p in page.xpath("//p[@class='error']")] == [indonesian(msgid)]


def test_every_kind_of_error_is_an_indonesian_page_with_the_security_headers(browser, world, auth):
    assert_error_page(browser.get("/tidak-ada"), 404, "The page you asked for does not exist.")
    assert_error_page(browser.get("/keluar"), 405, "This address does not accept that kind of request.")
    # A query parameter FastAPI cannot read (unduh is a number): before, FastAPI's JSON 422.
    auth.login(browser, "dp3a_a")
    assert_error_page(browser.get(f"{world.base()}/bukti/1", params={"unduh": "²"}), 422,
                      "Something in the address or the form is not valid. Go back, check what you entered and "
                      "try again.")
    assert_error_page(browser.post("/akun/sandi", data={"current": "x"}), 403,
                      "This form has expired or came from another site. Reload the page and try again; what you "
                      "typed is still in the form.")
    # An unexpected exception: before, Starlette's plain-text "Internal Server Error" without any header.
    assert_error_page(browser.get("/uji-gagal"), 500,
                      "Something went wrong on our side. What you saved before is kept; reload the page and try "
                      "again, and tell your administrator if it happens again.")


def test_an_htmx_request_gets_its_error_in_the_flash_area(browser):
    response = browser.get("/uji-gagal", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["cache-control"] == "no-store"
    assert html.fragment_fromstring(response.text).get("role") == "alert"


def test_the_server_error_page_speaks_english_when_asked(browser):
    browser.cookies.set("kla_lang", "en")
    page = html.fromstring(browser.get("/uji-gagal").text)
    assert page.get("lang") == "en"
    assert page.xpath("string(//p[@class='error'])").startswith("Something went wrong on our side.")


def test_a_malformed_id_or_region_in_the_address_is_a_missing_page_not_a_crash(browser, world, auth):
    auth.login(browser, "dp3a_a")
    for path in (f"{world.base()}/bukti/{2**63}", f"{world.base()}/verifikasi-bukti/{2**64}",
                 f"{world.base()}/kelola/opd/²", f"{world.base()}/kelola/opd/0", "/r/%00/2024/isian",
                 "/r/٦٢.٧١/2024/isian", "/provinsi/%00/2024"):
        assert_error_page(browser.get(path), 404, "The page you asked for does not exist.")


def test_the_json_api_keeps_answering_json(browser, world, auth):
    auth.login(browser, "admin")
    response = browser.get("/api/v1/nation/abc")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"][0]["loc"] == ["path", "year"]
