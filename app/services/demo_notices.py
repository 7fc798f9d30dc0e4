"""The demo's due reminders (issue 24): right after `kla demo`, with KLA_SMTP_URL set, `kla jobs run --once`
has e-mails to deliver in Kota Palangka Raya 2025, and a second run has none.

- two answers of Dinkes returned by the DP3A just now (one of a sensitive question: its e-mail names no
  file and no note), through the review service as a DP3A does it;
- no reopening here: Palangka Raya's 2025 stands at the self-assessment, where a return opens none (the
  answering window is open). The demo's reopening is the province's return in Kabupaten Pulang Pisau
  (`demo_province_2025`), which `review.decide` opens itself;
- the answering window closing in about two days (16:00 WIB the day after tomorrow), so the 3-day
  reminder is due.

Runs once, on a fresh 2025 (`build_demo`'s `if fresh_next:` block).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, col, select

from app.clock import WIB
from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    Assignment,
    User,
    utcnow,
)
from app.services import answers
from app.services.answering_window import set_window
from app.services.review import decisions
from indicators import Catalogue
from indicators.models import OptionsScale
from scoring import Scorer, Stage

RETURN_NOTE = "Lampirkan SK yang ditandatangani tahun 2025; yang terlampir masih draf."
SENSITIVE_NOTE = "Data korban pada lampiran harus disamarkan sebelum diunggah ulang."
CHILD_NOTE = "Pendampingan anak korban (inisial M, 9 tahun) oleh UPTD PPA; berkas visum terlampir."


def _answers_of(session: Session, catalogue: Catalogue, assessment: Assessment, agency_id: int,
                status: AnswerStatus, sensitive: bool) -> list[Answer]:
    """The agency's answers in `status`, of sensitive questions or not, in code order."""
    codes = set(session.exec(select(Assignment.question_code).where(Assignment.assessment_id == assessment.id,
                                                                    Assignment.agency_id == agency_id)).all())
    answers = session.exec(select(Answer).where(Answer.assessment_id == assessment.id, Answer.status == status)
                           .order_by(col(Answer.question_code))).all()
    return [a for a in answers if a.question_code in codes and a.question_code in catalogue.questions
            and catalogue.questions[a.question_code].question.sensitive == sensitive]


def _sensitive_submitted(session: Session, catalogue: Catalogue, assessment: Assessment, opd: User) -> Answer | None:
    """A submitted answer of a sensitive Dinkes question; the agency submits a carried-over draft when
    none is (the demo's 2025 leaves them as drafts)."""
    agency_id = opd.agency_id or 0
    found = _answers_of(session, catalogue, assessment, agency_id, AnswerStatus.SUBMITTED, sensitive=True)
    if found:
        return found[0]
    drafts = [a for a in _answers_of(session, catalogue, assessment, agency_id, AnswerStatus.DRAFT, sensitive=True)
              if answers.is_answered(a)] or _answer_one(session, catalogue, assessment, opd)
    if drafts and answers.submit(session, assessment, drafts[:1], opd):
        return drafts[0]
    return None


def _answer_one(session: Session, catalogue: Catalogue, assessment: Assessment, opd: User) -> list[Answer]:
    """The agency answers its first unanswered sensitive question of options (with a note that names a
    child: what the e-mail must never carry)."""
    taken = set(session.exec(select(Answer.question_code).where(Answer.assessment_id == assessment.id)).all())
    codes = sorted(session.exec(select(Assignment.question_code).where(Assignment.assessment_id == assessment.id,
                                                                       Assignment.agency_id == opd.agency_id)).all())
    for code in codes:
        question = catalogue.questions[code].question if code in catalogue.questions else None
        scale = catalogue.scales[question.scale] if question is not None else None
        if question is None or not question.sensitive or code in taken or not isinstance(scale, OptionsScale):
            continue
        saved = answers.save_answer(session, assessment, code, answers.AnswerInput(
            option=scale.options[-1].code, note=CHILD_NOTE), 0, opd, Scorer(catalogue))
        return [saved.answer]
    return []


def due_reminders(session: Session, catalogue: Catalogue, assessment: Assessment, dp3a: User, opd: User) -> None:
    """Returns and a closing window in the focus kab/kota's 2025, as described above."""
    if opd.agency_id is None:
        return
    reason = catalogue.review_reasons[0].code
    plain = _answers_of(session, catalogue, assessment, opd.agency_id, AnswerStatus.SUBMITTED, sensitive=False)
    sensitive = _sensitive_submitted(session, catalogue, assessment, opd)
    for answer, note in ((plain[0] if plain else None, RETURN_NOTE), (sensitive, SENSITIVE_NOTE)):
        if answer is not None:
            decisions.decide(session, assessment, answer, Stage.DP3A, "returned", dp3a, reasons=[reason], note=note)
    closes = datetime.combine(utcnow().astimezone(WIB).date() + timedelta(days=2), time(16, 0), WIB).astimezone(UTC)
    set_window(session, dp3a, assessment, True, closes)
    session.flush()
