"""The demo's 2024 season after the self-assessment, played to the award for the kab/kota of
Kalimantan Tengah the demo names as awarded.

Each one's answers are planned first (`plan_award`): a self-assessment aimed above the target
category, and the questions a later stage lowers (`cuts`: the province, the ministry's desk
review, field verification or the final verification), until the final total sits in the target
band 70 to 300 points below the self-assessment. The rows then follow the rules of
`scoring.season.question_points`: each stage approves every answer (the stage that lowers one
gives its own figure, never above the earlier approval); field and final verification decide only
on what they change and inherit the rest. The rows are written with the models directly, as the
services of those stages would leave them; stage moves go through `season.move` (timeline, audit).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from app.models import (
    ActivityKind,
    Agency,
    Answer,
    Assessment,
    Award,
    FieldActivity,
    FieldMode,
    FieldSchedule,
    FieldTeamMember,
    Finding,
    FollowUp,
    Recommendation,
    RecommendationAgency,
    RecommendationStatus,
    ReviewAction,
    ReviewEvent,
    User,
    saved_id,
    utcnow,
)
from app.services import audit, season
from indicators import Catalogue
from scoring import Answer as ScoredAnswer
from scoring import Move, Scorer, Stage, category_for
from scoring.categories import cent_bands
from scoring.samples import possible_answers

# Where an awarded kab/kota ends (final points), and how far below its self-assessment.
FINAL_RANGE = {"pratama": (515, 585), "madya": (615, 690), "nindya": (715, 790), "utama": (815, 885)}
DROP_RANGE = (70, 300)
# The stage that lowers an over-scored answer: mostly the ministry's desk review and the field.
CUT_STAGES = (Stage.PROVINCE, Stage.MINISTRY, Stage.MINISTRY, Stage.FIELD, Stage.FIELD, Stage.FINAL)
# The demo's 2024 season: when each move happened (the self-assessment was handed over by the end of May).
MOVED_ON = {
    Move.SUBMIT: datetime(2024, 5, 31, 3, tzinfo=UTC),
    Move.HAND_ON: datetime(2024, 6, 14, 3, tzinfo=UTC),
    Move.TO_FIELD: datetime(2024, 6, 28, 3, tzinfo=UTC),
    Move.TO_FINAL: datetime(2024, 7, 12, 3, tzinfo=UTC),
    Move.PUBLISH: datetime(2024, 7, 23, 3, tzinfo=UTC),
}
# A stage decides in the days before its assessment moves on.
DECIDED_BEFORE = {Stage.DP3A: Move.SUBMIT, Stage.PROVINCE: Move.HAND_ON, Stage.MINISTRY: Move.TO_FIELD,
                  Stage.FIELD: Move.TO_FINAL, Stage.FINAL: Move.PUBLISH}
CUT_NOTES = {
    Stage.PROVINCE: "Bukti dukung belum mencakup seluruh kecamatan; nilai disesuaikan.",
    Stage.MINISTRY: "Dokumen yang dilampirkan terbitan tahun sebelumnya; nilai disesuaikan.",
    Stage.FIELD: "Hasil kunjungan lapangan tidak sepenuhnya sesuai dengan isian; nilai disesuaikan.",
    Stage.FINAL: "Disesuaikan pada verifikasi akhir tim nasional.",
}
RECOMMENDATION_TEXT = {
    Stage.PROVINCE: "Lengkapi data terpilah per kecamatan dan perbarui setiap tahun.",
    Stage.MINISTRY: "Terbitkan regulasi/SK tahun berjalan dan lampirkan salinan yang sudah ditandatangani.",
    Stage.FIELD: "Perkuat layanan sesuai temuan verifikasi lapangan dan dokumentasikan kegiatannya.",
    Stage.FINAL: "Tindak lanjuti catatan verifikasi akhir bersama OPD terkait.",
}


# -- planning (pure) ------------------------------------------------------------------------------


@dataclass
class Plan:
    """An awarded kab/kota's answers, the questions later stages lower, and the totals that follow."""

    category: str
    answers: dict[str, ScoredAnswer]
    cuts: dict[str, tuple[Stage, int]]  # question -> the stage that lowers it, and its figure in cents
    self_cents: int
    final_cents: int

    def score_at(self, stage: Stage, code: str) -> Decimal | None:
        cut = self.cuts.get(code)
        return Decimal(cut[1]) / 100 if cut is not None and cut[0] == stage else None

    def cut_at(self, stage: Stage) -> list[str]:
        return sorted(code for code, (where, _figure) in self.cuts.items() if where == stage)


