"""Offline work in the workspace (issue 25, offline): the line drops, answers and notes keep being
accepted, wait in the browser (IndexedDB) and are sent in order when it returns; a reload offline shows
the last copy (from the service worker) with the waiting edits; a conflict is shown and nothing lost;
logging out empties the kept copy.

The questions are KEMENAG's of Kota Palangka Raya, which no other browser test answers (another test
only opens that agency's history pages); each test takes its own, from a list read once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    SAVED,
    WAIT_MS,
    Question,
    forgive,
    login_as,
    new_person,
    no_horizontal_scroll,
    open_card,
    shot,
    unanswered,
)

USER = "kemenag.palangkaraya"
LANDING = re.compile(r"/r/62\.71/\d{4}/isian$")
# What Chromium and htmx log for a request the test cuts on purpose (the user sees the "kept" state instead).
ABORTED = re.compile(r"Failed to load resource: net::ERR_(FAILED|INTERNET_DISCONNECTED)|htmx:(sendError|afterRequest), ")


@pytest.fixture(scope="module")
def questions(browser, live_server) -> list[Question]:
    """KEMENAG's unanswered questions, read once, leaving out the first and the last (other tests take
    an agency's first or last unanswered question)."""
    page = new_person(browser)
    login_as(page, live_server, USER, LANDING)
    found = unanswered(page)[1:-1]
    page.context.close()
    assert len(found) >= 7, found
    return found


def person(browser, live_server, viewport=DESKTOP) -> Page:
    """KEMENAG's operator on the workspace, with the service worker in charge of the page."""
    page = new_person(browser, viewport)
    login_as(page, live_server, USER, LANDING)
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    return page


def waiting(page: Page, n: int) -> None:
    status = page.locator("#offline-status")
    expect(status).to_have_attribute("data-waiting-count", str(n))
    if n:
        expect(status).to_be_visible()
        expect(status).to_contain_text(page.eval_on_selector(
            "#offline-status", "(s, n) => s.dataset.waiting.replace('{n}', n)", n))


def kept(page: Page, question: Question) -> None:
    """The edit's state says it is kept on this device (the text of data-kept, in the page's language)."""
    expected = page.eval_on_selector("#offline-status", "s => s.dataset.kept")
    expect(page.locator(f"#state-{question.dom}")).to_have_text(expected)


def note_on_server(browser, live_server, question: Question) -> str:
    """The note as the server has it: a fresh person (no service worker yet), online, reads the card."""
    page = new_person(browser)
    login_as(page, live_server, USER, LANDING)
    card = open_card(page, question)
    value = card.locator(f"#note-{question.dom}").input_value()
    page.context.close()
    return value


def test_a_note_typed_offline_is_saved_when_the_line_returns(browser, live_server, artifacts, questions):
    page = person(browser, live_server)
    question = questions[0]
    card = open_card(page, question)
    page.context.set_offline(True)
    expect(page.locator("#offline-status")).to_be_visible()
    page.locator(f"#note-{question.dom}").fill("Catatan luring: SK Bupati 12/2024.")
    kept(page, question)
    waiting(page, 1)
    # What needs the server waits, with a short note; the answer's own fields keep working.
    expect(card.locator("form.upload button[type=submit]")).to_be_disabled()
    expect(card.locator("form.upload .offline-note")).to_be_visible()
    expect(page.locator("form.submit-all button")).to_be_disabled()
    expect(page.locator(f"#note-{question.dom}")).to_be_enabled()
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(viewport)
        scroll_width, width = no_horizontal_scroll(page)
        assert scroll_width <= width, f"{name}: {scroll_width} > {width}"
        page.locator("#offline-status").scroll_into_view_if_needed()
        shot(page, artifacts, f"offline-waiting-{name}")
    page.set_viewport_size(DESKTOP)

    page.context.set_offline(False)
    waiting(page, 0)
    expect(page.locator(f"#state-{question.dom}")).to_have_text(SAVED)
    expect(card.locator("form.upload button[type=submit]")).to_be_enabled()
    expect(card.locator("form.upload .offline-note")).to_have_count(0)
    assert note_on_server(browser, live_server, question) == "Catatan luring: SK Bupati 12/2024."
    page.context.close()


def test_several_edits_offline_are_sent_in_order_and_the_last_wins(browser, live_server, questions):
    page = person(browser, live_server)
    first, second = questions[1], questions[2]
    open_card(page, first)
    open_card(page, second)
    version = int(page.locator(f"#version-{first.dom}").input_value())
    page.context.set_offline(True)
    page.locator(f"#note-{first.dom}").fill("Versi pertama")
    kept(page, first)
    page.locator(f"#note-{second.dom}").fill("Catatan kedua")
    kept(page, second)
    page.locator(f"#note-{first.dom}").fill("Versi terakhir")
    expect(page.locator("#offline-status")).to_have_attribute("data-waiting-count", "3")
    waiting(page, 3)

    page.context.set_offline(False)
    waiting(page, 0)
    # Two saves of the first answer, one after the other: each from the version the one before gave.
    expect(page.locator(f"#version-{first.dom}")).to_have_value(str(version + 2))
    expect(page.locator(f"#state-{first.dom}")).to_have_text(SAVED)
    assert note_on_server(browser, live_server, first) == "Versi terakhir"
    assert note_on_server(browser, live_server, second) == "Catatan kedua"
    page.context.close()


