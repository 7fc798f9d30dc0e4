"""The demo's answers as data in Kota Palangka Raya (issue 23): yearly figures, "tidak berlaku",
Kelana/Dekela records, and the "sudah diunggah" checklist with the ministry's Nilai EM.

- Figures: 4.1-4.3 and 16.2 (shares), 12.4 and 12.5 (falling counts), 17.3a-c (rising shares), 12.3
  and 14.2 (the percentage computed from them), 5.3 with one year only, 7.1 with no case at all. In
  2024 (published) they are rows that agree with the answers as scored; in 2025 they go through
  `figures.save_figures` where the answer may change (its percentage follows), else rows.
- 24A.1 in 2025: "tidak berlaku", no ABH case (2024 keeps its typed value: its score is published).
- Kelana/Dekela 2025: the five kecamatan and thirty kelurahan recorded by the DP3A, then applied.
- The checklist: 2024 nearly all entered, most with a Nilai EM that differs from our estimate where
  the provisional scales do (a middle option of `regulasi`/`kelembagaan` scores 0 officially, typed
  percentages a few points less, "tidak berlaku" full); 2025 part KL entered, K1 half, 15 Nilai EM.
"""

from __future__ import annotations

import contextlib
import io
import random
from decimal import Decimal
from fractions import Fraction

from sqlmodel import Session, select

from app.deps import Place
from app.evidence import EvidenceStore
from app.evidence import metadata as file_metadata
from app.models import Answer, AreaLevel, Assessment, Cycle, HandoffMark, Regency, User, saved_id, utcnow
from app.models.documents import Figure
from app.refusals import Refusal
from app.services import answers as answer_service
from app.services import areas, documents, figures, handoff_marks, questions
from app.services.answers import AnswerInput, scored, scored_answers
from app.services.evidence import register
from indicators import Catalogue, OptionsScale, PercentScale
from scoring import Scorer
from scoring.figures import YearFigure, evaluated_years

SEED = 2025
N = tuple[int, int | None]  # a year's numerator and denominator
# Per question, the figures of the four years 2022-2025 (a cycle asks for the two before its own).
FIGURES: dict[str, dict[int, N]] = {
    "4.1": {2022: (5890, 6120), 2023: (6010, 6180), 2024: (6105, 6230)},
    "4.2": {2022: (5702, 6120), 2023: (5935, 6180), 2024: (6051, 6230)},
    "4.3": {2022: (3120, 6120), 2023: (3860, 6180), 2024: (4415, 6230)},
    "16.2": {2022: (62_800, 71_500), 2023: (64_900, 72_300), 2024: (66_750, 73_100)},
    "12.4": {2022: (41, None), 2023: (36, None), 2024: (31, None)},
    "12.5": {2022: (6, None), 2023: (4, None), 2024: (3, None)},
    "17.3a": {2022: (24, 35), 2023: (28, 35), 2024: (31, 36)},
    "17.3b": {2022: (140, 212), 2023: (168, 214), 2024: (181, 215)},
    "17.3c": {2022: (45, 90), 2023: (58, 92), 2024: (66, 94)},
    "12.3": {2022: (4480, 4615), 2024: (4655, 4790)},  # 2023: as the 2024 answer says (below)
    "14.2": {2022: (3320, 3950), 2024: (3690, 4120)},
    "5.3": {2023: (2140, None), 2024: (2385, None)},  # 2024's cycle: one year entered only
    "7.1": {2022: (0, None), 2023: (0, None), 2024: (0, None)},
}
SINGLE_YEAR = {"5.3": 2024}  # in the cycle of this year, only the latest year's figure
NOT_APPLICABLE = ("24A.1", "Tidak ada kasus ABH")
# Kelana: per question the kecamatan that meet it (False: do not; absent: not recorded).
KECAMATAN = {
    "25.2": {"Pahandut": True, "Jekan Raya": True, "Sabangau": True, "Bukit Batu": False},
    "25.4": {"Pahandut": True, "Jekan Raya": True, "Sabangau": True, "Bukit Batu": True, "Rakumpit": False},
    "25.7a": {"Rakumpit": True, "Pahandut": False, "Jekan Raya": False, "Sabangau": False, "Bukit Batu": False},
    "25.7d": {"Rakumpit": True, "Bukit Batu": True, "Pahandut": False, "Jekan Raya": False, "Sabangau": False},
    "25.11": {"Pahandut": True, "Jekan Raya": True, "Sabangau": True, "Bukit Batu": True, "Rakumpit": True},
}
NOTED = ("Pahandut", "25.2", "SK Camat Pahandut No. 400.3/27/KEC-PHD/2025 tentang Forum Anak Kecamatan")
# Dekela: per question how many of the kelurahan meet it, and how many are left unrecorded.
KELURAHAN = {"26.4": (20, 2), "26.15": (12, 3), "26.8d": (6, 0)}
OFFICE_KECAMATAN = "Pahandut"  # the kecamatan whose office has its own account (camat.pahandut)


