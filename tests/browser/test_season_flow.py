"""One kab/kota taken through the whole season, from its self-assessment to the published award, by
every role in its own browser: OPD, DP3A, province, ministry reviewer, field verifier, the ministry.

The first regency of Aceh (11.01) in a cycle of its own (YEAR): the demo's regions and years are shared
by the other browser tests (and the demo's season changes), so this test depends on none of them. What
a browser cannot reasonably click (274 answers with their files, the decisions on all but a handful)
is prepared through the app's own services against the live server's SQLite file, as in
test_review_loop; everything that moves the assessment from one stage to the next is clicked.

YEAR lies before the demo's years on purpose: a ministry reviewer lands on the latest year opened, and
the other browser tests' reviewers must keep landing where they do.

Every page visited is screenshotted at 1280 and at 360 px (test-artifacts/browser/season-*.png), and
none may scroll sideways on a phone; conftest fails the test on console errors and on axe's serious
and critical findings in any of the browsers.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.db import make_engine
from app.evidence.store import EvidenceStore
from app.i18n import gettext, using_language
from app.models import (
    Agency,
    Answer,
    Assessment,
    Assignment,
    Cycle,
    Regency,
    ReviewAction,
    Role,
    User,
    saved_id,
)
from app.passwords import hash_password
from app.services import documents
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, submit
from app.services.cycles import ensure_year
from app.services.demo import sample_pdf
from app.services.evidence import register
from app.services.setup import default_agencies, open_assessment
from scoring import Stage
from tests.browser.conftest import PHONE
from tests.browser.helpers import (
    DESKTOP_VIEWPORT,
    PASSWORD,
    SAVED,
    Question,
    best_answer,
    new_person,
    no_horizontal_scroll,
    number,
    open_card,
    options_scale,
    shot,
)
from tests.browser.seasons import live_database_url

YEAR = 2019
REGION = "11.01"
PROVINCE = "11"
P = f"/r/{REGION}/{YEAR}"
USERS = {  # username: (role, what the account is)
    "opd": "dinkes.simeulue.e2e",
    "dp3a": "dp3a.simeulue.e2e",
    "province": "prov.aceh.e2e",
    "reviewer": "peninjau.aceh.e2e",
    "verifier": "verifikator.lapangan.e2e",
    "admin": "admin.musim.e2e",
}
OPD_LEFT = 2  # Dinkes questions the OPD answers and submits in its browser
DP3A_LEFT = 3  # submitted answers the DP3A still has to decide (besides the OPD's)
PROVINCE_LEFT = 5  # answers the province approves in its browser (batch)
MINISTRY_LEFT = 3
PHONE_SHOT = 3000  # px of a page shown in its 360 px screenshot  # answers the reviewer decides in its browser (one with a lower figure)


def t(message: str, **values) -> str:
    """The Indonesian of one of the app's messages, as the pages show it."""
    with using_language("id"):
        text = gettext(message)
    return text % values if values else text


# -- the data a browser cannot reasonably click ---------------------------------------------------


