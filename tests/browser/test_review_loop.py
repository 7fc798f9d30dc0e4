"""The whole review loop, clicked through by four people in their own browsers (desktop width).

1-4  Kota Palangka Raya (62.71), in its live cycle (the demo's 2025; 2024 is published): the OPD (Dinkes) answers an open question, uploads a PDF and
     submits it; the DP3A returns it with a reason and a note; the OPD sees why, uploads a corrected
     file (the answer stays returned and editable) and submits it: back in the queue, flagged as changed; the DP3A approves it and its
     "Diperiksa DP3A" total rises by the question's points.
5-7  Kabupaten Barito Selatan (62.04): its DP3A submits the assessment to the province; the province
     approves two answers, returns a Dinkes answer, which opens it to the kab/kota for 48 hours; the
     Dinkes operator sees the return and its deadline, fixes the answer in time and submits it; the province sees it changed, approves it, and
     the "Diverifikasi provinsi" total is above 0.

Why two regions: once 62.71 is submitted to the province, nothing in it can be answered any more,
and the other browser tests need open Dinkes questions of 62.71 (the demo database is shared by the
whole session). Steps 5-7 therefore use a region nobody else touches, in a live cycle of this file's
own year (YEAR): the demo published 2024 with the region never handed over, so the test opens YEAR for
it with its 2024 answers, submitted (tests/browser/seasons.py). It is part-way (some of the 274
questions answered), so the checks page really blocks the submission
first: the test then marks the remaining questions not applicable, with a note, through the app's
own database layer (`save_answer`) against the live server's SQLite file, as a DP3A would after
deciding they do not apply. The region has no agency accounts in the demo: the test adds one for its
Dinkes, with the app's models, as the DP3A would on its accounts page.
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.db import make_engine
from app.models import Agency, Answer, Assessment, Assignment, Regency, Role, User
from app.passwords import hash_password
from app.services.answers import AnswerInput, is_answered, save_answer, scored
from app.services.demo import sample_pdf
from scoring import ReviewStatus, Verdict
from tests.browser.helpers import (
    OPD_USER,
    PASSWORD,
    SAVED,
    WORKSPACE_URL,
    Question,
    best_answer,
    login_as,
    new_person,
    number,
    open_card,
    options_scale,
    points_text,
    queue_row,
    scorable,
    shot,
    stage_total,
    unanswered,
)
from tests.browser.seasons import assessment_of, live_cycle, live_database_url

DP3A_FOCUS = "dp3a.palangkaraya"
PROVINCE_USER = "prov.kalteng"
PROVINCE_URL = re.compile(r"/provinsi/62/\d{4}$")

# The region submitted to the province in steps 5-7 (see the module docstring).
REGION = "62.04"
REGION_NAME = "Kabupaten Barito Selatan"
REGION_DP3A = "dp3a.baritoselatan"
REGION_OPD = "dinkes.baritoselatan"  # created by the test: the demo has no agency accounts there
REGION_WORKSPACE = re.compile(r"/r/62\.04/2034/isian$")
YEAR = 2034  # REGION's live cycle of this file (the demo's 2024 is published: read-only)
NA_NOTE = "Tidak berlaku di kabupaten ini (disiapkan oleh uji peramban)."
REOPEN_HOURS = 48
WIB = ZoneInfo("Asia/Jakarta")


# -- the live server's database --------------------------------------------------------------


def _assessment(session: Session, regency_code: str, year: int) -> Assessment:
    return assessment_of(session, regency_code, year)


def _prepare_submission(url: str, catalogue, scorer) -> list[str]:
    """Mark every still-unanswered question of REGION not applicable (with a note) as its DP3A,
    and give its Dinkes an operator account. Returns the questions so marked."""
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            assessment = _assessment(session, REGION, YEAR)
            assert assessment.stage == "self", f"{REGION} was already submitted ({assessment.stage})"
            dp3a = session.exec(select(User).where(User.username == REGION_DP3A)).one()
            answers = {a.question_code: a for a in session.exec(
                select(Answer).where(Answer.assessment_id == assessment.id))}
            marked = []
            for code in catalogue.questions:
                current = answers.get(code)
                if is_answered(current):
                    continue
                # A refusal raises, saying why the code could not be marked not applicable.
                save_answer(session, assessment, code, AnswerInput(not_applicable=True, note=NA_NOTE),
                            current.version if current else 0, dp3a, scorer, current=current)
                marked.append(code)
            session.commit()

            if session.exec(select(User).where(User.username == REGION_OPD)).first() is None:
                regency = session.get(Regency, REGION)
                dinkes = _dinkes(session)
                session.add(User(username=REGION_OPD, full_name=f"Operator DINKES {regency.name}", role=Role.OPD,
                                 regency_code=REGION, agency_id=dinkes.id, password_hash=hash_password(PASSWORD)))
                session.commit()
            return marked
    finally:
        engine.dispose()


def _dinkes(session: Session) -> Agency:
    return session.exec(select(Agency).where(Agency.regency_code == REGION, Agency.role_code == "DINKES")
                        .order_by(Agency.id)).first()


def _province_picks(url: str, catalogue, scorer) -> tuple[list[str], str, str]:
    """([two answers to approve], a Dinkes answer to return and reopen, the option it is fixed to).

    All answered (not "not applicable"), worth points, outside the capped indicators and not
    sensitive. The one to fix is a multiple-choice answer below its best option, so the fix changes it.
    """
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            assessment = _assessment(session, REGION, YEAR)
            answers = {a.question_code: a for a in session.exec(
                select(Answer).where(Answer.assessment_id == assessment.id))}
            dinkes_codes = set(session.exec(select(Assignment.question_code).where(
                Assignment.assessment_id == assessment.id, Assignment.agency_id == _dinkes(session).id)))
    finally:
        engine.dispose()

    def worth_points(code: str) -> bool:
        ref, answer = catalogue.questions[code], answers.get(code)
        return (answer is not None and is_answered(answer) and not answer.not_applicable
                and not ref.question.sensitive and not ref.indicator.capped
                and scorer.question_points(code, scored(answer)) > 0)

    fix, fix_option = None, None
    for code in catalogue.questions:
        scale = options_scale(catalogue, code)
        if code in dinkes_codes and scale is not None and worth_points(code) and answers[code].option is not None:
            best = max(scale.options, key=lambda option: option.fraction).code
            if answers[code].option != best:
                fix, fix_option = code, best
                break
    assert fix, f"no Dinkes multiple-choice answer below its best option in {REGION}"
    approve = [code for code in catalogue.questions if code != fix and worth_points(code)][:2]
    assert len(approve) == 2, f"fewer than two answers worth points in {REGION}"
    return approve, fix, fix_option


# -- the people ----------------------------------------------------------------------------------


class People:
    """The browsers of the other people in the loop (each its own context, CSP in force)."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.pages = {}

    def __call__(self, who: str):
        page = new_person(self.browser)
        self.pages[who] = page
        return page