def place_of(session: Session, assessment: Assessment) -> Place:
    regency, cycle = session.get(Regency, assessment.regency_code), session.get(Cycle, assessment.cycle_id)
    assert regency is not None and cycle is not None  # foreign keys
    return Place(regency, cycle, assessment)


# -- figures ---------------------------------------------------------------------------------------


def _wanted(catalogue: Catalogue, code: str, cycle_year: int, answer: Answer | None) -> dict[int, YearFigure]:
    declared = catalogue.questions[code].question.figures
    assert declared is not None
    table = dict(FIGURES[code])
    scale = catalogue.scales[catalogue.questions[code].question.scale]
    last = cycle_year - 1
    if isinstance(scale, PercentScale) and last not in table and answer is not None and answer.value is not None:
        infants = 4700
        table[last] = (round(Decimal(answer.value) * infants / 100), infants)
    years = evaluated_years(cycle_year, declared.years)
    if SINGLE_YEAR.get(code) == cycle_year:
        years = years[-1:]
    found = {}
    for year in years:
        if year in table:
            numerator, denominator = table[year]
            found[year] = YearFigure(year, Decimal(numerator), None if denominator is None else Decimal(denominator))
    return found


def _rows(session: Session, catalogue: Catalogue, answer: Answer, wanted: dict[int, YearFigure], user: User) -> None:
    unit = catalogue.questions[answer.question_code].question.figures.unit  # type: ignore[union-attr]
    for year, figure in wanted.items():
        session.add(Figure(answer_id=saved_id(answer.id), year=year, numerator=figure.numerator,
                           denominator=figure.denominator, unit=unit, updated_by=user.id, updated_at=utcnow()))


def past_figures(session: Session, catalogue: Catalogue, assessment: Assessment, year: int, dp3a: User) -> None:
    """2024's figures as rows beside the published answers (a percentage: the one the answer gave)."""
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    for code in FIGURES:
        if code in answers:
            _rows(session, catalogue, answers[code], _wanted(catalogue, code, year, answers[code]), dp3a)
    session.flush()


def next_figures(session: Session, catalogue: Catalogue, scorer: Scorer, place: Place, dp3a: User) -> None:
    """2025's figures through the service (the answer's percentage follows), or as rows beside an
    answer the DP3A may not change now; then 24A.1 "tidak berlaku"."""
    for code in FIGURES:
        question = questions.open_question(session, place, dp3a, catalogue, code)
        wanted = _wanted(catalogue, code, place.cycle.year, question.answer)
        try:
            form = figures.FiguresForm(dict(wanted), question.answer.version if question.answer else 0)
            saved = figures.save_figures(session, place, dp3a, catalogue, scorer, question, form).answer
            _choose_suggested(session, catalogue, scorer, place, dp3a, saved)
        except Refusal:
            if question.answer is not None:
                _rows(session, catalogue, question.answer, wanted, dp3a)
        session.flush()
    code, note = NOT_APPLICABLE
    question = questions.open_question(session, place, dp3a, catalogue, code)
    with contextlib.suppress(Refusal):  # submitted already: it keeps its answer
        questions.check_answer_editable(place, dp3a, question)
        answer_service.save_answer(session, place.assessment, code, AnswerInput(not_applicable=True, note=note),
                                   question.answer.version if question.answer else 0, dp3a, scorer,
                                   current=question.answer)


