"""A recorded meeting changed in a browser: the DP3A records a meeting with its minutes linked to two
questions, edits it (title, place, participants), takes the minutes out of it (the questions' links it made
go, the document stays in the library), then removes it after the confirmation page that names what goes.

Kabupaten Kotawaringin Timur (62.02) in YEAR, which no other browser test uses for it; its two questions
are of one part and go back to draft, so the DP3A may change their files. The flow runs at 1280 px; the
edit form, the meeting's page and the confirmation page are checked at 360 px too (no sideways scroll, no
console error, no serious axe finding). Screenshots: test-artifacts/browser/meeting-edit-<width>-<name>.png.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from app.db import make_engine
from app.models import Answer, AnswerStatus
from app.services.demo import sample_pdf
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import assert_page_ok, login_as, new_person
from tests.browser.seasons import assessment_of, live_cycle, live_database_url

REGION = "62.02"  # Kabupaten Kotawaringin Timur: no other browser test uses it
YEAR = 2036
DP3A = "dp3a.kotawaringintimur"
TITLE = "Rapat Koordinasi Gugus Tugas KLA"
EDITED = "Rapat Koordinasi Pencegahan TPPO dan Perlindungan Anak"


def _prepare(url: str, catalogue) -> tuple[str, list[str]]:
    """The live cycle, and two ordinary questions of its first part back to draft: (part, codes)."""
    live_cycle(url, catalogue, REGION, YEAR)
    part = next(iter(catalogue.parts))
    codes = [code for code, ref in catalogue.questions.items() if ref.part.code == part and not ref.question.sensitive][:2]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assessment = assessment_of(session, REGION, YEAR)
            for answer in session.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                                            col(Answer.question_code).in_(codes))):
                answer.status = AnswerStatus.DRAFT
                session.add(answer)
            session.commit()
    finally:
        engine.dispose()
    return part, codes


def test_the_dp3a_edits_a_meeting_takes_a_document_out_and_removes_it(browser, live_server, artifacts, catalogue,
                                                                      check_axe, tmp_path, tmp_path_factory):
    part, codes = _prepare(live_database_url(tmp_path_factory), catalogue)
    base = f"{live_server}/r/{REGION}/{YEAR}"
    landing = re.compile(rf"/r/{re.escape(REGION)}/")

    def snap(page: Page, name: str, width: str = "1280") -> None:
        page.screenshot(path=str(artifacts / f"meeting-edit-{width}-{name}.png"), full_page=True, caret="initial")

    dp3a = new_person(browser, DESKTOP)
    login_as(dp3a, live_server, DP3A, landing)

    # 1. A meeting with its minutes, linked to two questions.
    dp3a.goto(f"{base}/gugus-tugas/rapat/baru")
    dp3a.locator("#m-title").fill(TITLE)
    dp3a.locator("#m-date").fill("2025-03-12")
    dp3a.locator("form.meeting-form button[type=submit]").click()
    expect(dp3a).to_have_url(re.compile(rf"{re.escape(base)}/gugus-tugas/rapat/\d+$"))
    meeting_url = dp3a.url
    minutes = tmp_path / "notulen-rakor.pdf"
    minutes.write_bytes(sample_pdf("NOTULEN", TITLE))
    dp3a.locator("#md-role").select_option("minutes")
    dp3a.locator("#md-file").set_input_files(minutes)
    dp3a.locator("form.meeting-upload button[type=submit]").click()
    expect(dp3a.locator("ul.meeting-documents li")).to_have_count(1)
    dp3a.locator("#q-part").select_option(part)
    dp3a.locator("form[role=search] button[type=submit]").click()
    for code in codes:
        dp3a.locator(f"#link-{code.replace('.', '_')}").check()
    dp3a.locator("form.link-questions button[type=submit]").click()
    expect(dp3a.locator("ul.meeting-links li")).to_have_count(2)

    # 2. Edit it: the form holds what is stored; the page shows what was saved.
    dp3a.locator("p.meeting-actions a.button").click()
    expect(dp3a).to_have_url(f"{meeting_url}/ubah")
    expect(dp3a.locator("#m-title")).to_have_value(TITLE)
    dp3a.locator("#m-title").fill(EDITED)
    dp3a.locator("#m-kind").select_option("tppo")
    dp3a.locator("#m-place").fill("Aula Polres Kotawaringin Timur")
    dp3a.locator("#m-outside").fill("Polres Kotawaringin Timur\nKejaksaan Negeri")
    snap(dp3a, "edit")
    assert_page_ok(dp3a, check_axe, "meeting-edit-1280-edit")
    dp3a.locator("form.meeting-edit button[type=submit]").click()
    expect(dp3a).to_have_url(meeting_url)
    expect(dp3a.locator("header.page-head p.ok[role=status]")).to_be_visible()
    expect(dp3a.locator("h1")).to_have_text(EDITED)
    expect(dp3a.locator("ul.meeting-outside li")).to_have_text(["Polres Kotawaringin Timur", "Kejaksaan Negeri"])

    # 3. The same pages on a 360 px phone, with the minutes still the meeting's.
    phone = new_person(browser, PHONE)
    login_as(phone, live_server, DP3A, landing)
    phone.goto(meeting_url)
    snap(phone, "meeting", "360")
    assert_page_ok(phone, check_axe, "meeting-edit-360-meeting")
    phone.goto(f"{meeting_url}/ubah")
    expect(phone.locator("#m-title")).to_have_value(EDITED)
    snap(phone, "edit", "360")
    assert_page_ok(phone, check_axe, "meeting-edit-360-edit")
    phone.goto(meeting_url)
    phone.locator("section.meeting-removal button[type=submit]").click()
    expect(phone.locator("#goes-questions")).to_contain_text(", ".join(codes))
    expect(phone.locator("ul.removal-links li")).to_have_count(2)
    snap(phone, "remove", "360")
    assert_page_ok(phone, check_axe, "meeting-edit-360-remove")
    phone.context.close()

    # 4. Take the minutes out: gone from the meeting, the questions still served.
    dp3a.locator("ul.meeting-documents li form button").click()
    expect(dp3a.locator("header.page-head p.ok[role=status]")).to_be_visible()
    expect(dp3a.locator("ul.meeting-documents li")).to_have_count(0)
    expect(dp3a.locator("ul.meeting-links li")).to_have_count(2)
    snap(dp3a, "meeting")
    assert_page_ok(dp3a, check_axe, "meeting-edit-1280-meeting")

    # 5. Remove it: the confirmation page names the two questions; then the list no longer has it.
    dp3a.locator("section.meeting-removal button[type=submit]").click()
    expect(dp3a.locator("h1")).to_be_visible()
    expect(dp3a.locator("#goes-questions")).to_contain_text(", ".join(codes))
    expect(dp3a.locator("#stays-documents")).to_be_visible()
    snap(dp3a, "remove")
    assert_page_ok(dp3a, check_axe, "meeting-edit-1280-remove")
    dp3a.locator("form.meeting-remove-confirm button[type=submit]").click()
    expect(dp3a).to_have_url(f"{base}/gugus-tugas/rapat")
    expect(dp3a.locator("header.page-head p.ok[role=status]")).to_contain_text(EDITED)
    expect(dp3a.locator("li.meeting")).to_have_count(0)
    snap(dp3a, "list")
    dp3a.goto(f"{base}/dokumen")
    expect(dp3a.get_by_text("notulen-rakor.pdf").first).to_be_visible()  # still in the library
    dp3a.context.close()