@pytest.fixture
def people(browser, request, artifacts):
    crowd = People(browser)
    yield crowd
    report = getattr(request.node, "report_call", None)
    for who, page in crowd.pages.items():
        if report is not None and report.failed:
            with contextlib.suppress(Exception):  # the page may be gone; the failure itself is what matters
                page.screenshot(path=str(artifacts / f"FAILED-loop-{who}.png"), timeout=5_000, caret="initial")
        page.context.close()


def _subnav(page, name: str) -> None:
    """Follow a link of the kab/kota menu (Verifikasi, Dasbor, Kirim ke provinsi ...)."""
    page.locator("nav.subnav").get_by_role("link", name=name, exact=True).click()


def _flash(page):
    return page.locator("p.ok[role=status]")


def _decide(page, button: str) -> None:
    page.locator("#decision").get_by_role("button", name=button, exact=True).click()


def _no_script_errors(*pages) -> None:
    errors = [e for page in pages for e in page.js_errors]
    assert errors == [], "script errors in the pages:\n" + "\n".join(errors)


# -- the loop ---------------------------------------------------------------------------------------


def test_review_loop(desktop_page, people, live_server, artifacts, catalogue, scorer, tmp_path,
                     tmp_path_factory):
    url = live_database_url(tmp_path_factory)
    live_cycle(url, catalogue, REGION, YEAR)  # its 2024 answers, submitted: part-way, still answering
    started = time.monotonic()
    step = iter(range(1, 100))

    def snap(what: str, target) -> None:
        shot(target, artifacts, f"loop-{next(step):02d}-{what}")

    def pdf(name: str, title: str):
        path = tmp_path / name
        path.write_bytes(sample_pdf(title, "Dokumen contoh untuk uji alur verifikasi."))
        return path

    # 1. The OPD answers an open Dinkes question, uploads a PDF and submits it. -------------------
    opd = desktop_page
    login_as(opd, live_server, OPD_USER, WORKSPACE_URL)
    expect(opd.locator("details.question").first).to_be_visible()
    candidates = [q for q in scorable(catalogue, unanswered(opd))
                  if not catalogue.questions[q.code].question.sensitive
                  and scorer.question_points(q.code, best_answer(catalogue, q.code)[2]) > 0]
    assert candidates, "no open, scorable, non-sensitive Dinkes question left in 62.71"
    # Away from the ends and the middle of the list, which the other browser tests take.
    question = candidates[len(candidates) * 3 // 4]
    code = question.code
    card = open_card(opd, question)
    kind, given, scored_answer = best_answer(catalogue, code)
    if kind == "option":
        card.locator(f"input[type=radio][name=option][value='{given}']").check()
    else:
        card.locator("input[name=value]").fill(given)
    expect(card.locator(".save-state")).to_have_text(SAVED)
    expected_points = points_text(scorer, code, scored_answer)
    expect(card.locator(f"#points-{question.dom}")).to_have_text(expected_points)

    first_pdf = pdf(f"bukti-{question.dom}.pdf", f"Bukti dukung {code} (versi pertama)")
    card.locator("form.upload input[type=file]").set_input_files(first_pdf)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text("1 berkas diunggah")
    expect(card.locator(f"#evidence-{question.dom} a", has_text=first_pdf.name)).to_be_visible()
    snap("opd-answered-and-uploaded", opd.locator(question.row))
    card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
    expect(opd.locator(f"#card-{question.dom}")).to_contain_text("hanya dapat dibaca")
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikirim")
    snap("opd-submitted", opd.locator(question.row))

    # 2. The DP3A finds it in the queue and returns it with a reason and a note. ------------------
    dp3a = people("dp3a")
    login_as(dp3a, live_server, DP3A_FOCUS, WORKSPACE_URL)
    _subnav(dp3a, "Verifikasi")
    expect(dp3a).to_have_url(re.compile(r"/r/62\.71/\d{4}/verifikasi$"))
    expect(dp3a.locator(".page-head .lead")).to_contain_text("pemeriksaan DP3A")
    # The agency filter first: while it says "semua" the filter form sends `opd=` (empty), which the
    # queue refuses with a 422 whose JSON replaces the list (app bug: `opd: int | None` in review_queue).
    dp3a.locator("#f-opd").select_option(label="Dinkes")
    expect(dp3a).to_have_url(re.compile(r"[?&]opd=\d+"))
    # Dinkes coordinates Klaster III in the demo's Gugus Tugas: its own answer never waits at its own desk
    # (four eyes), it is in the DP3A's default queue.
    indicator = catalogue.questions[code].indicator.code
    dp3a.locator("#f-indicator").select_option(indicator)
    expect(dp3a).to_have_url(re.compile(rf"[?&]indicator={re.escape(indicator)}(&|$)"))
    row = queue_row(dp3a, code)
    expect(row).to_be_visible()
    expect(row).to_contain_text("perlu diperiksa")
    snap("dp3a-queue-filtered", dp3a)
    row.get_by_role("link", name=code, exact=True).click()
    expect(dp3a).to_have_url(re.compile(rf"/verifikasi/{re.escape(code)}\?.*opd=\d+"))  # the filters go along
    expect(dp3a.locator("h1")).to_contain_text(code)
    expect(dp3a.locator(".review-evidence")).to_contain_text(first_pdf.name)
    reason = catalogue.review_reasons[0]
    return_note = f"Dokumen {code} belum ditandatangani kepala dinas; unggah versi yang sudah ditandatangani."
    dp3a.locator(f"#reason-{reason.code}").check()
    dp3a.locator("#review-note").fill(return_note)
    snap("dp3a-return-form", dp3a.locator("#decision"))
    _decide(dp3a, "Kembalikan ke OPD")
    expect(dp3a).to_have_url(re.compile(r"/verifikasi\?.*opd=\d+"))  # back to the queue, filters kept
    expect(_flash(dp3a)).to_have_text(f"Dikembalikan: {code}")
    expect(queue_row(dp3a, code)).to_have_count(0)  # no longer waiting

    # 3. The OPD sees the return and why, uploads a corrected file and submits: back in the queue. --
    opd.reload()
    notices = opd.locator("section.notices")
    expect(notices).to_contain_text("Perlu perhatian Anda")
    notice = notices.locator("li").filter(has=opd.get_by_role("link", name=code, exact=True))
    expect(notice).to_contain_text("Dikembalikan DP3A")
    expect(notice).to_contain_text(reason.name)
    expect(notice).to_contain_text(return_note)
    snap("opd-sees-return", notices)
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikembalikan")
    # Its link opens the question, card and all (a jump to a closed row would leave the OPD searching).
    notice.get_by_role("link", name=code, exact=True).click()
    card = opd.locator(f"#card-{question.dom}")
    expect(card).to_be_visible()
    expect(card.locator(".returned-note")).to_contain_text(reason.name)
    expect(card.locator(".returned-note")).to_contain_text(return_note)
    fixed_pdf = pdf(f"bukti-{question.dom}-ditandatangani.pdf", f"Bukti dukung {code} (ditandatangani)")
    card.locator("form.upload input[type=file]").set_input_files(fixed_pdf)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    # The upload keeps the answer returned and editable; the explicit submit sends it back, read-only again.
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text("1 berkas diunggah")
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikembalikan")
    card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
    fresh_card = opd.locator(f"#card-{question.dom}")
    expect(fresh_card).to_contain_text("hanya dapat dibaca")
    expect(fresh_card.locator("form.upload")).to_have_count(0)
    expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikirim")
    snap("opd-uploaded-correction", opd.locator(question.row))

    # 4. The DP3A sees it changed and approves it: "Diperiksa DP3A" rises by its points. --------
    _subnav(dp3a, "Dasbor")
    checked_before = stage_total(dp3a, "dp3a")
    _subnav(dp3a, "Verifikasi")
    dp3a.locator("#f-opd").select_option(label="Dinkes")  # (the empty agency filter: see step 2)
    expect(dp3a).to_have_url(re.compile(r"[?&]opd=\d+"))  # again in the default queue (four eyes, step 2)
    row = queue_row(dp3a, code)
    expect(row).to_contain_text("berubah sejak diputuskan")
    snap("dp3a-queue-changed", row)
    row.get_by_role("link", name=code, exact=True).click()
    expect(dp3a.locator(".review-evidence")).to_contain_text(fixed_pdf.name)
    # The PDF opens in its own tab, shown by Chromium's viewer (an extension frame), not a broken-file
    # icon; the review page embeds no viewer (it swallowed clicks on the decision buttons: issue 20).
    with dp3a.context.expect_page() as opened:
        dp3a.locator(".review-evidence a.pdf-open").last.click()
    preview = opened.value
    preview.wait_for_load_state("load")
    for _ in range(100):
        if any(frame.url.startswith("chrome-extension://") for frame in preview.frames):
            break
        preview.wait_for_timeout(100)
    assert any(frame.url.startswith("chrome-extension://") for frame in preview.frames), [
        f.url for f in preview.frames]
    snap("dp3a-pdf-preview", preview)
    preview.close()
    dp3a.bring_to_front()
    expect(dp3a.locator("#decision")).to_contain_text("dikembalikan")  # the last decision so far
    _decide(dp3a, "Setujui")
    expect(_flash(dp3a)).to_have_text(f"Disetujui: {code}")
    _subnav(dp3a, "Dasbor")
    checked_after = stage_total(dp3a, "dp3a")
    snap("dp3a-dashboard-after-approval", dp3a.locator("table.stages"))
    assert checked_after - checked_before == number(expected_points), (
        f"'Diperiksa DP3A' went from {checked_before} to {checked_after} after approving {code} "
        f"({expected_points} points)"
    )

    # 5. The DP3A of REGION submits its assessment to the province. -------------------------------
    region_dp3a = people("region-dp3a")
    login_as(region_dp3a, live_server, REGION_DP3A, REGION_WORKSPACE)
    _subnav(region_dp3a, "Kirim ke provinsi")
    expect(region_dp3a).to_have_url(re.compile(r"/r/62\.04/\d{4}/kirim-penilaian$"))
    blocking = region_dp3a.locator("ul.checks > li.error")
    expect(blocking.first).to_contain_text("Pertanyaan belum dijawab")
    open_count = int(re.search(r"dijawab.*?: (\d+)", blocking.first.inner_text()).group(1))
    expect(region_dp3a.get_by_role("button", name="Kirim penilaian ke provinsi")).to_have_count(0)
    snap("region-checks-blocked", region_dp3a)

    marked = _prepare_submission(url, catalogue, scorer)
    assert len(marked) == open_count, f"the page counted {open_count} open questions, the database {len(marked)}"
    region_dp3a.reload()
    expect(region_dp3a.locator("ul.checks > li").first).to_contain_text(": 0")
    expect(blocking).to_have_count(0)
    submit = region_dp3a.get_by_role("button", name="Kirim penilaian ke provinsi")
    expect(submit).to_be_visible()
    snap("region-checks-ready", region_dp3a)
    submit.click()
    expect(region_dp3a).to_have_url(re.compile(r"/r/62\.04/\d{4}/dasbor$"))
    expect(_flash(region_dp3a)).to_contain_text("Penilaian sudah dikirim ke provinsi")
    expect(region_dp3a.locator(".page-head")).to_contain_text("verifikasi provinsi")
    expect(region_dp3a.locator("nav.subnav").get_by_role("link", name="Kirim ke provinsi")).to_have_count(0)
    snap("region-submitted", region_dp3a)

    # 6. The province drills into the region: approves two, returns one (open for 48 hours). -----
    approve, fix, fix_option = _province_picks(url, catalogue, scorer)
    fix_dom = fix.replace(".", "_")
    province = people("province")
    login_as(province, live_server, PROVINCE_USER, PROVINCE_URL)
    province.goto(f"{live_server}/provinsi/62/{YEAR}")  # it lands in the newest season: the test's or another's
    region_row = province.locator("#region-table tbody tr").filter(has_text=REGION_NAME)
    expect(region_row).to_contain_text("verifikasi provinsi")
    snap("province-dashboard", province)
    region_row.get_by_role("link", name=REGION_NAME, exact=True).click()
    expect(province).to_have_url(re.compile(r"/r/62\.04/\d{4}/dasbor$"))
    assert stage_total(province, "province") == 0, "nothing is verified by the province yet"
    _subnav(province, "Verifikasi")
    expect(province.locator(".page-head .lead")).to_contain_text("verifikasi provinsi")
    for approved in approve:
        queue_row(province, approved).get_by_role("link", name=approved, exact=True).click()
        expect(province.locator("h1")).to_contain_text(approved)
        _decide(province, "Setujui")
        expect(_flash(province)).to_have_text(f"Disetujui: {approved}")
    snap("province-approved-two", province.locator(".page-head"))

    queue_row(province, fix).get_by_role("link", name=fix, exact=True).click()
    expect(province.locator("h1")).to_contain_text(fix)
    province_reason = catalogue.review_reasons[1]
    province_note = f"Jawaban {fix} tidak sesuai dengan dokumen; perbaiki jawaban dan lampirkan buktinya."
    province.locator(f"#reason-{province_reason.code}").check()
    province.locator("#review-note").fill(province_note)
    expect(province.locator("#review-score")).to_be_visible()  # the province may give its own score
    snap("province-return-form", province.locator("#decision"))
    _decide(province, "Kembalikan ke OPD")
    reopened_at = datetime.now(UTC)
    expect(_flash(province)).to_have_text(f"Dikembalikan: {fix}")

    # Find it again among the returned answers of the Dinkes (agency first: see step 2).
    province.locator("#f-opd").select_option(label="Dinkes")
    expect(province).to_have_url(re.compile(r"[?&]opd=\d+"))
    province.locator("#f-status").select_option("returned")
    expect(province).to_have_url(re.compile(r"[?&]status=returned(&|$)"))
    row = queue_row(province, fix)
    expect(row).to_contain_text("dikembalikan")
    row.get_by_role("link", name=fix, exact=True).click()
    expect(province.locator("h1")).to_contain_text(fix)
    # The return opened it to the kab/kota, with its note: no reopening form while that window is open.
    expect(province.locator("#reopen-open")).to_contain_text("Dibuka untuk kab/kota sampai")
    expect(province.locator("#reopen-open")).to_contain_text(province_note)
    expect(province.locator("#reopen-note")).to_have_count(0)
    expect(province.locator(".review-answer .warning")).to_contain_text("Dibuka kembali untuk kab/kota sampai")
    snap("province-reopened", province.locator("main"))

    # 7. The Dinkes of REGION sees the deadline and fixes the answer in time; the province approves.
    region_opd = people("region-opd")
    login_as(region_opd, live_server, REGION_OPD, REGION_WORKSPACE)
    notice = region_opd.locator("section.notices li").filter(
        has=region_opd.get_by_role("link", name=fix, exact=True))
    expect(notice).to_contain_text("Dikembalikan provinsi")
    expect(notice).to_contain_text(province_note)
    deadline = re.search(r"kirim sebelum (\d{2}-\d{2}-\d{4} \d{2}:\d{2}) WIB", notice.inner_text())
    assert deadline, f"no deadline in the notice: {notice.inner_text()}"
    shown = datetime.strptime(deadline.group(1), "%d-%m-%Y %H:%M").replace(tzinfo=WIB)
    expected = reopened_at + timedelta(hours=REOPEN_HOURS)
    assert abs(shown - expected) < timedelta(minutes=2), f"deadline shown {shown}, expected about {expected}"
    snap("region-opd-sees-deadline", region_opd.locator("section.notices"))

    fix_question = Question(fix, fix_dom)
    card = open_card(region_opd, fix_question)
    expect(card.locator(".returned-note")).to_contain_text("Dikembalikan provinsi")
    radio = card.locator(f"input[type=radio][name=option][value='{fix_option}']")
    radio.check()
    expect(card.locator(".save-state")).to_have_text(SAVED)
    fix_pdf = pdf(f"bukti-{fix_dom}-perbaikan.pdf", f"Bukti dukung {fix} (perbaikan)")
    card.locator("form.upload input[type=file]").set_input_files(fix_pdf)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{fix_dom}")).to_contain_text("1 berkas diunggah")
    card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
    expect(region_opd.locator(f"#card-{fix_dom}")).to_contain_text("hanya dapat dibaca")
    snap("region-opd-fixed", region_opd.locator(fix_question.row))

    province.get_by_role("link", name="Kembali ke antrean").click()
    expect(province).to_have_url(re.compile(r"/verifikasi\?.*status=returned"))  # the queue, with its filters
    # The fix is no longer returned: it waits in the queue's default list, as changed since decided.
    province.goto(province.url.split("?")[0])
    row = queue_row(province, fix)
    expect(row).to_contain_text("berubah sejak diputuskan")
    expect(row).not_to_contain_text("dibuka kembali sampai")  # the submitted fix ended the window
    snap("province-queue-changed", row)
    row.get_by_role("link", name=fix, exact=True).click()
    expect(province.locator(".review-evidence")).to_contain_text(fix_pdf.name)
    fixed_label = next(o.label for o in options_scale(catalogue, fix).options if o.code == fix_option)
    expect(province.locator(".review-answer dd").first).to_have_text(fixed_label)
    _decide(province, "Setujui")
    expect(_flash(province)).to_have_text(f"Disetujui: {fix}")
    _subnav(province, "Dasbor")
    verified = stage_total(province, "province")
    snap("province-verified-dashboard", province.locator("table.stages"))
    assert verified > 0, "the province approved three answers worth points, yet 'Diverifikasi provinsi' is 0"

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            stored = {a.question_code: a for a in session.exec(select(Answer).where(
                Answer.assessment_id == _assessment(session, REGION, YEAR).id,
                Answer.question_code.in_([*approve, fix])))}
            answers = {c: scored(a) for c, a in stored.items()}
    finally:
        engine.dispose()
    sheet = scorer.verified(answers, {c: Verdict(ReviewStatus.APPROVED, None) for c in answers})
    assert verified == Decimal(sheet.total) / 100, (
        f"'Diverifikasi provinsi' shows {verified}, the three approved answers are worth {sheet.total / 100}"
    )

    _no_script_errors(opd, *people.pages.values())
    elapsed = time.monotonic() - started
    assert elapsed < 120, f"the loop took {elapsed:.0f} s"