def pick_answers(scorer: Scorer, codes: list[str], quality: float, rng: random.Random) -> dict[str, ScoredAnswer]:
    """One answer per question, better on average as `quality` rises (0..1)."""
    chosen: dict[str, ScoredAnswer] = {}
    for code in codes:
        options = possible_answers(scorer, code)
        ranked = sorted(options, key=partial(scorer.question_points, code))
        spread = min(len(ranked) - 1, max(0, round(rng.gauss(quality, 0.25) * (len(ranked) - 1))))
        chosen[code] = ranked[spread]
    return chosen


def answers_for_target(scorer: Scorer, codes: list[str], target_points: float,
                       rng: random.Random) -> dict[str, ScoredAnswer]:
    low, high = 0.0, 1.0
    best: dict[str, ScoredAnswer] = {}
    for _ in range(14):
        quality = (low + high) / 2
        state = rng.getstate()
        best = pick_answers(scorer, codes, quality, rng)
        rng.setstate(state)
        total = scorer.score(best).total / 100
        if total < target_points:
            low = quality
        else:
            high = quality
    return best


def plan_award(scorer: Scorer, codes: list[str], category: str, rng: random.Random,
               drop: tuple[int, int] = DROP_RANGE) -> Plan:
    """Answers and cuts that end in `category` with a drop within `drop` points (checked, not hoped)."""
    entry = next(b.entry_cents() for b in cent_bands(scorer.catalogue) if b.band.code == category)
    low, high = FINAL_RANGE[category]
    for _ in range(40):
        final_aim = round(rng.uniform(low, high) * 100)
        # Leave room under the instrument's maximum: a near-perfect self-assessment is rare.
        drop_aim = min(rng.uniform(drop[0] + 25, drop[1] - 60), 985 - final_aim / 100)
        answers = answers_for_target(scorer, codes, final_aim / 100 + drop_aim, rng)
        self_sheet = scorer.score(answers)
        cuts, points = _cut_to(scorer, dict(self_sheet.questions), final_aim, entry + 100, rng)
        final = scorer.sheet_of(points)
        dropped = self_sheet.total - final.total
        if category_for(scorer, final).code == category and drop[0] * 100 <= dropped <= drop[1] * 100:
            return Plan(category, answers, cuts, self_sheet.total, final.total)
    raise RuntimeError(f"no demo plan for {category}")  # the ranges above make this unreachable in practice


def _cut_to(scorer: Scorer, points: dict[str, int], aim: int, floor: int,
            rng: random.Random) -> tuple[dict[str, tuple[Stage, int]], dict[str, int]]:
    total = scorer.sheet_of(points).total
    codes = sorted(code for code, cents in points.items() if cents > 0)
    rng.shuffle(codes)
    cuts: dict[str, tuple[Stage, int]] = {}
    for code in codes:
        if total <= aim:
            break
        figure = int(points[code] * rng.choice((0, 0.25, 0.5, 0.5, 0.75)))
        trial = {**points, code: figure}
        trial_total = scorer.sheet_of(trial).total
        if trial_total < floor or trial_total == total:  # too far, or under a capped indicator's ceiling
            continue
        points, total = trial, trial_total
        cuts[code] = (rng.choice(CUT_STAGES), figure)
    return cuts, points


def decided_on(stage: Stage, rng: random.Random) -> datetime:
    return MOVED_ON[DECIDED_BEFORE[stage]] - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 8))


# -- Kalimantan Tengah: the rows ------------------------------------------------------------------


@dataclass
class People:
    """Who does what in the season of one kab/kota."""

    dp3a: User
    province: User
    reviewer: User
    verifier: User
    admin: User
    opd: dict[int, User]  # agency id -> an account of that agency (Kota Palangka Raya's)


