"""The demo's second kab/kota of 2025 (issue 24): Kabupaten Pulang Pisau, already at the province.

Everything through the services a user's click goes through (audited), in the order the app allows:
its 2024 answers proposed for carrying over and accepted by its DP3A (`cycles`), submitted and
approved by the DP3A (`answers.submit`, `review.decide` at the DP3A's stage), the assessment handed to
the province once `check_submission` lets it (`review.submit_assessment`), and the province's
verifier deciding its first answers: a few approved, one returned with a reason and a note. That
return opens the kab/kota's 48-hour reopening itself (`review.decide`), so the demo has a reopening
due for e-mail (to the kab/kota's DP3A: Pulang Pisau has no agency accounts in the demo).

Runs once, on a fresh 2025 (`build_demo`'s `if fresh_next:` block).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import Answer, AnswerStatus, Assessment, Cycle, Regency, Role, User, saved_id
from app.services import answers, cycles
from app.services import review as review_service
from app.services.setup import open_assessment
from indicators import Catalogue
from scoring import Scorer, Stage

REGENCY = "62.11"  # Kabupaten Pulang Pisau (Madya in 2024: every question answered)
PROVINCE_APPROVED = 4  # the province's verifier has started: its first answers approved
RETURNED_CODE = "2.1"  # "Has the Gugus Tugas KLA been formed? (attach its SK and members)"
PROVINCE_REASONS = ("bukan_tahun_berjalan", "belum_ditandatangani")
PROVINCE_RETURN_NOTE = ("SK Gugus Tugas KLA yang terlampir masih SK tahun 2024 dan belum ditandatangani Bupati; "
                        "unggah SK tahun 2025 yang ditandatangani beserta susunan keanggotaannya.")


def build_province_2025(session: Session, catalogue: Catalogue, scorer: Scorer, focus: Assessment) -> Assessment | None:
    """Pulang Pisau's 2025 (the cycle of `focus`, the focus kab/kota's 2025), from the carry-over to the
    province's first decisions (see the module). None when the kab/kota or its accounts are missing
    (nothing is written then)."""
    cycle = session.get(Cycle, focus.cycle_id)
    regency = session.get(Regency, REGENCY)
    dp3a = session.exec(select(User).where(User.regency_code == REGENCY, User.role == Role.DP3A)).first()
    verifier = session.exec(select(User).where(User.role == Role.PROVINCE,
                                               User.province_code == (regency.province_code if regency else ""))
                            .order_by(col(User.id))).first()
    before = session.exec(select(Assessment).join(Cycle).where(Cycle.year == catalogue.year,
                                                               Assessment.regency_code == REGENCY)).first()
    if cycle is None or regency is None or dp3a is None or verifier is None or before is None:
        return None
    assessment = open_assessment(session, regency, cycle, catalogue)
    if assessment.stage != Stage.SELF:
        return assessment  # handed over already
    cycles._propose(session, assessment, before, {}, catalogue)  # the proposals `kla cycle open` makes
    session.flush()
    cycles.decide(session, scorer, assessment, dp3a, cycles.proposed(session, saved_id(assessment.id)), accepted=True)
    session.flush()
    _submit_and_approve(session, assessment, dp3a)
    state = review_service.load_state(session, assessment, dp3a)
    check = review_service.check_submission(state, catalogue)
    if not check.ready:  # the 2024 answers did not cover the 2025 instrument: it stays with the kab/kota
        return assessment
    review_service.submit_assessment(session, assessment, check, dp3a)
    _province_decides(session, catalogue, assessment, verifier)
    session.flush()
    return assessment


def _answers(session: Session, assessment: Assessment) -> list[Answer]:
    return list(session.exec(select(Answer).where(Answer.assessment_id == assessment.id)
                             .order_by(col(Answer.question_code))).all())


def _submit_and_approve(session: Session, assessment: Assessment, dp3a: User) -> None:
    """The DP3A submits the carried-over answers (no agency has an account) and approves them all."""
    answers.submit(session, assessment, _answers(session, assessment), dp3a)
    for answer in _answers(session, assessment):
        if answer.status == AnswerStatus.SUBMITTED:
            review_service.decide(session, assessment, answer, Stage.DP3A, "approved", dp3a)
    session.flush()


def _province_decides(session: Session, catalogue: Catalogue, assessment: Assessment, verifier: User) -> None:
    """The verifier approves the first answers of its queue (of questions that are not sensitive) and
    returns the Gugus Tugas's SK, with the reasons and what to fix (its note may travel by e-mail)."""
    plain = [a for a in _answers(session, assessment) if a.question_code in catalogue.questions
             and not catalogue.questions[a.question_code].question.sensitive]
    returned = next((a for a in plain if a.question_code == RETURNED_CODE), plain[-1] if plain else None)
    for answer in [a for a in plain if a is not returned][:PROVINCE_APPROVED]:
        review_service.decide(session, assessment, answer, Stage.PROVINCE, "approved", verifier)
    if returned is not None:
        known = {r.code for r in catalogue.review_reasons}
        reasons = [r for r in PROVINCE_REASONS if r in known] or [catalogue.review_reasons[0].code]
        review_service.decide(session, assessment, returned, Stage.PROVINCE, "returned", verifier,
                              reasons=reasons, note=PROVINCE_RETURN_NOTE)
