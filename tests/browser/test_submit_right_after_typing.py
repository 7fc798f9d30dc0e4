"""Typing a note and clicking "submit" at once, on a slow line: the note is in what is submitted.

The click blurs the note, whose save leaves first; on a slow line the submission could overtake
it, make the answer read-only, and the save would then be refused (409) with the typing lost.
Here the save is held in the network until the submission had every chance to overtake it.

The press on "submit" blurs the number field too, and the save that leaves shows "Menyimpan…": at
360 px that wraps the line under the form and pushes the button down before the button is released,
so the release (and the click) landed beside it. Those tests press with the mouse, as a person does.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import SAVED, describe_violations, login_as, new_person, shot, unanswered
from tests.browser.seasons import live_cycle, live_database_url

DP3A = "dp3a.lamandau"  # a region no other browser test answers in
REGION = "62.09"
YEAR = 2032  # the region's live cycle of this file: the demo's 2024 is published (read-only)
LANDING = re.compile(r"/r/62\.09/2032/isian$")
NOTE = "Perbup 7/2024, ditandatangani 3 Mei."


@pytest.fixture(scope="module", autouse=True)
def _answering(live_server, catalogue, tmp_path_factory):
    """The region answering in YEAR: its 2024 answers given again and submitted, the rest open."""
    live_cycle(live_database_url(tmp_path_factory), catalogue, REGION, YEAR)


def _open_unanswered(browser, live_server, catalogue, *, options: bool, page=None, kind: str | None = None):
    """The DP3A on the page of an unanswered question that needs no file, on an options scale or not
    (or on the scale `kind`), in a fresh browser or in `page`."""
    page = page or new_person(browser)
    login_as(page, live_server, DP3A, LANDING)
    workspace = page.url

    def fits(code: str) -> bool:
        scale = catalogue.scales[catalogue.questions[code].question.scale].kind
        return (not catalogue.questions[code].question.evidence.required
                and (scale == kind if kind else (scale == "options") == options))

    question = next(q for q in unanswered(page) if fits(q.code))
    page.goto(f"{workspace}/{question.code}")
    return page, question


def test_a_note_typed_just_before_submitting_is_submitted(browser, live_server, artifacts, catalogue):
    page, question = _open_unanswered(browser, live_server, catalogue, options=True)
    page.locator(f"#form-{question.dom} input[type=radio]").last.check()
    expect(page.locator(f"#state-{question.dom}")).to_have_text(SAVED)

    held = []

    def hold_saves(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(rf"/isian/{re.escape(question.code)}$"), hold_saves)
    page.locator(f"#note-{question.dom}").press_sequentially(NOTE, delay=5)
    page.locator(f"#card-{question.dom} form.submit-one button").click()
    page.wait_for_timeout(1500)  # time for a submission that did not wait to land
    assert len(held) == 1, "the note's save did not leave when the click blurred it"
    held[0].continue_()

    card = page.locator(f"#card-{question.dom}")
    expect(card.locator("form.answer")).to_have_count(0)  # submitted: read-only
    expect(card).to_contain_text(NOTE)
    shot(page, artifacts, "submit-right-after-typing")
    assert page.js_errors == [], page.js_errors
    page.context.close()


def test_a_submission_behind_a_refused_save_does_not_go(browser, live_server, artifacts, catalogue):
    """The number typed just before the click is refused: the answer stays editable, with the reason."""
    page, question = _open_unanswered(browser, live_server, catalogue, options=False)
    value = page.locator(f"#value-{question.dom}")
    value.fill("12")
    value.blur()
    expect(page.locator(f"#state-{question.dom}")).to_have_text(SAVED)
    value.fill("12 orang")  # not a number
    page.locator(f"#card-{question.dom} form.submit-one button").click()
    expect(page.locator(f"#state-{question.dom}")).to_contain_text("bukan angka")
    page.wait_for_timeout(1000)  # time for a queued submission to land, if it went
    card = page.locator(f"#card-{question.dom}")
    expect(card.locator("form.answer")).to_have_count(1)  # still editable: not submitted
    expect(page.locator(f"#state-{question.dom}")).to_contain_text("bukan angka")
    shot(page, artifacts, "submit-behind-refused-save")
    unexpected = [e for e in page.js_errors if "status of 422" not in e]  # the refused save itself
    assert unexpected == [], unexpected
    page.context.close()


def _press(page, button, question, *, double: bool = False) -> None:
    """Press and release the mouse over the button as a person does (a short hold, not one instant),
    on a line slower than the hold: a save the press sets off answers only after the release."""
    held = []

    def hold_saves(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    saves = re.compile(rf"/isian/{re.escape(question.code)}$")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.route(saves, hold_saves)
    for count in (1, 2) if double else (1,):
        page.mouse.down(click_count=count)
        page.wait_for_timeout(100)
        page.mouse.up(click_count=count)
        page.wait_for_timeout(60)
    for route in held:
        route.continue_()
    page.unroute(saves, hold_saves)


def _correct_then_submit(page, live_server, catalogue, check_axe, artifacts, *, double: bool):
    """At 360 px: 150 % refused (the submission does not go), then 60 saved, then one press (or two)
    on "Kirim" submits it, once."""
    page, question = _open_unanswered(None, live_server, catalogue, options=False, page=page, kind="percent")
    submits = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith(f"/isian/{question.code}/kirim")
            and submits.append(r.url))
    card = page.locator(f"#card-{question.dom}")
    value = page.locator(f"#value-{question.dom}")
    state = page.locator(f"#state-{question.dom}")
    button = card.locator("form.submit-one button")

    value.click()
    value.press_sequentially("150", delay=30)
    _press(page, button, question)  # straight away: the blur's save is refused, the submission behind it must not go
    expect(state).to_have_text("Nilai harus antara 0 dan 100.")
    page.wait_for_timeout(1000)  # time for a queued submission to land, if it went
    expect(card.locator("form.answer")).to_have_count(1)
    expect(state).to_have_text("Nilai harus antara 0 dan 100.")
    assert submits == [], "the submission went behind a refused value"

    value.click()
    value.press("Control+a")
    value.press_sequentially("60", delay=30)
    expect(state).to_have_text(SAVED)  # the autosave after the typing stopped
    _press(page, button, question, double=double)
    expect(card.locator("form.answer")).to_have_count(0)  # submitted: read-only
    expect(card).to_contain_text("60")
    page.wait_for_timeout(1000)  # time for a second submission to leave, if one was queued
    assert len(submits) == 1, f"{len(submits)} submissions for one {'double-click' if double else 'click'}"
    shot(page, artifacts, f"submit-after-correcting-{'double' if double else 'single'}-click")

    violations = check_axe(page, f"submit-after-correcting-{question.dom}")
    assert not violations, describe_violations(violations)
    unexpected = [e for e in page.js_errors if "status of 422" not in e]  # the refused save itself
    assert unexpected == [], unexpected


@pytest.mark.axe
def test_the_first_click_submits_a_corrected_number(phone_page, live_server, artifacts, catalogue, check_axe):
    assert phone_page.viewport_size == PHONE
    _correct_then_submit(phone_page, live_server, catalogue, check_axe, artifacts, double=False)


@pytest.mark.axe
def test_a_double_click_submits_a_corrected_number_once(phone_page, live_server, artifacts, catalogue, check_axe):
    _correct_then_submit(phone_page, live_server, catalogue, check_axe, artifacts, double=True)
