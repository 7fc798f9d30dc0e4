"""Issue 20, broken workflows, clicked through by three people, each flow at one width (1 and 3 at 360 px,
2 at 1280 px), every page state it checks checked at the other width as well (the page resized).

1. The province returns a Dinkes answer ("Kembalikan ke OPD") of a kab/kota already handed over: the
   DP3A sees it returned by the province (reason, note) in its queue; the Dinkes sees it in "Perlu
   perhatian Anda" with the reason, the note and the deadline, opens it, fixes it and submits it; the
   province finds it again in its queue, changed.
2. On the way, the Dinkes uploads a file to the returned answer: the card stays editable (the answer,
   the note, the submit button), and only the explicit submit sends it back.
3. The province reopens another answer: an empty note is refused with a message; with a note it opens
   once and the form gives way to the open window and its deadline.

Each test and width uses its own demo region (items 1 and 3: handed to the province; item 2: still
answering), which none of the other browser tests touches, in a live cycle of this file's own year
(YEAR): the demo's 2024 season is published and read-only, so the test opens YEAR for the region with
its 2024 answers and hands it over where it must (tests/browser/seasons.py). Those regions have no
agency accounts in the demo, so the test adds one for its Dinkes through the app's models, as its DP3A
would on its accounts page. Every page is checked for console errors
(CSP in force) and with axe-core, injected through the DevTools protocol, which the CSP does not govern.
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.db import make_engine
from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    Assignment,
    Reopening,
)
from app.services.demo import sample_pdf
from app.templating import dom_id
from scoring import Stage
from tests.browser.conftest import AXE_TAGS, BLOCKING_IMPACTS, DESKTOP, PHONE
from tests.browser.helpers import (
    Question,
    describe_violations,
    login_as,
    new_person,
    no_horizontal_scroll,
    queue_row,
    shot,
)
from tests.browser.seasons import agency_account, assessment_of, live_cycle, live_database_url

PROVINCE_USER = "prov.kalteng"
PROVINCE_URL = re.compile(r"/provinsi/62/\d{4}$")
YEAR = 2033  # this file's own live cycle (the demo's 2024 is published: read-only)
REGIONS = {"desktop": ("62.08", "sukamara"), "phone": ("62.03", "kapuas")}  # with the province
ANSWERING = {"desktop": ("62.05", "baritoutara"), "phone": ("62.07", "seruyan")}  # still answering
RETURN_NOTE = "SK gugus tugas belum ditandatangani; lampirkan yang sudah ditandatangani."
REOPEN_NOTE = "Lengkapi daftar hadir rapat koordinasi."


def _prepare(url: str, catalogue, regency_code: str, slug: str, stage: str = "province") -> tuple[int, str, str]:
    """The region's live cycle of this file's year (see `seasons.live_cycle`: the demo's 2024 is
    published, read-only), a Dinkes operator account, and two answered Dinkes questions on an options
    scale with no open window (submitted, while the region answers): (year, one, another)."""
    live_cycle(url, catalogue, regency_code, YEAR, Stage(stage))
    agency_account(url, regency_code, "DINKES", f"dinkes.{slug}")
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            assessment = assessment_of(session, regency_code, YEAR)
            assert assessment.stage == stage, f"{regency_code} is not at {stage} ({assessment.stage})"
            dinkes = session.exec(select(Agency).where(Agency.regency_code == regency_code,
                                                       Agency.role_code == "DINKES").order_by(Agency.id)).first()
            assigned = set(session.exec(select(Assignment.question_code).where(
                Assignment.assessment_id == assessment.id, Assignment.agency_id == dinkes.id)).all())
            open_windows = set(session.exec(select(Reopening.answer_id)).all())
            picks = [a.question_code for a in session.exec(select(Answer).where(
                Answer.assessment_id == assessment.id, Answer.option.is_not(None), Answer.not_applicable.is_(False))
                .order_by(Answer.id))
                if a.question_code in assigned and a.id not in open_windows
                and (stage != "self" or a.status == AnswerStatus.SUBMITTED)
                and catalogue.scales[catalogue.questions[a.question_code].question.scale].kind == "options"
                and not catalogue.questions[a.question_code].question.sensitive]
            assert len(picks) >= 2, f"{regency_code}: not enough answered Dinkes questions"
            return YEAR, picks[0], picks[1]
    finally:
        engine.dispose()


WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def _checker(width: str, artifacts, axe_source):
    """check(page, name, focus): the page as it is now, at the flow's width and then at the other one (the
    same page resized: each flow is clicked through at one width only, the flows taking turns)."""

    def look(page, name: str, focus, at: str) -> None:
        assert page.js_errors == [], "script errors in the page:\n" + "\n".join(page.js_errors)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)  # through the DevTools protocol: not an inline script, the CSP stays
        # In turn with the guard's own axe runs (helpers.guard): axe refuses to run twice at once.
        result = page.evaluate("async (tags) => { const options = {runOnly: {type: 'tag', values: tags}};"
                               " return await (window.__klaAxeRun ? window.__klaAxeRun(options)"
                               " : axe.run(document, options)); }", AXE_TAGS)
        (artifacts / f"axe-flow-{at}-{name}.json").write_text(json.dumps(result["violations"], indent=1),
                                                              encoding="utf-8")
        blocking = [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        assert blocking == [], f"{name} at {at}: " + describe_violations(blocking)
        wide, inner = no_horizontal_scroll(page)
        assert wide <= inner, f"{name} at {at}: {page.url} is {wide} px wide in a {inner} px window"
        shot(focus or page, artifacts, f"flow-{at}-{name}")

    def check(page, name: str, focus=None) -> None:
        """No console error so far, no serious or critical axe finding, no sideways scrolling, and a
        screenshot (of `focus`) to look at: at the flow's width, then at the other."""
        look(page, name, focus, width)
        other = "phone" if width == "desktop" else "desktop"
        page.set_viewport_size(WIDTHS[other])
        try:
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")  # laid out anew
            look(page, name, focus, other)
        finally:
            page.set_viewport_size(WIDTHS[width])

    return check