class Live:
    """The live server's database, opened for one unit of work at a time."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> Session:
        self.engine = make_engine(self.url)
        self.session = Session(self.engine, expire_on_commit=False)
        return self.session

    def __exit__(self, *exc) -> None:
        self.session.close()
        self.engine.dispose()


def _assessment(session: Session) -> Assessment:
    return session.exec(select(Assessment).join(Cycle, Cycle.id == Assessment.cycle_id)
                        .where(Cycle.year == YEAR, Assessment.regency_code == REGION)).one()


def _user(session: Session, who: str) -> User:
    return session.exec(select(User).where(User.username == USERS[who])).one()


def _prepare_self_assessment(url: str, catalogue, scorer) -> dict[str, list[str]]:
    """YEAR's cycle, the region's agencies, assessment and the six accounts; every question answered
    (with a file where one is required) and submitted but OPD_LEFT Dinkes questions; the DP3A's
    approval of all but DP3A_LEFT of them. Returns {"opd": [...], "dp3a": [...]}: what is left to click."""
    with Live(url) as session:
        regency = session.get(Regency, REGION)
        assert regency is not None, f"{REGION} is not among the demo's regions"
        assert session.exec(select(Cycle).where(Cycle.year == YEAR)).first() is None, f"{YEAR} is in use already"
        cycle = ensure_year(session, catalogue, YEAR)
        default_agencies(session, regency, catalogue)
        assessment = open_assessment(session, regency, cycle, catalogue)
        agencies = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == REGION))}
        password = hash_password(PASSWORD)
        accounts = {
            "opd": dict(role=Role.OPD, full_name="Operator Dinkes Simeulue", regency_code=REGION,
                        agency_id=agencies["DINKES"].id),
            "dp3a": dict(role=Role.DP3A, full_name="Admin DP3A Simeulue", regency_code=REGION,
                         agency_id=agencies["DP3A"].id),
            "province": dict(role=Role.PROVINCE, full_name="Verifikator Provinsi Aceh", province_code=PROVINCE),
            "reviewer": dict(role=Role.REVIEWER, full_name="Peninjau Kementerian Aceh", provinces=[PROVINCE],
                             organisation="KemenPPPA"),
            "verifier": dict(role=Role.VERIFIER, full_name="Verifikator Lapangan Uji", organisation="Kemenkes"),
            "admin": dict(role=Role.ADMIN, full_name="Tim Nasional KLA"),
        }
        for who, fields in accounts.items():
            session.add(User(username=USERS[who], password_hash=password, **fields))
        session.flush()
        dp3a = _user(session, "dp3a")

        dinkes_codes = {a.question_code for a in session.exec(
            select(Assignment).where(Assignment.assessment_id == assessment.id,
                                                    Assignment.agency_id == agencies["DINKES"].id))}
        # The OPD's: Dinkes questions with options, no file required, not sensitive, worth points.
        opd_codes = [code for code, ref in catalogue.questions.items()
                     if code in dinkes_codes and options_scale(catalogue, code) is not None
                     and not ref.question.evidence.required and not ref.question.sensitive
                     and not ref.indicator.capped][:OPD_LEFT]
        assert len(opd_codes) == OPD_LEFT, opd_codes

        store = EvidenceStore(_data_dir(url) / "evidence", 5 * 1024 * 1024)
        stored = store.save_file(io.BytesIO(sample_pdf("Bukti dukung Simeulue", "Dokumen contoh uji musim.")))
        register(session, stored)
        answers = []
        for code in catalogue.questions:
            if code in opd_codes:
                continue
            kind, given, _scored = best_answer(catalogue, code)
            typed = AnswerInput(option=given) if kind == "option" else AnswerInput(value=Decimal(given))
            answer = save_answer(session, assessment, code, typed, 0, dp3a, scorer, current=None).answer
            if catalogue.questions[code].question.evidence.required:
                documents.link(session, saved_id(answer.id),
                               documents.library_document(session, saved_id(assessment.id), stored.sha256,
                                                          f"bukti-{code}.pdf", dp3a), dp3a, f"bukti-{code}.pdf")
            answers.append(answer)
        session.flush()
        assert submit(session, assessment, answers, dp3a) == len(answers)
        left = [a.question_code for a in answers if a.question_code not in dinkes_codes][-DP3A_LEFT:]
        for answer in answers:
            if answer.question_code not in left:
                review_service.decide(session, assessment, answer, Stage.DP3A, ReviewAction.APPROVED, dp3a)
        session.commit()
        return {"opd": opd_codes, "dp3a": left, "name": [regency.name]}


def _data_dir(url: str):
    from pathlib import Path
    return Path(url.removeprefix("sqlite:///")).parent


def _approve_all_but(url: str, stage: Stage, who: str, left: int) -> list[str]:
    """Approve, as `who`, every answer at `stage` but the last `left`; returns those left."""
    with Live(url) as session:
        assessment = _assessment(session)
        user = _user(session, who)
        answers = session.exec(select(Answer).where(Answer.assessment_id == assessment.id)
                               .order_by(Answer.question_code)).all()
        kept = [a.question_code for a in answers[-left:]]
        for answer in answers[:-left]:
            review_service.decide(session, assessment, answer, stage, ReviewAction.APPROVED, user)
        session.commit()
        return kept


# -- the people ------------------------------------------------------------------------------------


class Season:
    """The browsers (one per role), the screenshots and the phone check of every page visited."""

    def __init__(self, browser, base: str, artifacts) -> None:
        self.browser, self.base, self.artifacts = browser, base, artifacts
        self.pages: dict[str, Page] = {}
        self.step = 0
        self.overflow: list[str] = []

    def person(self, who: str, path: str) -> Page:
        """`who`'s browser, logged in and sent to `path`."""
        page = self.pages.get(who)
        if page is None:
            page = self.pages[who] = new_person(self.browser)
            page.goto(f"{self.base}/masuk?next={path}")
            page.locator("#username").fill(USERS[who])
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Masuk", exact=True).click()
        else:
            page.goto(f"{self.base}{path}")
        expect(page).to_have_url(re.compile(re.escape(path.split("?")[0]) + r"(\?|#|$)"))
        return page

    def snap(self, page: Page, what: str) -> None:
        """The page at 1280 and at 360 px; at 360 px it must not scroll sideways."""
        self.step += 1
        name = f"season-{self.step:02d}-{what}"
        shot(page, self.artifacts, f"{name}-1280")
        page.set_viewport_size(PHONE)
        try:
            page.wait_for_timeout(50)
            # The page's first screens at once (up to PHONE_SHOT px): where its tables and forms begin.
            height = min(page.evaluate("() => document.documentElement.scrollHeight"), PHONE_SHOT)
            page.screenshot(path=str(self.artifacts / f"{name}-360.png"), caret="initial", full_page=True,
                            clip={"x": 0, "y": 0, "width": PHONE["width"], "height": height})
            wide, inner = no_horizontal_scroll(page)
            if wide > inner:
                self.overflow.append(f"{name}: {page.url} is {wide} px wide at {inner} px")
        finally:
            page.set_viewport_size(DESKTOP_VIEWPORT)

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def season(browser, live_server, artifacts, request):
    crowd = Season(browser, live_server, artifacts)
    yield crowd
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for who, page in crowd.pages.items():
            with contextlib.suppress(Exception):  # the page may be gone; the failure itself is what matters
                page.screenshot(path=str(artifacts / f"FAILED-season-{who}.png"), timeout=5_000, caret="initial")
    crowd.close()


