"""Errors appear where the eye is (issue 20, item 10), at 1280 and 360 px: after a refused action the
message is in view and has the focus, for an htmx swap (a "not applicable" answer submitted without a
note) and for a full-page form (an account form sent back with errors)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SAVED, login_as, open_card, shot, unanswered

WIDTHS = ["desktop", "phone"]
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")


def _focused_alert(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const box = el.getBoundingClientRect();
            return {alert: el.getAttribute('role') === 'alert', text: el.textContent.trim(),
                    inView: box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0};
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_submission_shows_its_reason_in_view_with_focus(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dinkes.palangkaraya", ANYWHERE)
    questions = unanswered(page)
    question = questions[-1 - (width == "phone")]  # one per width, far down the list
    card = open_card(page, question)
    # A resized note field carries an inline style (the browser's resize grip sets it): the card
    # swapped in below must not copy it over (htmx's settle would, and the CSP refuses it).
    page.evaluate(f"() => document.getElementById('note-{question.dom}').style.height = '120px'")
    card.locator(f"#na-{question.dom}").check()
    expect(page.locator(f"#state-{question.dom}")).to_have_text(SAVED)
    card.get_by_role("button", name=re.compile("Kirim jawaban ini")).click()
    alert = page.locator(f"#card-{question.dom} p.error[role=alert]")
    expect(alert).to_contain_text("catatan")
    expect(alert).to_be_focused()
    state = _focused_alert(page)
    assert state["alert"] and state["inView"], state
    shot(page, artifacts, f"error-in-view-na-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_invalid_account_form_shows_its_errors_in_view_with_focus(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
    year = re.search(r"/(\d{4})/", page.url).group(1)
    page.goto(f"{live_server}/r/62.71/{year}/kelola/akun")
    form = page.locator("form").filter(has=page.locator("input[name=username]")).first
    form.locator("input[name=username]").fill("x")  # too short / invalid
    form.evaluate("f => f.noValidate = true")
    form.locator("button[type=submit]").click()
    alert = page.locator("main [role=alert]").first
    expect(alert).to_be_visible()
    expect(alert).to_be_focused()
    state = _focused_alert(page)
    assert state["alert"] and state["inView"], state
    shot(page, artifacts, f"error-in-view-account-{width}")