@pytest.fixture
def crowd(browser, request, artifacts):
    pages = []

    def person(viewport):
        page = new_person(browser, viewport)
        pages.append(page)
        return page

    yield person
    report = getattr(request.node, "report_call", None)
    for index, page in enumerate(pages):
        if report is not None and report.failed:
            with contextlib.suppress(Exception):  # the page may be gone; the failure itself is what matters
                page.screenshot(path=str(artifacts / f"FAILED-flow-{request.node.callspec.id}-{index}.png"),
                                timeout=5_000, caret="initial")
        page.context.close()


@pytest.mark.parametrize("width", ["phone"])  # its pages at 1280 px too: see _checker
def test_a_province_return_reaches_the_kabkota_and_comes_back_fixed(
        width, crowd, live_server, artifacts, axe_source, catalogue, tmp_path, tmp_path_factory):
    viewport = DESKTOP if width == "desktop" else PHONE
    regency_code, slug = REGIONS[width]
    year, fix, _other = _prepare(live_database_url(tmp_path_factory), catalogue, regency_code, slug)
    base = f"{live_server}/r/{regency_code}/{year}"
    reason = catalogue.review_reasons[0]

    check = _checker(width, artifacts, axe_source)

    # The province returns one Dinkes answer with a reason and a note.
    province = crowd(viewport)
    login_as(province, live_server, PROVINCE_USER, PROVINCE_URL)
    province.goto(f"{base}/verifikasi/{fix}")
    province.locator(f"#reason-{reason.code}").check()
    province.locator("#review-note").fill(RETURN_NOTE)
    province.locator("#decision").get_by_role("button", name="Kembalikan ke OPD", exact=True).click()
    expect(province.locator("main")).to_contain_text(f"Dikembalikan: {fix}")

    # The DP3A sees it returned by the province, why and the note, in its queue.
    dp3a = crowd(viewport)
    login_as(dp3a, live_server, f"dp3a.{slug}", re.compile(r"/r/\d{2}\.\d{2}/\d{4}/(isian|dasbor)$"))
    dp3a.goto(f"{base}/verifikasi?status=returned")
    row = queue_row(dp3a, fix)
    expect(row.locator(".later-return")).to_have_text("Dikembalikan provinsi")
    expect(row.locator(".later-return-why")).to_contain_text(reason.name)
    expect(row.locator(".later-return-why")).to_contain_text(RETURN_NOTE)
    check(dp3a, "dp3a-queue", row)

    # The Dinkes sees it in "Perlu perhatian Anda", once, with the reason, the note and a deadline.
    opd = crowd(viewport)
    login_as(opd, live_server, f"dinkes.{slug}", re.compile(rf"/r/{re.escape(regency_code)}/\d{{4}}/isian$"))
    # (The demo's own province returns are there too: this question's line is the one that counts.)
    notices = opd.locator(f"section.notices li#notice-{dom_id(fix)}")
    expect(notices).to_have_count(1)
    notice = notices.first
    expect(notice).to_contain_text("Dikembalikan provinsi")
    expect(notice).to_contain_text(reason.name)
    expect(notice).to_contain_text(RETURN_NOTE)
    expect(notice).to_contain_text(re.compile(r"kirim sebelum \d{2}-\d{2}-\d{4} \d{2}:\d{2} WIB"))
    check(opd, "opd-notice", opd.locator("section.notices"))

    # It opens the answer, uploads a file (still returned, still editable), fixes the note and submits.
    notice.get_by_role("link", name=fix, exact=True).click()
    question = Question(fix, fix.replace(".", "_"))
    card = opd.locator(question.row).locator(f"#card-{question.dom}")  # the link opens its row
    expect(card).to_be_visible()
    expect(card.locator(".returned-note")).to_contain_text("Dikembalikan provinsi")
    expect(card.locator(".returned-note")).to_contain_text(RETURN_NOTE)
    upload = tmp_path / f"sk-{question.dom}.pdf"
    upload.write_bytes(sample_pdf("SK gugus tugas", "Sudah ditandatangani"))
    card.locator("form.upload input[type=file]").set_input_files(upload)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text("1 berkas diunggah")
    note = card.locator(f"#note-{question.dom}")
    expect(note).to_be_editable()
    expect(card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi")).to_be_visible()
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikembalikan")
    note.fill("SK yang sudah ditandatangani terlampir.")
    expect(card.locator(".save-state")).to_contain_text("Tersimpan")
    check(opd, "opd-returned-card-after-upload", card)
    card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
    card = opd.locator(f"#card-{question.dom}")
    expect(card.locator("dl.readonly")).to_be_visible()
    expect(card.locator(".returned-note")).to_have_count(0)
    check(opd, "opd-sent-back", card)

    # Back in the province's queue, as changed.
    province.goto(f"{base}/verifikasi")
    row = queue_row(province, fix)
    expect(row).to_contain_text("berubah sejak diputuskan")
    check(province, "province-queue-changed", row)



@pytest.mark.parametrize("width", ["desktop"])  # its pages at 360 px too: see _checker
def test_an_upload_on_a_returned_answer_keeps_it_editable_until_submitted(
        width, crowd, live_server, artifacts, axe_source, catalogue, tmp_path, tmp_path_factory):
    viewport = DESKTOP if width == "desktop" else PHONE
    regency_code, slug = ANSWERING[width]
    year, code, _other = _prepare(live_database_url(tmp_path_factory), catalogue, regency_code, slug, "self")
    base = f"{live_server}/r/{regency_code}/{year}"
    check = _checker(width, artifacts, axe_source)
    reason = catalogue.review_reasons[1]

    # The DP3A returns a submitted Dinkes answer.
    dp3a = crowd(viewport)
    login_as(dp3a, live_server, f"dp3a.{slug}", re.compile(r"/r/\d{2}\.\d{2}/\d{4}/(isian|dasbor)$"))
    dp3a.goto(f"{base}/verifikasi/{code}")
    dp3a.locator(f"#reason-{reason.code}").check()
    dp3a.locator("#review-note").fill(RETURN_NOTE)
    dp3a.locator("#decision").get_by_role("button", name="Kembalikan ke OPD", exact=True).click()
    expect(dp3a.locator("main")).to_contain_text(f"Dikembalikan: {code}")

    # The Dinkes uploads a corrected file: the card stays as it was, editable, the answer returned.
    opd = crowd(viewport)
    login_as(opd, live_server, f"dinkes.{slug}", re.compile(rf"/r/{re.escape(regency_code)}/\d{{4}}/isian$"))
    notice = opd.locator("section.notices li").filter(has=opd.get_by_role("link", name=code, exact=True))
    expect(notice).to_contain_text(RETURN_NOTE)
    notice.get_by_role("link", name=code, exact=True).click()
    question = Question(code, code.replace(".", "_"))
    card = opd.locator(question.row).locator(f"#card-{question.dom}")
    expect(card).to_be_visible()
    upload = tmp_path / f"perbaikan-{question.dom}.pdf"
    upload.write_bytes(sample_pdf("Perbaikan", "Sudah ditandatangani"))
    card.locator("form.upload input[type=file]").set_input_files(upload)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text("1 berkas diunggah")
    expect(card.locator(".evidence")).to_contain_text(upload.name)
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikembalikan")
    note = card.locator(f"#note-{question.dom}")
    expect(note).to_be_editable()
    expect(card.locator("form.upload")).to_be_visible()
    expect(card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi")).to_be_visible()
    note.fill("Dokumen yang sudah ditandatangani terlampir.")
    expect(card.locator(".save-state")).to_contain_text("Tersimpan")
    check(opd, "upload-keeps-returned-editable", card)
    # Not back with the DP3A before the focal point submits it; then it is, as changed.
    dp3a.goto(f"{base}/verifikasi?status=all")
    expect(queue_row(dp3a, code)).not_to_contain_text("berubah sejak diputuskan")
    card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
    card = opd.locator(f"#card-{question.dom}")
    expect(card).to_contain_text("hanya dapat dibaca")
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikirim")
    check(opd, "upload-then-submitted", card)
    dp3a.goto(f"{base}/verifikasi")
    expect(queue_row(dp3a, code)).to_contain_text("berubah sejak diputuskan")
    check(dp3a, "upload-then-dp3a-queue", queue_row(dp3a, code))


@pytest.mark.parametrize("width", ["phone"])  # its pages at 1280 px too: see _checker
def test_the_province_reopens_an_answer_once_and_the_form_closes(
        width, crowd, live_server, artifacts, axe_source, catalogue, tmp_path_factory):
    viewport = DESKTOP if width == "desktop" else PHONE
    regency_code, slug = REGIONS[width]
    year, _fix, other = _prepare(live_database_url(tmp_path_factory), catalogue, regency_code, slug)
    base = f"{live_server}/r/{regency_code}/{year}"
    check = _checker(width, artifacts, axe_source)
    province = crowd(viewport)
    login_as(province, live_server, PROVINCE_USER, PROVINCE_URL)
    province.goto(f"{base}/verifikasi/{other}")
    province.get_by_role("button", name="Buka kembali", exact=True).click()  # without a note
    expect(province.locator("#reopen-error")).to_contain_text("Tuliskan apa yang kurang")
    expect(province.locator("#reopen-error")).to_be_focused()
    # The refusal answers 422, one of the app's designed refusals the harness does not count as an error.
    check(province, "province-reopen-refused", province.locator("#reopen"))
    province.locator("#reopen-note").fill(REOPEN_NOTE)
    province.locator("#reopen").get_by_role("button", name="Buka kembali", exact=True).click()
    expect(province.locator("#decision [role=alert]")).to_have_text("Dibuka kembali untuk kab/kota selama 48 jam.")
    expect(province.locator("#reopen-note")).to_have_count(0)
    expect(province.locator("#reopen").get_by_role("button", name="Buka kembali")).to_have_count(0)
    expect(province.locator("#reopen-open")).to_contain_text("Dibuka untuk kab/kota sampai")
    expect(province.locator("#reopen-open")).to_contain_text(REOPEN_NOTE)
    check(province, "province-reopened-once", province.locator("#decision"))

    # The Dinkes sees that question once, with one deadline.
    opd = crowd(viewport)
    login_as(opd, live_server, f"dinkes.{slug}", re.compile(rf"/r/{re.escape(regency_code)}/\d{{4}}/isian$"))
    reopened = opd.locator("section.notices li").filter(has=opd.get_by_role("link", name=other, exact=True))
    expect(reopened).to_have_count(1)
    expect(reopened).to_contain_text(REOPEN_NOTE)
    check(opd, "opd-reopened-once", opd.locator("section.notices"))