def play_to_final(session: Session, catalogue: Catalogue, assessment: Assessment, plan: Plan, people: People,
                  rng: random.Random, *, focus: bool) -> None:
    """From the DP3A's hand-over to the award fixed (FINAL); `publish` moves them all on together."""
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    # The self-assessment's events happened before the hand-over, not when the demo ran.
    session.execute(update(ReviewEvent).where(col(ReviewEvent.answer_id).in_([a.id for a in answers.values()]))
                    .values(at=MOVED_ON[Move.SUBMIT] - timedelta(days=7)))
    move(session, assessment, Move.SUBMIT, people.dp3a)
    events = _decide(session, answers, Stage.PROVINCE, sorted(answers), plan, people.province, rng)
    move(session, assessment, Move.HAND_ON, people.province)
    events |= _decide(session, answers, Stage.MINISTRY, sorted(answers), plan, people.reviewer, rng)
    move(session, assessment, Move.TO_FIELD, people.reviewer, note="Verifikasi lapangan hibrida.")
    site = _field(session, catalogue, assessment, plan, people, rng, focus=focus)
    events |= _decide(session, answers, Stage.FIELD, plan.cut_at(Stage.FIELD), plan, people.verifier, rng)
    move(session, assessment, Move.TO_FINAL, people.reviewer)
    events |= _decide(session, answers, Stage.FINAL, plan.cut_at(Stage.FINAL), plan, people.admin, rng)
    session.add(Award(assessment_id=saved_id(assessment.id), total=Decimal(plan.final_cents) / 100,
                      band_category=plan.category, category=plan.category, decided_by=saved_id(people.admin.id),
                      decided_at=MOVED_ON[Move.PUBLISH] - timedelta(days=3)))
    _recommend(session, catalogue, assessment, plan, events, people, rng, many=focus)
    session.flush()
    audit.record(session, people.admin, "demo.season", "assessment", assessment.id,
                 regency_code=assessment.regency_code,
                 after={"self": plan.self_cents / 100, "final": plan.final_cents / 100, "category": plan.category,
                        "field_activity": site})


def publish(session: Session, assessments: list[Assessment], admin: User) -> None:
    for assessment in assessments:
        move(session, assessment, Move.PUBLISH, admin)


def move(session: Session, assessment: Assessment, what: Move, user: User, note: str = "") -> None:
    change = season.move(session, assessment, what, user, note=note)
    change.at = MOVED_ON[what]
    if what is Move.SUBMIT:
        assessment.submitted_at = MOVED_ON[what]
        session.add(assessment)


def _decide(session: Session, answers: dict[str, Answer], stage: Stage, codes: list[str], plan: Plan, user: User,
            rng: random.Random) -> dict[str, int]:
    """The stage approves `codes` (with its own figure where it lowers one); returns the ids of the
    lowering decisions, by question (recommendations come from them)."""
    rows: list[dict[str, object]] = []
    for code in codes:
        score = plan.score_at(stage, code)
        rows.append({"answer_id": answers[code].id, "stage": stage, "action": ReviewAction.APPROVED, "reasons": [],
                     "score": score, "note": CUT_NOTES[stage] if score is not None else "", "user_id": user.id,
                     "at": decided_on(stage, rng)})
    if not rows:
        return {}
    ids = session.execute(insert(ReviewEvent).returning(col(ReviewEvent.id), sort_by_parameter_order=True),
                          rows).scalars().all()
    return {code: event_id for code, event_id, row in zip(codes, ids, rows, strict=True) if row["score"] is not None}


