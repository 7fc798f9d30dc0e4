"""Issue 24, meetings of the Gugus Tugas clicked through in a browser: the DP3A records a coordination
meeting, uploads its minutes (a PDF), links the meeting to three questions in one step, and the meeting
shows under the evidence of each of those questions' cards, with the minutes among their files.

Kabupaten Katingan (62.06) in this file's own year (YEAR), which no other browser test uses (the demo's
2024 is published: read-only; tests/browser/seasons.py opens YEAR with its 2024 answers submitted). The
three questions are of one part, still being answered in YEAR (drafts), so the DP3A may add their files.

Every page it visits is then shown at 360 px as well, with the demo's own meetings of Kota Palangka Raya
2025; each page at both widths: no sideways scroll, no console error, no serious axe finding.
Screenshots: test-artifacts/browser/meetings-<width>-<name>.png.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from app.db import make_engine
from app.models import Answer, AnswerStatus
from app.services.answers import EDITABLE
from app.services.demo import FOCUS, sample_pdf
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import Question, assert_page_ok, login_as, new_person, open_card
from tests.browser.seasons import assessment_of, live_cycle, live_database_url

REGION = "62.06"  # Kabupaten Katingan: no other browser test uses it
YEAR = 2036  # this file's own live cycle
DP3A = "dp3a.katingan"
TITLE = "Rapat Koordinasi Gugus Tugas KLA Triwulan I"


def _prepare(url: str, catalogue) -> tuple[str, list[Question]]:
    """The live cycle, and three questions of one part still being answered in it: (part, questions).
    seasons.live_cycle gives every 2024 answer again and submits it (Katingan answered every question),
    so three answers of the first part go back to draft, as answers the DP3A is still completing."""
    live_cycle(url, catalogue, REGION, YEAR)
    part = next(iter(catalogue.parts))
    codes = [code for code, ref in catalogue.questions.items() if ref.part.code == part and not ref.question.sensitive]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assessment = assessment_of(session, REGION, YEAR)
            answers = {a.question_code: a for a in session.exec(select(Answer).where(
                Answer.assessment_id == assessment.id, col(Answer.question_code).in_(codes)))}
            picks = [code for code in codes if code not in answers or answers[code].status in EDITABLE][:3]
            for code in [c for c in codes if c not in picks][: 3 - len(picks)]:
                answers[code].status = AnswerStatus.DRAFT
                session.add(answers[code])
                picks.append(code)
            session.commit()
    finally:
        engine.dispose()
    ordered = [code for code in codes if code in picks]
    return part, [Question(code, code.replace(".", "_")) for code in ordered]


def test_the_dp3a_records_a_meeting_and_links_it_to_three_questions(browser, live_server, artifacts, catalogue,
                                                                    check_axe, tmp_path, tmp_path_factory):
    part, questions = _prepare(live_database_url(tmp_path_factory), catalogue)
    base = f"{live_server}/r/{REGION}/{YEAR}"
    landing = re.compile(rf"/r/{re.escape(REGION)}/")

    def snap(page: Page, name: str, width: str = "1280") -> None:
        page.screenshot(path=str(artifacts / f"meetings-{width}-{name}.png"), full_page=True, caret="initial")

    dp3a = new_person(browser, DESKTOP)
    login_as(dp3a, live_server, DP3A, landing)

    # 1. The list, then the form: title, kind, date, agencies, outside participants.
    dp3a.goto(f"{base}/gugus-tugas/rapat")
    expect(dp3a.locator("h1")).to_be_visible()
    assert_page_ok(dp3a, check_axe, "meetings-1280-list-empty")
    dp3a.goto(f"{base}/gugus-tugas/rapat/baru")
    assert_page_ok(dp3a, check_axe, "meetings-1280-new")
    dp3a.locator("#m-title").fill(TITLE)
    dp3a.locator("#m-kind").select_option("coordination")
    dp3a.locator("#m-date").fill("2025-03-12")
    dp3a.locator("#m-place").fill("Aula Bappeda Kabupaten Katingan")
    dp3a.locator("fieldset.agencies input[type=checkbox]").first.check()
    dp3a.locator("#m-outside").fill("Polres Katingan\nForum Anak Katingan")
    dp3a.locator("#m-summary").fill("Setiap klaster melengkapi data dukung sebelum akhir Maret.")
    snap(dp3a, "new")
    dp3a.locator("form.meeting-form button[type=submit]").click()

    # 2. The meeting's page: upload its minutes.
    expect(dp3a).to_have_url(re.compile(rf"{re.escape(base)}/gugus-tugas/rapat/\d+$"))
    meeting_url = dp3a.url
    expect(dp3a.locator("h1")).to_have_text(TITLE)
    expect(dp3a.locator("ul.meeting-outside li")).to_have_count(2)
    minutes = tmp_path / "notulen-rakor.pdf"
    minutes.write_bytes(sample_pdf("NOTULEN", TITLE, "Tanggal 12-03-2025"))
    dp3a.locator("#md-role").select_option("minutes")
    dp3a.locator("#md-file").set_input_files(minutes)
    dp3a.locator("form.meeting-upload button[type=submit]").click()
    expect(dp3a.locator("header.page-head p.ok[role=status]")).to_be_visible()
    expect(dp3a.locator("ul.meeting-documents li")).to_have_count(1)
    expect(dp3a.locator("ul.meeting-documents li a").first).to_have_text("notulen-rakor.pdf")

    # 3. Three questions of one part, linked in one step.
    dp3a.locator("#q-part").select_option(part)
    dp3a.locator("form[role=search] button[type=submit]").click()
    form = dp3a.locator("form.link-questions")
    for question in questions:
        form.locator(f"#link-{question.dom}").check()
    form.locator("button[type=submit]").click()
    expect(dp3a.locator("header.page-head p.ok[role=status]")).to_be_visible()
    links = dp3a.locator("ul.meeting-links li")
    expect(links).to_have_count(3)
    for question in questions:
        expect(links.get_by_role("link", name=question.code, exact=True)).to_be_visible()
    snap(dp3a, "meeting")
    assert_page_ok(dp3a, check_axe, "meetings-1280-meeting")

    # 4. Each card: the minutes among the evidence, the meeting under it.
    dp3a.goto(f"{base}/isian")
    for question in questions:
        card = open_card(dp3a, question)
        minutes_link = card.locator(f"#evidence-{question.dom} a.file-open").filter(has_text="notulen-rakor.pdf")
        expect(minutes_link).to_have_count(1)
        block = card.locator(".card-meetings")
        expect(block.get_by_role("link", name=TITLE)).to_be_visible()
        if question is questions[0]:
            card.screenshot(path=str(artifacts / "meetings-1280-card.png"))
            assert_page_ok(dp3a, check_axe, "meetings-1280-card")
        block.get_by_role("link", name=TITLE).click()
        expect(dp3a).to_have_url(meeting_url)
        dp3a.goto(f"{base}/isian")
    dp3a.goto(f"{base}/gugus-tugas/rapat")
    expect(dp3a.locator("li.meeting a.meeting-title")).to_have_text([TITLE])
    snap(dp3a, "list")
    assert_page_ok(dp3a, check_axe, "meetings-1280-list")
    dp3a.context.close()

    # -- the same pages on a 360 px phone, and the demo's meetings of Kota Palangka Raya ------------------
    phone = new_person(browser, PHONE)
    login_as(phone, live_server, DP3A, landing)
    for name, url in [("list", f"{base}/gugus-tugas/rapat"), ("new", f"{base}/gugus-tugas/rapat/baru"),
                      ("meeting", meeting_url)]:
        phone.goto(url)
        expect(phone.locator("h1")).to_be_visible()
        snap(phone, name, "360")
        assert_page_ok(phone, check_axe, f"meetings-360-{name}")
    phone.goto(f"{base}/isian")
    card = open_card(phone, questions[0])
    expect(card.locator(".card-meetings").get_by_role("link", name=TITLE)).to_be_visible()
    card.screenshot(path=str(artifacts / "meetings-360-card.png"))
    assert_page_ok(phone, check_axe, "meetings-360-card")
    phone.context.close()

    for viewport, width in ((DESKTOP, "1280"), (PHONE, "360")):
        demo = new_person(browser, viewport)
        login_as(demo, live_server, "dp3a.palangkaraya", re.compile(rf"/r/{re.escape(FOCUS)}/"))
        demo.goto(f"{live_server}/r/{FOCUS}/2025/gugus-tugas/rapat")
        titles = demo.locator("li.meeting a.meeting-title")
        expect(titles).to_have_count(2)
        snap(demo, "demo-list", width)
        assert_page_ok(demo, check_axe, f"meetings-{width}-demo-list")
        demo.locator("li.meeting a.meeting-title").first.click()  # newest first: the TPPO meeting
        expect(demo.locator("ul.meeting-outside li")).to_have_count(5)
        expect(demo.locator("ul.meeting-links li")).to_have_count(3)
        snap(demo, "demo-meeting", width)
        assert_page_ok(demo, check_axe, f"meetings-{width}-demo-meeting")
        demo.context.close()