def _choose_suggested(session: Session, catalogue: Catalogue, scorer: Scorer, place: Place, user: User,
                      answer: Answer) -> None:
    """A new answer of an options scale takes the option its figures point to, as the person would."""
    summary = figures.summary_of(catalogue, answer.question_code, place.cycle.year,
                                 figures.figures_of(session, answer.id), answer.option)
    option = summary.suggestion.option if summary is not None else None
    if option is not None and answer.option is None:
        answer_service.save_answer(session, place.assessment, answer.question_code,
                                   AnswerInput(option=option, note=answer.note), answer.version, user, scorer,
                                   current=answer)


# -- Kelana/Dekela -----------------------------------------------------------------------------------


def next_areas(session: Session, catalogue: Catalogue, scorer: Scorer, store: EvidenceStore, place: Place,
               dp3a: User) -> None:
    """The DP3A's records of the kecamatan and kelurahan, one with its SK as evidence; then applied."""
    from app.services.demo import sample_pdf

    regency = place.regency.code
    kecamatan = {a.name: a for a in areas.areas_of(session, regency, AreaLevel.KECAMATAN)}
    pdf = sample_pdf("KEPUTUSAN CAMAT PAHANDUT", "NOMOR 400.3/27/KEC-PHD/2025", "TENTANG",
                     "FORUM ANAK KECAMATAN PAHANDUT", "DENGAN RAHMAT TUHAN YANG MAHA ESA", "CAMAT PAHANDUT,", "Ditetapkan pada tanggal 6 Januari 2025")
    stored = store.save_file(io.BytesIO(pdf))
    register(session, stored)
    evidence = areas.evidence_document(session, place, dp3a, catalogue, ["25.2"], stored.sha256,
                                       "sk-camat-pahandut-forum-anak.pdf")
    documents.prefill(evidence, file_metadata.extract_pdf(pdf))
    session.add(evidence)
    for code, marks in KECAMATAN.items():
        for name, meets in marks.items():
            note = NOTED[2] if (name, code) == NOTED[:2] else None
            _record(session, place, dp3a, catalogue, kecamatan[name], {code: meets}, note,
                    evidence.id if note else None)
    rng = random.Random(SEED)
    kelurahan = areas.areas_of(session, regency, AreaLevel.DESA)
    for code, (meeting, unrecorded) in KELURAHAN.items():
        order = rng.sample(kelurahan, len(kelurahan))
        for index, area in enumerate(order[: len(order) - unrecorded]):
            _record(session, place, dp3a, catalogue, area, {code: index < meeting}, None, None)
    areas.apply(session, place, dp3a, catalogue, scorer, store)


def office_records(session: Session, catalogue: Catalogue, place: Place, camat: User) -> None:
    """What the Pahandut office's own account recorded: its kecamatan's reading corner (25.9) and the
    child-friendly playgrounds (26.12) of two of its kelurahan; the DP3A applies them with the rest."""
    pahandut = next(a for a in areas.areas_of(session, place.regency.code, AreaLevel.KECAMATAN)
                    if a.name == OFFICE_KECAMATAN)
    _record(session, place, camat, catalogue, pahandut, {"25.9": True}, "Pojok baca anak di kantor kecamatan", None)
    for kelurahan in areas.areas_of(session, place.regency.code, AreaLevel.DESA, parent=pahandut.code)[:2]:
        _record(session, place, camat, catalogue, kelurahan, {"26.12": True}, None, None)


