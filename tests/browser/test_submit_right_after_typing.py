"""Typing a note and clicking "submit" at once, on a slow line: the note is in what is submitted.

The click blurs the note, whose save leaves first; on a slow line the submission could overtake
it, make the answer read-only, and the save would then be refused (409) with the typing lost.
Here the save is held in the network until the submission had every chance to overtake it.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import SAVED, login_as, new_person, shot, unanswered

DP3A = "dp3a.lamandau"  # a region no other browser test answers in
LANDING = re.compile(r"/r/62\.09/\d{4}/isian$")
NOTE = "Perbup 7/2024, ditandatangani 3 Mei."


def _open_unanswered(browser, live_server, catalogue, *, options: bool):
    """The DP3A on the page of an unanswered question that needs no file, on an options scale or not."""
    page = new_person(browser)
    login_as(page, live_server, DP3A, LANDING)
    workspace = page.url
    question = next(q for q in unanswered(page)
                    if not catalogue.questions[q.code].question.evidence.required
                    and (catalogue.scales[catalogue.questions[q.code].question.scale].kind == "options") == options)
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
