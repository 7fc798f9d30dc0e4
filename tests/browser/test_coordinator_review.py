"""Issue 24, item 1 in a browser: a cluster coordinator reviews their cluster before the DP3A.

Kota Palangka Raya's 2025 Gugus Tugas from the demo (`app/services/demo_taskforce.py`): Dinkes
coordinates Klaster III and the switch is on. Dinkes's focal point signs in, opens the Gugus Tugas from
the menu and its cluster, approves one waiting answer and returns another with a reason and a note;
the DP3A then finds the approved one in its queue (and the returned one not). The pages are checked
at 1280 and 360 px: no horizontal scroll, no console error, no serious/critical axe finding
(screenshots in test-artifacts/browser/gugus-*.png).

New pages' words may still be untranslated (locales/pending/): the test finds things by paths, ids,
names and classes, not by their text.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    WORKSPACE_URL,
    describe_violations,
    login_as,
    new_person,
    no_horizontal_scroll,
    shot,
)

COORDINATOR = "dinkes.palangkaraya"
DP3A = "dp3a.palangkaraya"
DP3A_LANDING = re.compile(r"/r/62\.71/\d{4}/(isian|dasbor|verifikasi)$")


def _clean(page, check_axe, name: str) -> None:
    violations = check_axe(page, name)
    assert not violations, describe_violations(violations)
    assert page.js_errors == [], "script errors:\n" + "\n".join(page.js_errors)
    width, inner = no_horizontal_scroll(page)
    assert width <= inner, f"{name}: the page scrolls sideways ({width} > {inner})"


def _year(page) -> str:
    return re.search(r"/r/62\.71/(\d{4})/", page.url).group(1)


def _waiting_codes(page) -> list[str]:
    return page.locator("#queue tbody tr td a").all_inner_texts()


@pytest.mark.axe
def test_coordinator_approves_and_returns_then_the_dp3a_sees_what_passed(desktop_page, live_server, artifacts,
                                                                           check_axe, browser):
    page = desktop_page
    login_as(page, live_server, COORDINATOR, WORKSPACE_URL)
    year = _year(page)
    base = f"{live_server}/r/62.71/{year}"
    page.locator("header.site-header nav").get_by_role("link", name="Gugus Tugas", exact=True).click()
    expect(page).to_have_url(f"{base}/gugus-tugas")
    expect(page.locator("li[data-part='K3']")).to_contain_text("Operator DINKES")
    shot(page, artifacts, "gugus-hub-coordinator-desktop")
    _clean(page, check_axe, "gugus-hub-coordinator")
    page.locator("nav.taskforce-tabs a[href$='/gugus-tugas/klaster']").click()
    expect(page).to_have_url(f"{base}/gugus-tugas/klaster")
    codes = _waiting_codes(page)
    assert len(codes) >= 2, "the demo leaves Klaster III answers waiting at Dinkes's desk"
    shot(page, artifacts, "gugus-cluster-queue-desktop")
    _clean(page, check_axe, "gugus-cluster-queue")
    passed, returned = codes[0], codes[1]

    page.locator("#queue").get_by_role("link", name=passed, exact=True).click()
    expect(page.locator("h1")).to_contain_text(passed)
    assert page.locator("input[name=score]").count() == 0, "a coordinator gives no score"
    shot(page, artifacts, "gugus-cluster-answer-desktop")
    _clean(page, check_axe, "gugus-cluster-answer")
    page.locator("button[name=action][value=approved]").click()
    expect(page).to_have_url(f"{base}/gugus-tugas/klaster")
    expect(page.locator("p.ok[role=status]")).to_contain_text(passed)
    assert passed not in _waiting_codes(page)

    page.locator("#queue").get_by_role("link", name=returned, exact=True).click()
    expect(page.locator("h1")).to_contain_text(returned)
    page.locator("#decision input[name=reasons]").first.check()
    page.locator("#review-note").fill("Lampirkan laporan yang sudah ditandatangani.")
    page.locator("button[name=action][value=returned]").click()
    expect(page).to_have_url(f"{base}/gugus-tugas/klaster")
    assert returned not in _waiting_codes(page)

    # The DP3A: the passed answer is in its waiting list, the returned one is not (it is with the agency).
    dp3a = new_person(browser)
    try:
        login_as(dp3a, live_server, DP3A, DP3A_LANDING)
        dp3a.goto(f"{base}/verifikasi")
        expect(dp3a.locator("p.at-coordinators")).to_be_visible()
        waiting = _waiting_codes(dp3a)
        assert passed in waiting and returned not in waiting
        # The coordinator's approval is said as theirs beside "to review", and above the DP3A's decision.
        row = dp3a.locator("#queue tbody tr").filter(has=dp3a.get_by_role("link", name=passed, exact=True))
        expect(row.locator(".by-coordinator")).to_be_visible()
        shot(dp3a, artifacts, "gugus-dp3a-queue-desktop")
        row.get_by_role("link", name=passed, exact=True).click()
        expect(dp3a.locator("p.coordinator-decision")).to_be_visible()
        shot(dp3a.locator("section.review-history"), artifacts, "gugus-dp3a-history-desktop")
        _clean(dp3a, check_axe, "gugus-dp3a-answer")
        dp3a.goto(f"{base}/gugus-tugas")
        expect(dp3a.locator("form.taskforce-form")).to_be_visible()
        expect(dp3a.locator("#tf-review")).to_be_checked()
        shot(dp3a, artifacts, "gugus-hub-dp3a-desktop")
        _clean(dp3a, check_axe, "gugus-hub-dp3a")
    finally:
        dp3a.context.close()


@pytest.mark.axe
def test_gugus_tugas_pages_on_a_phone(phone_page, live_server, artifacts, check_axe, browser):
    page = phone_page
    login_as(page, live_server, COORDINATOR, WORKSPACE_URL)
    base = f"{live_server}/r/62.71/{_year(page)}"
    for path, name in (("/gugus-tugas", "hub-coordinator"), ("/gugus-tugas/klaster", "cluster-queue")):
        page.goto(base + path)
        expect(page.locator("h1")).to_be_visible()
        shot(page, artifacts, f"gugus-{name}-phone")
        _clean(page, check_axe, f"gugus-{name}-phone")
    first = page.locator("#queue tbody tr td a").first
    first.click()
    expect(page.locator("#decision")).to_be_visible()
    shot(page, artifacts, "gugus-cluster-answer-phone")
    _clean(page, check_axe, "gugus-cluster-answer-phone")
    # The agency's list: an answer its coordinator approved says whose approval it is.
    page.goto(f"{base}/isian")
    badge = page.locator(".badge.by-coordinator").first
    badge.scroll_into_view_if_needed()
    expect(badge).to_be_visible()
    shot(page, artifacts, "gugus-workspace-badge-phone")
    _clean(page, check_axe, "gugus-workspace-badge-phone")
    dp3a = new_person(browser, {"width": 360, "height": 780})
    try:
        login_as(dp3a, live_server, DP3A, DP3A_LANDING)
        dp3a.goto(f"{base}/gugus-tugas")
        expect(dp3a.locator("form.taskforce-form")).to_be_visible()
        shot(dp3a, artifacts, "gugus-hub-dp3a-phone")
        _clean(dp3a, check_axe, "gugus-hub-dp3a-phone")
        # The queue and an answer a coordinator passed, with their words, on a phone.
        dp3a.goto(f"{base}/verifikasi")
        passed = dp3a.locator("#queue tbody tr").filter(has=dp3a.locator(".by-coordinator")).first
        expect(passed).to_be_visible()
        shot(passed, artifacts, "gugus-dp3a-queue-row-phone")
        _clean(dp3a, check_axe, "gugus-dp3a-queue-phone")
        passed.locator("a").first.click()
        expect(dp3a.locator("p.coordinator-decision")).to_be_visible()
        shot(dp3a.locator("#decision"), artifacts, "gugus-dp3a-decision-phone")
        _clean(dp3a, check_axe, "gugus-dp3a-answer-phone")
    finally:
        dp3a.context.close()
