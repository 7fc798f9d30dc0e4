"""Evidence opens in the browser, with download as a choice, and who answers a question is named in full
without hovering (issue 20, item 14), at 1280 and 360 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.services.demo import sample_pdf
from tests.browser.helpers import login_as, open_card, shot, unanswered

WIDTHS = ["desktop", "phone"]
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")
USERS = {"desktop": "polres.palangkaraya", "phone": "bappeda.palangkaraya"}  # a first upload makes a draft


@pytest.mark.parametrize("width", WIDTHS)
def test_a_file_opens_in_the_browser_or_downloads(width, request, live_server, artifacts, tmp_path, catalogue):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, USERS[width], ANYWHERE)
    # Not a sensitive question: an agency may not open those files (test_sensitive_evidence).
    question = [q for q in unanswered(page) if not catalogue.questions[q.code].question.sensitive][-1]
    card = open_card(page, question)

    # Who answers: every agency's full name, a tap away (no hover needed).
    who = card.locator("details.answered-by")
    who.locator("summary").click()
    names = who.locator("li")
    assert names.count() >= 1
    for name in names.all():
        expect(name).to_be_visible()
        assert len(name.inner_text().split()) >= 2  # the short name and the full name

    pdf = tmp_path / f"bukti-buka-{width}.pdf"
    pdf.write_bytes(sample_pdf("Bukti", "Dokumen contoh untuk uji membuka berkas."))
    card.locator("form.upload input[type=file]").set_input_files(pdf)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text("1 berkas diunggah")

    item = card.locator(f"#evidence-{question.dom} li").filter(has_text=pdf.name)
    opener = item.locator("a.file-open")
    download = item.get_by_role("link", name=f"Unduh {pdf.name}")
    expect(opener).to_be_visible()
    expect(download).to_be_visible()
    assert opener.get_attribute("download") is None and opener.get_attribute("target") == "_blank"
    assert download.get_attribute("download") is not None

    shown = page.request.get(live_server + opener.get_attribute("href"))
    assert shown.ok and shown.headers["content-disposition"].startswith("inline")
    assert shown.headers["content-security-policy"].startswith("sandbox")
    saved = page.request.get(live_server + download.get_attribute("href"))
    assert saved.ok and saved.headers["content-disposition"].startswith("attachment")
    assert saved.body() == shown.body() == pdf.read_bytes()
    shot(page.locator(question.row), artifacts, f"evidence-open-{width}")
