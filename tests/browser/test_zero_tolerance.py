"""Zero tolerance (issue 20, item 16): a tour of every role's pages, at 1280 and 360 px, with the htmx
swaps each page offers. The page fixtures fail the test on any console error, CSP refusal or axe-core
serious/critical finding on any page visited (helpers.guard): this test makes sure they visit them all.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login_as, open_card, shot, unanswered

WIDTHS = ["desktop", "phone"]
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")
REGION = "/r/62.71"


def _year(page) -> str:
    return re.search(r"/(\d{4})(/|$)", page.url).group(1)


def _visit(page, url: str, artifacts, name: str) -> None:
    page.goto(url)
    expect(page.locator("h1").first).to_be_visible()
    shot(page, artifacts, name)


def _answered_code(page) -> str:
    return page.eval_on_selector_all(
        "details.question",
        """rows => rows.filter(d => !d.querySelector('summary span[id^="badge-"]').classList.contains('status-empty'))
                      .map(d => d.querySelector('summary .code').textContent.trim())[0]""",
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_opd_pages(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dinkes.palangkaraya", ANYWHERE)
    year = _year(page)
    questions = unanswered(page)
    open_card(page, questions[len(questions) // 4])  # an htmx swap
    code = _answered_code(page)
    _visit(page, f"{live_server}{REGION}/{year}/riwayat/{code}", artifacts, f"zero-history-{width}")
    _visit(page, f"{live_server}/akun/sandi", artifacts, f"zero-password-{width}")
    _visit(page, f"{live_server}/instrumen", artifacts, f"zero-catalogue-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_dp3a_pages(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
    year = _year(page)
    base = f"{live_server}{REGION}/{year}"
    for path, name in [("/dasbor", "dashboard"), ("/verifikasi", "queue"), ("/kirim-penilaian", "submit"),
                       ("/kelola", "admin"), ("/kelola/opd", "agencies"), ("/kelola/akun", "users"),
                       ("/kelola/penugasan", "assignments"), ("/impor", "import")]:
        _visit(page, base + path, artifacts, f"zero-dp3a-{name}-{width}")
    _visit(page, f"{live_server}{REGION}/tahun", artifacts, f"zero-dp3a-years-{width}")
    _visit(page, base + "/verifikasi", artifacts, f"zero-dp3a-queue-{width}")
    first = page.locator("#queue tbody tr a").first
    if first.count():
        first.click()
        expect(page.locator("h1").first).to_be_visible()
        shot(page, artifacts, f"zero-dp3a-detail-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_province_and_national_pages(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "prov.kalteng", ANYWHERE)
    # Sorting swaps the table in with htmx; the sorted header says so (aria-sort on the header cell).
    page.locator("#region-table thead a", has_text="Diverifikasi").first.or_(
        page.locator("#region-table thead a").nth(4)).first.click()
    expect(page.locator("#region-table th[aria-sort]")).to_have_count(1)
    shot(page, artifacts, f"zero-province-{width}")
    dashboards = page.locator("#region-table tbody a")
    if dashboards.count():  # a kab/kota already submitted to the province
        dashboards.first.click()
        expect(page.locator("h1").first).to_be_visible()
        shot(page, artifacts, f"zero-province-dashboard-{width}")
    page.context.clear_cookies()
    login_as(page, live_server, "admin.kemenpppa", ANYWHERE)
    expect(page.locator("h1").first).to_be_visible()
    shot(page, artifacts, f"zero-national-{width}")