def test_a_reload_offline_shows_the_kept_copy_with_the_waiting_edits(browser, live_server, artifacts, questions):
    page = person(browser, live_server, PHONE)
    question = questions[3]
    open_card(page, question)  # the card, fetched through the worker, is kept with the page
    page.context.set_offline(True)
    page.locator(f"#note-{question.dom}").fill("Diketik di lapangan tanpa sinyal.")
    kept(page, question)
    waiting(page, 1)

    page.reload()
    # The worker's copy: read-only, the waiting edit in its field, the banner counting it.
    expect(page.locator("body")).to_have_attribute("data-offline-copy", "1")
    note = page.locator(f"#note-{question.dom}")
    expect(note).to_have_value("Diketik di lapangan tanpa sinyal.")
    expect(note).to_be_disabled()
    waiting(page, 1)
    expect(page.locator("#offline-status")).to_contain_text(
        page.eval_on_selector("#offline-status", "s => s.dataset.copy"))
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(viewport)
        scroll_width, width = no_horizontal_scroll(page)
        assert scroll_width <= width, f"{name}: {scroll_width} > {width}"
        page.locator("#offline-status").scroll_into_view_if_needed()
        shot(page, artifacts, f"offline-copy-{name}")

    page.context.set_offline(False)  # the copy reloads the live page, which sends what waits
    expect(page.locator("body")).not_to_have_attribute("data-offline-copy", "1")
    waiting(page, 0)
    # The card opens (it held a waiting edit); it may load before or after the edit was sent.
    expect(page.locator(f"#note-{question.dom}")).to_have_value("Diketik di lapangan tanpa sinyal.")
    expect(page.locator(f"#state-{question.dom}")).to_contain_text(re.compile(r"\d{2}:\d{2}"))
    assert note_on_server(browser, live_server, question) == "Diketik di lapangan tanpa sinyal."
    page.context.close()


def test_a_conflict_during_the_replay_is_shown_and_the_offline_text_kept(browser, live_server, artifacts, questions):
    page = person(browser, live_server)
    question = questions[4]
    open_card(page, question)
    page.context.set_offline(True)
    page.locator(f"#note-{question.dom}").fill("Teks saya dari luring")
    kept(page, question)

    colleague = new_person(browser)  # the same agency, in another browser, saves first
    login_as(colleague, live_server, USER, LANDING)
    open_card(colleague, question)
    colleague.locator(f"#note-{question.dom}").fill("Teks rekan kerja")
    expect(colleague.locator(f"#state-{question.dom}")).to_have_text(SAVED)
    colleague.context.close()

    page.context.set_offline(False)
    conflict = page.locator(f"#state-{question.dom} .conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Teks rekan kerja")
    expect(page.locator(f"#note-{question.dom}")).to_have_value("Teks saya dari luring")
    waiting(page, 0)
    expect(page.locator("#offline-status")).to_contain_text(
        page.eval_on_selector("#offline-status", "s => s.dataset.attention.replace('{n}', 1)"))
    shot(page, artifacts, "offline-conflict-desktop")
    # Still there after a reload: the edit stays in this browser until the user chooses.
    page.reload()
    expect(page.locator(f"#note-{question.dom}")).to_have_value("Teks saya dari luring")
    expect(page.locator(f"#state-{question.dom} .conflict")).to_be_visible()

    page.locator(f"#state-{question.dom} .conflict button:not(.secondary)").click()  # keep my version
    expect(page.locator(f"#state-{question.dom}")).to_have_text(SAVED)
    expect(page.locator("#offline-status")).to_be_hidden()
    assert note_on_server(browser, live_server, question) == "Teks saya dari luring"
    page.context.close()


def test_a_save_cut_on_the_way_waits_and_goes_when_the_server_answers_again(browser, live_server, questions):
    page = person(browser, live_server)
    question, other = questions[5], questions[6]
    open_card(page, question)
    cut = re.compile(rf"/isian/{re.escape(question.code)}$")
    page.route(cut, lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.locator(f"#note-{question.dom}").fill("Terputus di tengah jalan")
    kept(page, question)
    waiting(page, 1)
    page.unroute(cut)
    open_card(page, other)  # any answer of the server: the line is back
    waiting(page, 0)
    expect(page.locator(f"#state-{question.dom}")).to_have_text(SAVED)
    forgive(page, ABORTED.search)
    assert note_on_server(browser, live_server, question) == "Terputus di tengah jalan"
    page.context.close()


def test_logging_out_empties_the_kept_copy(browser, live_server, questions):
    page = person(browser, live_server)
    open_card(page, questions[0])
    kept_pages = "async () => (await caches.has('kla-pages')) ? (await (await caches.open('kla-pages')).keys()).length : 0"
    page.wait_for_function(f"async () => ({kept_pages})() > 0", timeout=WAIT_MS)
    workspace = page.url
    page.locator("form[action='/keluar'] button").click()
    expect(page).to_have_url(re.compile(r"/masuk$"))
    assert page.evaluate(kept_pages) == 0
    # Offline, the workspace is no longer there to be shown to the next person at this computer.
    page.context.set_offline(True)
    with pytest.raises(Exception):  # noqa: B017, PT011 - Chromium's own "no internet" error page
        page.goto(workspace)
    page.context.set_offline(False)
    forgive(page, ABORTED.search)
    page.context.close()