def _flash(page: Page):
    return page.locator("p.ok[role=status]")


def _stage_row(page: Page, stage: Stage):
    return page.locator(f".stage-table tr.stage-{stage}")


def _stage_points(page: Page, stage: Stage) -> Decimal:
    return number(_stage_row(page, stage).locator(".key-figure").inner_text())


def _batch_approve(page: Page, count: int) -> None:
    expect(page.locator("#queue tbody input[name=codes]")).to_have_count(count)
    page.locator("#select-all").check()
    page.get_by_role("button", name=t("Approve the selected answers")).click()
    expect(_flash(page)).to_contain_text(t("%(n)s answers approved.", n=count))


# -- the season ------------------------------------------------------------------------------------


def test_season_flow(season, live_server, catalogue, scorer, tmp_path_factory):
    started = time.monotonic()
    url = live_database_url(tmp_path_factory)
    left = _prepare_self_assessment(url, catalogue, scorer)
    name = left["name"][0]

    # 1. The OPD answers and submits its last two Dinkes questions. --------------------------------
    opd = season.person("opd", f"{P}/isian")
    expect(opd.locator("h1")).to_be_visible()
    season.snap(opd, "opd-workspace")
    for code in left["opd"]:
        question = Question(code, code.replace(".", "_"))
        card = open_card(opd, question)
        _kind, option, _scored = best_answer(catalogue, code)
        card.locator(f"input[type=radio][name=option][value='{option}']").check()
        expect(card.locator(".save-state")).to_have_text(SAVED)
        card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
        expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikirim")
    season.snap(opd, "opd-submitted")

    # 2. The DP3A approves what waits and hands the assessment to the province. ---------------------
    dp3a = season.person("dp3a", f"{P}/verifikasi")
    expect(dp3a.locator(".page-head .lead")).to_contain_text(t("DP3A check"))
    season.snap(dp3a, "dp3a-queue")
    _batch_approve(dp3a, OPD_LEFT + DP3A_LEFT)
    season.snap(dp3a, "dp3a-approved")
    dp3a.locator("nav.subnav").get_by_role("link", name="Kirim ke provinsi", exact=True).click()
    expect(dp3a).to_have_url(re.compile(rf"{re.escape(P)}/kirim-penilaian$"))
    season.snap(dp3a, "dp3a-submit-page")
    dp3a.get_by_role("button", name="Kirim penilaian ke provinsi").click()
    expect(dp3a).to_have_url(re.compile(rf"{re.escape(P)}/dasbor$"))
    expect(_flash(dp3a)).to_contain_text("Penilaian sudah dikirim ke provinsi")
    expect(dp3a.locator(".page-head")).to_contain_text(t("province verification"))
    season.snap(dp3a, "dp3a-dashboard-submitted")
    self_points = _stage_points(dp3a, Stage.SELF)
    assert self_points > 0

    # 3. The province approves (most prepared, the rest in one batch) and hands on. -----------------
    _approve_all_but(url, Stage.PROVINCE, "province", PROVINCE_LEFT)
    province = season.person("province", f"{P}/verifikasi")
    expect(province.locator(".page-head .lead")).to_contain_text(t("province verification"))
    expect(province.locator(".season-moves")).to_contain_text(
        t("Answered questions still waiting for your decision: %(n)s.", n=PROVINCE_LEFT))
    season.snap(province, "province-queue")
    _batch_approve(province, PROVINCE_LEFT)
    expect(province.locator(".season-moves")).to_contain_text(
        t("Every answered question has the province's decision. Once handed on, the province's decisions are "
          "locked."))
    province.get_by_role("button", name=t("Hand on to the ministry")).click()
    expect(_flash(province)).to_have_text(t("Handed on to the ministry: the province's decisions are now locked."))
    expect(province.locator("#moves-title")).to_contain_text(t("ministry review"))
    season.snap(province, "province-handed-on")

    # 4. The ministry's reviewer approves the rest, one with a lower figure of its own. --------------
    left_ministry = _approve_all_but(url, Stage.MINISTRY, "reviewer", MINISTRY_LEFT)
    reviewer = season.person("reviewer", f"{P}/verifikasi")
    expect(reviewer.locator(".page-head .lead")).to_contain_text(t("ministry review"))
    season.snap(reviewer, "reviewer-queue")
    lowered = next(code for code in left_ministry if _points(url, scorer, code) >= 2)
    reviewer.locator("#queue").get_by_role("link", name=lowered, exact=True).click()
    expect(reviewer.locator("h1")).to_contain_text(lowered)
    full = _points(url, scorer, lowered)
    figure = (full / 2).quantize(Decimal("0.01"))
    reviewer.locator("#review-score").fill(str(figure).replace(".", ","))
    season.snap(reviewer, "reviewer-detail")
    reviewer.locator("#decision").get_by_role("button", name="Setujui", exact=True).click()
    expect(_flash(reviewer)).to_have_text(f"Disetujui: {lowered}")
    reviewer.goto(f"{live_server}{P}/verifikasi")
    _batch_approve(reviewer, MINISTRY_LEFT - 1)
    reviewer.goto(f"{live_server}{P}/dasbor")
    ministry_row = _stage_row(reviewer, Stage.MINISTRY)
    expect(ministry_row).not_to_have_class(re.compile(r"\bincomplete\b"))
    drop = full - figure
    expect(ministry_row.locator("td").nth(3)).to_contain_text(f"−{str(drop).replace('.', ',')}")
    season.snap(reviewer, "reviewer-dashboard")

    # ... and the ministry plans field verification: the schedule, the team, the start. -----------
    admin = season.person("admin", f"{P}/lapangan")
    expect(admin.locator("h1")).to_contain_text(t("Field verification"))
    season.snap(admin, "admin-field-plan")
    admin.locator("#starts_on").fill(f"{YEAR}-08-05")
    admin.locator("#ends_on").fill(f"{YEAR}-08-07")
    admin.locator("#schedule-note").fill("Kunjungan ke Puskesmas Sinabang dan Forum Anak Simeulue.")
    admin.get_by_role("button", name=t("Save the schedule")).click()
    expect(_flash(admin)).to_have_text(t("The schedule is saved."))
    admin.locator("#member").select_option(label="Verifikator Lapangan Uji (Kemenkes)")
    admin.locator("#tim input[name=lead]").check()
    admin.get_by_role("button", name=t("Add to the team")).click()
    expect(_flash(admin)).to_have_text(t("The team is saved."))
    expect(admin.locator(".team-member")).to_contain_text("Verifikator Lapangan Uji")
    admin.get_by_role("button", name=t("Start field verification")).click()
    expect(_flash(admin)).to_have_text(t("Field verification has started."))
    expect(admin.locator(".page-head .note")).to_contain_text(t("field verification"))
    season.snap(admin, "admin-field-started")

    # 5. The verifier records an activity, a finding with a lower score, and a sensitive one. ------
    verifier = season.person("verifier", f"/lapangan?tahun={YEAR}")
    season.snap(verifier, "verifier-assignments")
    verifier.get_by_role("link", name=name, exact=True).click()
    expect(verifier).to_have_url(re.compile(rf"{re.escape(P)}/lapangan$"))
    season.snap(verifier, "verifier-field-page")
    verifier.locator("#kegiatan summary").click()
    verifier.locator("#activity-kind").select_option("child_interview")
    verifier.locator("#activity-place").fill("Forum Anak Simeulue")
    verifier.locator("#activity-note").fill("Wawancara dengan pengurus Forum Anak.")
    verifier.get_by_role("button", name=t("Record the activity")).click()
    expect(_flash(verifier)).to_have_text(t("The activity is recorded."))
    expect(verifier.locator("table.activities")).to_contain_text("Forum Anak Simeulue")

    adjusted = next(code for code in left_ministry if code != lowered and _points(url, scorer, code) >= 1)
    indicator = catalogue.questions[adjusted].indicator.code
    verifier.locator("#pick-indicator").select_option(indicator)
    verifier.get_by_role("button", name=t("Choose")).click()
    expect(verifier.locator("#finding-text")).to_be_visible()
    season.snap(verifier, "verifier-finding-form")
    finding_text = f"Dokumen {adjusted} di lapangan belum lengkap; nilai diturunkan."
    verifier.locator("#finding-text").fill(finding_text)
    verifier.locator(f"input[name='score_{adjusted}']").fill("0")
    verifier.get_by_role("button", name=t("Record the finding")).click()
    expect(_flash(verifier)).to_have_text(t("The finding is recorded."))
    expect(verifier.locator(f"#indikator-{indicator}")).to_contain_text(finding_text)

    verifier.locator("#pick-indicator").select_option(indicator)
    verifier.get_by_role("button", name=t("Choose")).click()
    secret = "Anak A (12 th) menyebut nama pelaku di sekolahnya."
    verifier.locator("#finding-text").fill(secret)
    verifier.locator("#finding-activity").select_option(index=1)
    verifier.get_by_role("button", name=t("Record the finding")).click()
    expect(_flash(verifier)).to_have_text(t("The finding is recorded."))
    expect(verifier.locator("li.finding.sensitive")).to_contain_text(secret)
    season.snap(verifier, "verifier-findings")

    # 6. The ministry closes field verification; the province sees the findings but the sensitive one.
    admin.goto(f"{live_server}{P}/lapangan")
    admin.get_by_role("button", name=t("Close field verification")).click()
    expect(_flash(admin)).to_have_text(t("Field verification is closed: final verification follows."))
    season.snap(admin, "admin-field-closed")
    province.goto(f"{live_server}{P}/lapangan")
    expect(province.locator("h1")).to_contain_text(t("Field verification"))
    expect(province.locator("main")).to_contain_text(finding_text)
    expect(province.locator("main")).not_to_contain_text(secret)
    expect(province.locator("li.finding.sensitive")).to_have_count(0)
    season.snap(province, "province-field-findings")

    # Final verification: one figure changed with a reason.
    admin.goto(f"{live_server}{P}/final")
    expect(admin.locator("h1")).to_contain_text(t("Final verification"))
    season.snap(admin, "admin-final")
    final_code = next(code for code in left["dp3a"] if _points(url, scorer, code) >= 1)
    final_indicator = catalogue.questions[final_code].indicator.code
    section = admin.locator(f"#ind-{final_indicator}")
    section.locator(f"input[name='figure:{final_code}']").fill("0")
    section.locator("textarea[name=reason]").fill("Dokumen asli tidak dapat ditunjukkan saat verifikasi akhir.")
    section.get_by_role("button", name=re.compile(re.escape(final_indicator))).click()
    expect(_flash(admin)).to_be_visible()
    season.snap(admin, "admin-final-saved")
    expect(admin.locator(".final-totals")).to_be_visible()

    # The award: fixed at its band, then the list published (with its confirmation step).
    admin.goto(f"{live_server}{P}/penghargaan")
    expect(admin.locator("h1")).to_contain_text(t("Award"))
    season.snap(admin, "admin-award")
    # The band's category is chosen already ("KLA · menurut rentang nilai"): the ministry accepts it.
    category = admin.locator("#award-category option:checked").inner_text().split("·")[0].strip()
    admin.get_by_role("button", name=t("Fix the award")).click()
    expect(_flash(admin)).to_contain_text(category)
    season.snap(admin, "admin-award-fixed")

    admin.goto(f"{live_server}/nasional/{YEAR}/penghargaan")
    expect(admin.locator("h1")).to_contain_text(t("KLA awards %(year)s", year=YEAR))
    season.snap(admin, "admin-award-list")
    admin.get_by_role("button", name=t("Publish the award list…")).click()
    expect(admin.locator("h1")).to_contain_text(t("Publish the award list of %(year)s?", year=YEAR))
    season.snap(admin, "admin-publish-confirm")
    admin.get_by_role("button", name=t("Publish the award list of %(year)s", year=YEAR)).click()
    expect(_flash(admin)).to_contain_text(str(YEAR))
    row = admin.locator("main tr").filter(has_text=name)
    expect(row).to_contain_text(category)
    season.snap(admin, "admin-award-published")

    # The DP3A: everything read-only now, the timeline shows each move, the dashboard each stage.
    dp3a.goto(f"{live_server}{P}/verifikasi")
    expect(dp3a.locator(".frozen")).to_contain_text(t("The award list of this year has been published: its "
                                                      "scores are final."))
    expect(dp3a.locator("#queue input[name=codes]")).to_have_count(0)
    season.snap(dp3a, "dp3a-queue-frozen")
    dp3a.goto(f"{live_server}{P}/isian")
    # The page says nothing of the freeze at its top (see the report); every card says why it is read-only.
    card = open_card(dp3a, Question(left["opd"][0], left["opd"][0].replace(".", "_")))
    expect(card).to_contain_text(t("The award list of this year has been published: its scores are final."))
    expect(card.locator("input[type=radio]:not([disabled])")).to_have_count(0)
    season.snap(dp3a, "dp3a-workspace-frozen")
    dp3a.goto(f"{live_server}{P}/linimasa")
    moves = dp3a.locator("ol#moves > li")
    expect(moves).to_have_count(5)
    for index, move in enumerate(("submit", "hand_on", "to_field", "to_final", "publish")):
        expect(moves.nth(index)).to_have_attribute("data-move", move)
    expect(moves.nth(4)).to_contain_text(t(_stage_name(Stage.AWARDED)))
    expect(dp3a.locator("#activities li")).to_have_count(1)
    season.snap(dp3a, "dp3a-timeline")
    dp3a.goto(f"{live_server}{P}/dasbor")
    expect(dp3a.locator(".page-head .note")).to_contain_text(t(_stage_name(Stage.AWARDED)))
    expect(dp3a.locator(".settled")).to_contain_text(category)
    # Each stage's drop as the reviewer, the field team and the final figure made it.
    for stage in (Stage.MINISTRY, Stage.FIELD, Stage.FINAL):
        assert _stage_points(dp3a, stage) < self_points, f"{stage} shows no drop"
    assert _stage_points(dp3a, Stage.FINAL) < _stage_points(dp3a, Stage.FIELD) < _stage_points(dp3a, Stage.MINISTRY)
    season.snap(dp3a, "dp3a-dashboard-awarded")

    assert season.overflow == [], "pages wider than a phone:\n" + "\n".join(season.overflow)
    elapsed = time.monotonic() - started
    assert elapsed < 120, f"the season took {elapsed:.0f} s"


def _stage_name(stage: Stage) -> str:
    from app.labels import _STAGES
    return _STAGES[stage]


def _points(url: str, scorer, code: str) -> Decimal:
    """The self-assessed points of one answer of the region."""
    from app.services.answers import scored
    with Live(url) as session:
        answer = session.exec(select(Answer).where(Answer.assessment_id == _assessment(session).id,
                                                   Answer.question_code == code)).one()
        return Decimal(scorer.question_points(code, scored(answer))) / 100