def _field(session: Session, catalogue: Catalogue, assessment: Assessment, plan: Plan, people: People,
           rng: random.Random, *, focus: bool) -> int:
    """The field team's schedule, members, sessions and findings; returns the site visit's id."""
    starts = (MOVED_ON[Move.TO_FIELD] + timedelta(days=rng.randint(2, 5))).date()
    ends = starts + timedelta(days=2)
    regency = assessment.regency_code
    assessment_id, by = saved_id(assessment.id), saved_id(people.reviewer.id)
    session.add(FieldSchedule(assessment_id=assessment_id, starts_on=starts, ends_on=ends,
                              mode=FieldMode.HYBRID if focus else FieldMode.SITE, scheduled_by=by,
                              scheduled_at=MOVED_ON[Move.TO_FIELD],
                              note="Pembukaan daring bersama Gugus Tugas KLA, lalu kunjungan lapangan."))
    session.add(FieldTeamMember(assessment_id=assessment_id, user_id=saved_id(people.verifier.id), lead=True,
                                added_by=by, added_at=MOVED_ON[Move.TO_FIELD]))
    verifier = saved_id(people.verifier.id)
    online = FieldActivity(assessment_id=assessment_id, on=starts, kind=ActivityKind.ONLINE_SESSION, place="Zoom",
                           note="Paparan Gugus Tugas KLA dan klarifikasi bukti dukung.", created_by=verifier)
    visit = FieldActivity(assessment_id=assessment_id, on=starts + timedelta(days=1), kind=ActivityKind.SITE_VISIT,
                          place=rng.choice(("UPTD PPA", "Puskesmas Ramah Anak", "Puspaga", "Polres")),
                          note="Pengecekan layanan dan dokumen asli.", created_by=verifier)
    check = FieldActivity(assessment_id=assessment_id, on=ends, kind=ActivityKind.DOCUMENT_CHECK,
                          place="Kantor DP3A", note="Legalisasi dokumen dan berita acara.", created_by=verifier)
    session.add_all([online, visit, check])
    session.flush()
    indicators = list(dict.fromkeys(catalogue.questions[c].indicator.code for c in plan.cut_at(Stage.FIELD)))
    for indicator in indicators[:3]:
        session.add(Finding(assessment_id=assessment_id, indicator_code=indicator, activity_id=visit.id,
                            text=f"Temuan {regency}: layanan berjalan, tetapi bukti pelaksanaan belum lengkap.",
                            created_by=verifier, created_at=datetime.combine(visit.on, datetime.min.time(), UTC)))
    if focus:  # children speak to the team only: the interview's finding is sensitive (team and ministry)
        interview = FieldActivity(assessment_id=assessment_id, on=starts + timedelta(days=1),
                                  kind=ActivityKind.CHILD_INTERVIEW, place="Sekretariat Forum Anak Kota Palangka Raya",
                                  note="Wawancara dengan pengurus Forum Anak.", created_by=verifier)
        session.add(interview)
        session.flush()
        indicator = next(iter(catalogue.indicators))
        session.add(Finding(assessment_id=assessment_id, indicator_code=indicator, activity_id=interview.id,
                            text="Dua anak menceritakan perundungan di sekolah yang belum ditangani; identitas "
                                 "dirahasiakan, dirujuk ke UPTD PPA.", sensitive=True, created_by=verifier))
    return saved_id(visit.id)


def _recommend(session: Session, catalogue: Catalogue, assessment: Assessment, plan: Plan,
               events: dict[str, int], people: People, rng: random.Random, *, many: bool) -> None:
    """Recommendations on lowered answers, followed up to different points (closed, reported, overdue...)."""
    agencies = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == assessment.regency_code))}
    statuses = ([RecommendationStatus.CLOSED] * 2 + [RecommendationStatus.REPORTED] * 2
                + [RecommendationStatus.ASSIGNED] * 2 + [RecommendationStatus.OPEN]) if many else \
        [rng.choice(list(RecommendationStatus)) for _ in range(3)]
    codes = sorted(events)
    rng.shuffle(codes)
    today = utcnow().date()
    for index, (code, status) in enumerate(zip(codes, statuses, strict=False)):
        event = session.get(ReviewEvent, events[code])
        assert event is not None  # just written
        ref = catalogue.questions[code]
        rec = Recommendation(assessment_id=saved_id(assessment.id), stage=event.stage, indicator_code=ref.indicator.code,
                             question_code=code, text=RECOMMENDATION_TEXT[Stage(event.stage)], source_event_id=event.id,
                             status=status, created_by=event.user_id, created_at=MOVED_ON[Move.PUBLISH])
        agency = next((agencies[r] for r in ref.question.agencies if r in agencies), agencies["DP3A"])
        if status != RecommendationStatus.OPEN:
            # one of the assigned ones is overdue: the due date passed without a report
            due = today - timedelta(days=20) if index == 4 else today + timedelta(days=rng.randint(30, 120))
            rec.due_on = due if status == RecommendationStatus.ASSIGNED else date(2024, 12, 31)
        session.add(rec)
        session.flush()
        if status == RecommendationStatus.OPEN:
            continue
        session.add(RecommendationAgency(recommendation_id=saved_id(rec.id), agency_id=saved_id(agency.id)))
        if status in (RecommendationStatus.REPORTED, RecommendationStatus.CLOSED):
            author = people.opd.get(saved_id(agency.id), people.dp3a)
            session.add(FollowUp(recommendation_id=saved_id(rec.id), agency_id=agency.id, user_id=saved_id(author.id),
                                 note="Sudah ditindaklanjuti; dokumen pendukung dilampirkan.",
                                 at=datetime(2024, 11, rng.randint(1, 28), 2, tzinfo=UTC)))
        if status == RecommendationStatus.CLOSED:
            rec.closed_by, rec.close_note = people.dp3a.id, "Tindak lanjut diterima."
            rec.closed_at = datetime(2024, 12, rng.randint(1, 20), 2, tzinfo=UTC)
            session.add(rec)