def _record(session: Session, place: Place, user: User, catalogue: Catalogue, area: object,
            meets: dict[str, bool], note: str | None, document_id: int | None) -> None:
    # Refused when its answer is read-only now (submitted): the DP3A records it once it is returned.
    with contextlib.suppress(Refusal):
        areas.record(session, place, user, catalogue, area, meets, note, document_id)  # type: ignore[arg-type]


# -- sudah diunggah and Nilai EM ----------------------------------------------------------------------


def official_of(catalogue: Catalogue, scorer: Scorer, code: str, answer: Answer | None, ours: int,
                rng: random.Random) -> Decimal:
    """The Nilai EM the ministry's application would give, in points: ours, except where the
    provisional scales differ from it systematically."""
    ref = catalogue.questions[code]
    scale = catalogue.scales[ref.question.scale]
    maximum = scorer.questions[code].max_cents
    cents = ours
    if answer is None:
        cents = rng.choice((0, maximum // 2))
    elif answer.not_applicable:
        cents = maximum
    elif isinstance(scale, OptionsScale) and scale.code in ("regulasi", "kelembagaan"):
        option = next((o for o in scale.options if o.code == answer.option), None)
        if option is not None and Fraction(0) < option.fraction < Fraction(1):
            cents = 0
    elif isinstance(scale, PercentScale) and ours > 0:
        cents = max(0, ours - rng.choice((100, 150, 200, 300)))
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def past_marks(session: Session, catalogue: Catalogue, scorer: Scorer, assessment: Assessment, dp3a: User) -> None:
    """2024 (published): some 250 questions ticked entered, ~220 Nilai EM, 4 on unanswered questions."""
    rng = random.Random(SEED)
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    points = scorer.score(scored_answers(answers)).questions
    codes = list(catalogue.questions)
    unanswered = [c for c in codes if c not in answers][:4]
    at = utcnow()
    for code in codes:
        answered = code in answers
        entered = (answered and rng.random() < 0.93) or code in unanswered
        with_score = code in unanswered or (entered and rng.random() < 0.88)
        if not entered and not with_score:
            continue
        official = official_of(catalogue, scorer, code, answers.get(code), points.get(code, 0), rng) \
            if with_score else None
        session.add(HandoffMark(assessment_id=saved_id(assessment.id), question_code=code, entered=entered,
                                entered_by=dp3a.id if entered else None, entered_at=at if entered else None,
                                official_score=official, official_by=dp3a.id if official is not None else None,
                                official_at=at if official is not None else None))
    session.flush()


def next_marks(session: Session, catalogue: Catalogue, scorer: Scorer, place: Place, dp3a: User) -> None:
    """2025: part KL all entered, K1 half; 15 Nilai EM, 4 of them not what we estimate."""
    assessment, cycle = place.assessment, place.cycle
    handoff_marks.set_entered(session, dp3a, assessment, cycle, catalogue, handoff_marks.codes_of(catalogue, part="KL"),
                              True)
    k1 = handoff_marks.codes_of(catalogue, part="K1")
    handoff_marks.set_entered(session, dp3a, assessment, cycle, catalogue, k1[: len(k1) // 2], True)
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    scored_now = {code: s for code, a in answers.items() if (s := scored(a)) is not None}
    points = scorer.score(scored_now).questions
    chosen = [code for code in catalogue.questions if code in answers][:15]
    for index, code in enumerate(chosen):
        ours = Decimal(points.get(code, 0)) / 100
        maximum = Decimal(scorer.questions[code].max_cents) / 100
        value = ours if index % 4 else (maximum if ours == 0 else Decimal(0))
        handoff_marks.record_official(session, dp3a, assessment, cycle, catalogue, code, f"{value:.2f}")
