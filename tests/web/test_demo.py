"""The demo world follows the rules the app enforces (issue 20, item 1; issue 22, item 9).

- 2024 in Kalimantan Tengah: the seven awarded kab/kota end at their category by the season's own
  scoring (`scoring.season_scores`), 70 to 300 points below their self-assessment; the province's
  decisions are what the kab/kota sees, and a province return came with the 2x24 h window.
- 2025: Kota Palangka Raya's cycle is open with answers carried over, its 2024 recommendations
  still open on their questions, its accounts at work there.
- The nation (one run, the slow one): 464 taking part, 355 awarded (22/69/125/139), 13 Provila.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta  # issue 24, demo

from sqlmodel import col, select

from app.models import (
    Answer,
    AnswerStatus,
    AreaRecord,
    Assessment,
    Award,
    CarryOver,
    CarryStatus,
    Cycle,
    Document,
    DocumentKind,
    FieldTeamMember,
    Finding,
    Recommendation,
    RecommendationStatus,
    Regency,
    Reopening,
    ReviewEvent,
    Role,
    StageChange,
    User,
    utcnow,  # issue 24, surel
)
from app.services import areas, document_flags, figures, handoff_marks
from app.services import review as review_service
from app.services.answers import scored
from app.services.demo import FOCUS, STOPPED, TARGETS, build_demo
from app.services.demo_province_2025 import PROVINCE_RETURN_NOTE, RETURNED_CODE  # issue 24, demo
from app.services.demo_province_2025 import REGENCY as PULANG_PISAU  # issue 24, demo
from app.services.demo_records import FIGURES, KECAMATAN, KELURAHAN, NOT_APPLICABLE, place_of
from scoring import REVIEW_STAGES, Stage, category_for, provila_status, season_scores
from scoring.periods import Flag


def _season(db, scorer, assessment):
    state = review_service.load_state(db, assessment)
    answers = {code: given for code, answer in state.answers.items() if (given := scored(answer)) is not None}
    return season_scores(scorer, answers, {stage: state.verdicts(stage) for stage in REVIEW_STAGES})


def _assessments(db, year, province="62"):
    return {a.regency_code: a for a in db.exec(
        select(Assessment).join(Cycle).join(Regency, col(Regency.code) == col(Assessment.regency_code))
        .where(Cycle.year == year, Regency.province_code == province))}


def test_kalimantan_tengah_plays_2024_to_the_award_and_opens_2025(db, catalogue, scorer, app):
    report = build_demo(db, catalogue, app.state.evidence, nation=False)
    db.commit()
    season = _assessments(db, 2024)
    awards = {a.assessment_id: a for a in db.exec(select(Award))}
    for code, target in TARGETS.items():
        assessment = season[code]
        assert assessment.stage == Stage.AWARDED, code
        scores = _season(db, scorer, assessment)
        final = scores.totals[Stage.FINAL]
        assert final.complete and all(scores.totals[s].complete for s in REVIEW_STAGES), code
        assert category_for(scorer, scores.sheets[Stage.FINAL]).code == target, code
        assert 7_000 <= scores.drop(Stage.FINAL) <= 30_000, (code, scores.drop(Stage.FINAL))
        award = awards[assessment.id]
        assert (award.total * 100, award.band_category, award.category, award.reason) == (final.points, target, target, "")
        moves = db.exec(select(StageChange.move).where(StageChange.assessment_id == assessment.id)
                        .order_by(col(StageChange.id))).all()
        assert moves == ["submit", "hand_on", "to_field", "to_final", "publish"], code
    for code, assessment in season.items():  # the other seven stopped earlier
        if code not in TARGETS:
            assert assessment.stage == STOPPED.get(code, Stage.SELF) and assessment.id not in awards, code
    assert db.exec(select(Cycle).where(Cycle.year == 2024)).one().published_at is not None

    # The province's last word on an answer is its status; a return opened the 2x24 h window.
    last: dict[int, ReviewEvent] = {}
    for event in db.exec(select(ReviewEvent).where(ReviewEvent.stage == "province").order_by(col(ReviewEvent.id))):
        last[event.answer_id] = event
    assert {e.action for e in last.values()} == {"approved", "returned"}
    windows = {r.answer_id for r in db.exec(select(Reopening).where(Reopening.stage == "province"))}
    for answer in db.exec(select(Answer).where(col(Answer.id).in_(list(last)))):
        decision = last[answer.id].action
        assert answer.status == AnswerStatus(decision), answer.question_code
        assert (answer.id in windows) == (decision == "returned"), answer.question_code

    # The field team: the Kemenkes verifier on every awarded one; a sensitive interview in Palangka Raya.
    verifier = db.exec(select(User).where(User.username == "verifikator.kemenkes")).one()
    reviewer = db.exec(select(User).where(User.username == "reviu.kemenpppa")).one()
    assert (verifier.role, verifier.organisation) == (Role.VERIFIER, "Kemenkes")
    assert (reviewer.role, reviewer.provinces, reviewer.organisation) == (Role.REVIEWER, ["62"], "KemenPPPA")
    teams = set(db.exec(select(FieldTeamMember.assessment_id).where(FieldTeamMember.user_id == verifier.id)))
    assert teams == {season[c].id for c in TARGETS}
    assert [f.assessment_id for f in db.exec(select(Finding).where(Finding.sensitive))] == [season[FOCUS].id]
    printed = {username for username, _role, _where in report.accounts}
    assert {"reviu.kemenpppa", "verifikator.kemenkes", "dp3a.palangkaraya", "dinkes.palangkaraya"} <= printed

    # Recommendations followed up to different points, in every awarded kab/kota with a lowered answer.
    recommendations = db.exec(select(Recommendation)).all()
    focus_recs = [r for r in recommendations if r.assessment_id == season[FOCUS].id]
    assert {r.status for r in focus_recs} == set(RecommendationStatus)
    assert all(r.question_code and r.source_event_id for r in recommendations)

    # 2025: open for Kota Palangka Raya, answers carried over, the 2024 recommendations open on their questions.
    current = _assessments(db, 2025)
    # issue 24, demo: and Kabupaten Pulang Pisau at the province (`demo_province_2025`): two kab/kota in 2025.
    assert sorted(current) == sorted([FOCUS, PULANG_PISAU]) and current[FOCUS].stage == Stage.SELF
    _pulang_pisau_at_the_province(db, catalogue, season[PULANG_PISAU], current[PULANG_PISAU])  # issue 24, demo
    carries = db.exec(select(CarryOver).where(CarryOver.assessment_id == current[FOCUS].id)).all()
    accepted = {c.question_code for c in carries if c.status == CarryStatus.ACCEPTED}
    assert accepted and any(c.status == CarryStatus.PROPOSED for c in carries)
    answered = set(db.exec(select(Answer.question_code).where(Answer.assessment_id == current[FOCUS].id)))
    # Besides the carried answers: those its figures, "tidak berlaku" and Kelana/Dekela records created.
    made = set(FIGURES) | {NOT_APPLICABLE[0]} | set(KECAMATAN) | set(KELURAHAN) | {"25.9", "26.12"}  # + the office's
    from app.models import (
        MeetingQuestion,  # issue 24, rapat: a meeting linked to an unanswered question made it
    )
    made |= set(db.exec(select(MeetingQuestion.question_code)))  # issue 24, rapat
    assert accepted <= answered and answered - accepted <= made
    _documents_figures_areas_and_marks(db, catalogue, scorer, season[FOCUS], current[FOCUS])
    _gugus_tugas(db, catalogue, current[FOCUS])  # issue 24, gugus
    _rad_plan(db, current[FOCUS])  # issue 24, rad
    _meetings(db, current[FOCUS])  # issue 24, rapat
    still_open = {r.question_code for r in focus_recs if r.status != RecommendationStatus.CLOSED}
    assert still_open and still_open <= {c.question_code for c in carries}

    # Running it again changes nothing.
    counts = (len(db.exec(select(Answer.id)).all()), len(db.exec(select(ReviewEvent.id)).all()))
    build_demo(db, catalogue, app.state.evidence, nation=False)
    db.commit()
    assert (len(db.exec(select(Answer.id)).all()), len(db.exec(select(ReviewEvent.id)).all())) == counts


def _pulang_pisau_at_the_province(db, catalogue, past, current):  # issue 24, demo
    """Pulang Pisau's 2025 as the app's own steps leave it: every 2024 answer carried over and accepted,
    submitted and approved by its DP3A, handed to the province once complete, the province's verifier
    deciding a few and returning the Gugus Tugas's SK, which opened the 48-hour window (the demo's
    reopening: nothing else in the demo opens one in 2025)."""
    from app.services.audit import verify_chain

    dp3a = db.exec(select(User).where(User.username == "dp3a.pulangpisau")).one()
    verifier = db.exec(select(User).where(User.username == "prov.kalteng")).one()
    assert current.stage == Stage.PROVINCE
    moves = db.exec(select(StageChange).where(StageChange.assessment_id == current.id)).all()
    assert [(m.move, m.user_id) for m in moves] == [("submit", dp3a.id)]
    carries = db.exec(select(CarryOver).where(CarryOver.assessment_id == current.id)).all()
    assert carries and {c.status for c in carries} == {CarryStatus.ACCEPTED} and {c.decided_by for c in carries} == {dp3a.id}
    answers = {a.question_code: a for a in db.exec(select(Answer).where(Answer.assessment_id == current.id))}
    assert set(answers) == set(catalogue.questions) == {c.question_code for c in carries}
    events = db.exec(select(ReviewEvent).where(col(ReviewEvent.answer_id).in_([a.id for a in answers.values()]))).all()
    by_stage = Counter((e.stage, e.action, e.user_id) for e in events)
    assert by_stage[(Stage.SELF, "submitted", dp3a.id)] == len(answers) == by_stage[(Stage.DP3A, "approved", dp3a.id)]
    province = [e for e in events if e.stage == Stage.PROVINCE]
    assert all(e.user_id == verifier.id for e in province) and 3 <= len(province) <= 8
    returned = [e for e in province if e.action == "returned"]
    assert [answers[RETURNED_CODE].id] == [e.answer_id for e in returned] and returned[0].reasons
    assert returned[0].note == PROVINCE_RETURN_NOTE and answers[RETURNED_CODE].status == AnswerStatus.RETURNED
    windows = db.exec(select(Reopening).join(Answer, col(Answer.id) == col(Reopening.answer_id))
                      .join(Assessment, col(Assessment.id) == col(Answer.assessment_id))
                      .join(Cycle, col(Cycle.id) == col(Assessment.cycle_id)).where(Cycle.year == 2025)).all()
    assert [(w.answer_id, w.stage, w.opened_by) for w in windows] == [(answers[RETURNED_CODE].id, Stage.PROVINCE,
                                                                        verifier.id)]
    assert windows[0].until > utcnow() + timedelta(hours=47) and windows[0].note == PROVINCE_RETURN_NOTE
    assert verify_chain(db).broken_id is None  # every step audited, the chain holds


def _gugus_tugas(db, catalogue, current):
    """issue 24, gugus: Palangka Raya's Gugus Tugas 2025: its SK, Bappeda chairing, the DP3A's secretariat,
    Dinkes coordinating Klaster III with the switch on; one answer passed to the DP3A, one returned."""
    from app.models import Agency, Document
    from app.models.taskforce import ClusterCoordinator, TaskForce
    from app.services import review as review_service
    from app.services.taskforce import coordination

    force = db.exec(select(TaskForce).where(TaskForce.assessment_id == current.id)).one()
    assert force.coordinator_review and force.sk_document_id is not None
    assert db.get(Document, force.sk_document_id).assessment_id == current.id
    assert db.get(Agency, force.chair_agency_id).role_code == "BAPPEDA"
    assert db.get(Agency, force.secretariat_agency_id).role_code == "DP3A"
    coordinators = {c.part_code: db.get(User, c.user_id).username
                    for c in db.exec(select(ClusterCoordinator).where(ClusterCoordinator.assessment_id == current.id))}
    assert coordinators["K3"] == "dinkes.palangkaraya" and "KD" not in coordinators
    dinkes = db.exec(select(User).where(User.username == "dinkes.palangkaraya")).one()
    cluster = db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all()
    decisions = [e for e in cluster if e.user_id == dinkes.id]
    assert sorted(e.action for e in decisions) == ["approved", "returned"]
    # The other coordinators passed what reached them: approvals, on their own parts, never a sensitive one.
    others = [e for e in cluster if e.user_id != dinkes.id]
    assert others and {e.action for e in others} == {"approved"}
    for event in others:
        ref = catalogue.questions[db.get(Answer, event.answer_id).question_code]
        assert coordinators[ref.part.code] == db.get(User, event.user_id).username and not ref.question.sensitive
    returned = next(e for e in decisions if e.action == "returned")
    assert db.get(Answer, returned.answer_id).status == AnswerStatus.RETURNED and returned.note
    state = review_service.load_state(db, current)
    held = coordination.held_at_coordinators(db, state, catalogue, current)
    approved = db.get(Answer, next(e for e in decisions if e.action == "approved").answer_id)
    assert approved.question_code not in held and db.get(Answer, returned.answer_id).question_code in held
    # Four eyes: no coordinator decided an answer they last saved or submitted.
    for event in cluster:
        answer = db.get(Answer, event.answer_id)
        assert not coordination.own_work(state, state.answers[answer.question_code], event.user_id), answer.question_code
    # The DP3A's approvals stand: the demo's answers changed before them, not after, so none is back at a
    # coordinator's desk (where a coordinator could return what the DP3A approved) or waiting at the DP3A;
    # only those the library's documents were linked to later (a new file: to be reviewed again).
    approved_by_dp3a = {code: at for code, at in db.exec(
        select(Answer.question_code, ReviewEvent.at).join(ReviewEvent, col(ReviewEvent.answer_id) == Answer.id)
        .where(Answer.assessment_id == current.id, ReviewEvent.stage == Stage.DP3A, ReviewEvent.action == "approved"))}
    verdicts = state.verdicts(Stage.DP3A)
    stale = {code for code in approved_by_dp3a if verdicts[code].status != "approved"}
    linked_later = {code for code, at in approved_by_dp3a.items()
                    if any(f.uploaded_at > at for f in state.evidence.get(state.answers[code].id, []))}
    assert len(approved_by_dp3a) > 2 * len(stale) and stale == linked_later
    waiting = {item.code for item in coordination.coordinator_queue(state, catalogue, set(coordinators))}
    assert waiting.isdisjoint(set(approved_by_dp3a) - stale)


def _meetings(db, current):  # issue 24, rapat
    """Two meetings of the Gugus Tugas in 2025, one on TPPO with outside bodies, each linked to three
    answered questions with its minutes and attendance list as their evidence."""
    from app.models import Evidence, Meeting, MeetingDocument, MeetingKind, MeetingQuestion

    meetings = db.exec(select(Meeting).where(Meeting.assessment_id == current.id).order_by(col(Meeting.held_on))).all()
    assert [m.kind for m in meetings] == [MeetingKind.COORDINATION, MeetingKind.TPPO]
    assert {"Polres Palangka Raya", "Forum Anak", "TP-PKK Kota Palangka Raya"} <= set(
        meetings[1].outside_participants.splitlines())
    for meeting in meetings:
        codes = db.exec(select(MeetingQuestion.question_code).where(MeetingQuestion.meeting_id == meeting.id)).all()
        assert len(codes) == 3, meeting.title
        docs = db.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id)).all()
        assert {"minutes", "attendance"} <= {str(d.role) for d in docs}
        for code in codes:
            linked = set(db.exec(select(Evidence.document_id).join(Answer, col(Answer.id) == col(Evidence.answer_id))
                                 .where(Answer.assessment_id == current.id, Answer.question_code == code,
                                        col(Evidence.removed_at).is_(None))))
            assert {d.document_id for d in docs} <= linked, code


def _documents_figures_areas_and_marks(db, catalogue, scorer, past, current):
    """Issue 23 in Palangka Raya: described documents, flagged ones, figures, applied Kelana/Dekela
    records, the checklist with Nilai EM."""
    for assessment, year in ((past, 2024), (current, 2025)):
        docs = db.exec(select(Document).where(Document.assessment_id == assessment.id)).all()
        assert sum(bool(d.title and d.year) for d in docs) >= len(docs) - 3, year
        perda = [d for d in docs if d.kind == DocumentKind.PERDA and d.number == "Nomor 5 Tahun 2021"]
        assert perda and perda[0].issuer == "Wali Kota Palangka Raya" and perda[0].extracted, year
        assert any(d.agency_id is not None for d in docs), year  # the Dinas Kesehatan's upload
        flags = document_flags.assessment_flags(db, assessment, catalogue, year)
        found = {flag for item in flags.by_file.values() for flag in item.flags}
        assert {Flag.OUT_OF_PERIOD, Flag.NO_TITLE, Flag.NO_YEAR} <= found, (year, found)
        if year == 2024:
            assert Flag.EXPIRED in found
        else:
            assert Flag.NEEDS_NEWER in found
        answers = {a.question_code: a for a in db.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
        entered = figures.figures_by_answer(db, [answers[c].id for c in FIGURES if c in answers])
        assert len(entered) >= 10, year
        trend = figures.summary_of(catalogue, "12.4", year, entered[answers["12.4"].id])
        assert trend is not None and trend.trend is not None, year
        marks = handoff_marks.load(db, assessment, scorer)
        ticked = sum(m.entered for m in marks.marks.values())
        official = sum(m.official_score is not None for m in marks.marks.values())
        assert (ticked, official) >= ((240, 200) if year == 2024 else (80, 15)), year
        assert marks.comparison.differing, year
    na = db.exec(select(Answer).where(Answer.assessment_id == current.id, Answer.question_code == "24A.1")).one()
    assert na.not_applicable and na.note == NOT_APPLICABLE[1]
    place = place_of(db, current)
    shares = areas.results(db, place, catalogue, only_recorded=True)
    assert shares["25.2"].percent == 60 and shares["25.11"].percent == 100
    applied = db.exec(select(Answer).where(Answer.assessment_id == current.id, Answer.question_code == "25.2")).one()
    assert applied.value == 60
    # The Pahandut office's own account recorded for its kecamatan and its kelurahan only.
    camat = db.exec(select(User).where(User.username == "camat.pahandut")).one()
    assert areas.area_scope(db, camat) == "62.71.01"
    by_office = db.exec(select(AreaRecord).where(AreaRecord.updated_by == camat.id)).all()
    assert by_office and all(r.area_code.startswith("62.71.01") for r in by_office)
    assert shares["25.9"].meeting >= 1
    # issue 24, surel: addresses on a reserved domain; reminders due now (tests/web/test_demo_notices.py sends them)
    assert camat.email == "camat.pahandut@example.org"
    assert current.window_open and current.window_closes_at is not None
    assert db.exec(select(Reopening).where(Reopening.until > utcnow())).first() is not None


def test_the_nation_looks_like_the_published_distribution(db, catalogue, app):
    """The one run of the whole nation (some 450 more assessments)."""
    build_demo(db, catalogue, app.state.evidence)
    db.commit()
    cycle = db.exec(select(Cycle).where(Cycle.year == 2024)).one()
    assessments = db.exec(select(Assessment).where(Assessment.cycle_id == cycle.id)).all()
    assert len(assessments) == 464
    category = {a.assessment_id: a.category for a in db.exec(select(Award))}
    fixed = Counter(c for c in category.values() if c)
    assert fixed == {"utama": 22, "nindya": 69, "madya": 125, "pratama": 139}
    assert sum(a.stage == Stage.AWARDED for a in assessments) == 355
    deviations = db.exec(select(Award).where(Award.category != Award.band_category)).all()
    assert len(deviations) == 1 and deviations[0].reason
    by_regency = {a.regency_code: category.get(a.id) or None for a in assessments}
    provinces: dict[str, dict[str, str | None]] = defaultdict(dict)
    for code, province in db.exec(select(Regency.code, Regency.province_code)):
        provinces[province][code] = by_regency.get(code)
    assert sum(provila_status(catalogue, regs).qualifies for regs in provinces.values()) == 13
    # Every demo account, the ministry's and every province's too, has its address on the reserved domain.
    accounts = db.exec(select(User.username, User.email, User.role)).all()
    assert {role for _name, _email, role in accounts} >= {Role.ADMIN, Role.PROVINCE, Role.DP3A, Role.OPD}
    assert [(name, email) for name, email, _role in accounts if email != f"{name}@example.org"] == []


def _rad_plan(db, current):  # issue 24, rad
    """The 2025 RAD KLA of Palangka Raya: a dozen activities over several clusters, reported on by the
    agencies' own accounts: some done with a PDF in the library, some ongoing, one delayed."""
    from app.models import Agency, Document, RadActivity, RadReport, RadStatus

    plan = db.exec(select(RadActivity).where(RadActivity.assessment_id == current.id)).all()
    assert 10 <= len(plan) <= 14
    assert len({a.indicator_code[:2].rstrip("AB") for a in plan}) >= 8 and all(a.budget for a in plan)
    statuses = [a.status for a in plan]
    assert statuses.count(RadStatus.DELAYED) == 1 and statuses.count(RadStatus.DONE) >= 3
    assert statuses.count(RadStatus.ONGOING) >= 3 and RadStatus.PLANNED in statuses
    reports = db.exec(select(RadReport).where(col(RadReport.activity_id).in_([a.id for a in plan]))).all()
    by_activity = {a.id: a for a in plan}
    for report in reports:
        reporter = db.get(User, report.reported_by)
        agency = db.get(Agency, by_activity[report.activity_id].agency_id)
        assert reporter.agency_id == agency.id and reporter.username.startswith(agency.role_code.lower()), report.id
    with_pdf = [r for r in reports if r.document_id is not None]
    assert len(with_pdf) >= 4 and all(r.status in (RadStatus.DONE, RadStatus.ONGOING) for r in with_pdf)
    assert all(db.get(Document, r.document_id).assessment_id == current.id for r in with_pdf)

