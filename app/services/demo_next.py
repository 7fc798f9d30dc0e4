"""The demo's 2025 cycle: open for Kota Palangka Raya with its 2024 answers proposed for carrying
over (as `cycles.open_cycle` proposes them; the demo opens the one kab/kota only). Its DP3A has accepted part of them and its agencies are at work: some answers handed to the DP3A,
some checked, one returned with a reason. The 2024 recommendations stay open on their questions,
and the 2024 season stays readable beside it (published, so read-only)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, col, select

from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    Cycle,
    Evidence,
    Regency,
    ReviewAction,
    ReviewEvent,
    User,
    saved_id,
    utcnow,
)
from app.services import audit, cycles
from app.services.setup import open_assessment
from indicators import Catalogue
from scoring import Scorer, Stage

NEXT_YEAR = 2025
FOCUS = "62.71"  # Kota Palangka Raya
ACCEPTED_SHARE = 0.4  # of the proposals, the DP3A has gone through this many so far
RETURN_NOTE = "Data 2024 belum diperbarui: lampirkan data tahun 2025."


def open_next(session: Session, catalogue: Catalogue, scorer: Scorer, dp3a: User, rng: random.Random) -> Assessment:
    """The focus kab/kota's 2025 assessment (opened with the province's the first time only)."""
    cycle = session.exec(select(Cycle).where(Cycle.year == NEXT_YEAR)).first()
    if cycle is None:
        cycle = cycles.ensure_year(session, catalogue, NEXT_YEAR)
        regency = session.get(Regency, FOCUS)
        assert regency is not None  # the demo loaded the regions
        assessment = open_assessment(session, regency, cycle, catalogue)
        before = session.exec(select(Assessment).join(Cycle).where(Cycle.year == catalogue.year,
                                                                   Assessment.regency_code == FOCUS)).one()
        cycles._propose(session, assessment, before, {}, catalogue)  # the proposals `kla cycle open` makes
        session.flush()
        _start_work(session, scorer, assessment, dp3a, rng)
        return assessment
    return _assessment(session, cycle)


def _assessment(session: Session, cycle: Cycle) -> Assessment:
    return session.exec(select(Assessment).where(Assessment.cycle_id == cycle.id,
                                                 Assessment.regency_code == FOCUS)).one()


def _start_work(session: Session, scorer: Scorer, assessment: Assessment, dp3a: User, rng: random.Random) -> None:
    proposals = sorted(cycles.proposed(session, saved_id(assessment.id)), key=lambda c: c.question_code)
    taken = rng.sample(proposals, int(len(proposals) * ACCEPTED_SHARE))
    cycles.decide(session, scorer, assessment, dp3a, taken, accepted=True)
    session.flush()
    answers = session.exec(select(Answer).where(Answer.assessment_id == assessment.id)
                           .order_by(col(Answer.question_code))).all()
    now = utcnow()
    returned = False
    for answer in answers:
        roll = rng.random()
        if roll < 0.5:
            continue  # carried over, still a draft for the agency to update
        answer.status, answer.submitted_at = AnswerStatus.SUBMITTED, now - timedelta(days=3)
        # Carried over before it was sent: the answer and its files date from then, not from the demo's run
        # (a change after the DP3A's approval below would make that approval stale: back in the queues).
        answer.updated_at = answer.submitted_at - timedelta(hours=1)
        for evidence in session.exec(select(Evidence).where(Evidence.answer_id == answer.id,
                                                            col(Evidence.removed_at).is_(None))):
            evidence.uploaded_at = min(evidence.uploaded_at, answer.updated_at)
            session.add(evidence)
        session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.SELF, action=ReviewAction.SUBMITTED,
                                user_id=saved_id(dp3a.id), at=answer.submitted_at))
        if roll > 0.75:
            answer.status = AnswerStatus.APPROVED
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.DP3A, action=ReviewAction.APPROVED,
                                    user_id=saved_id(dp3a.id), at=now - timedelta(days=1)))
        elif not returned:
            returned = True
            answer.status = AnswerStatus.RETURNED
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.DP3A, action=ReviewAction.RETURNED,
                                    user_id=saved_id(dp3a.id), reasons=[scorer.catalogue.review_reasons[0].code], note=RETURN_NOTE, at=now - timedelta(days=1)))
        session.add(answer)
    audit.record(session, dp3a, "demo.answers", "assessment", assessment.id, regency_code=FOCUS,
                 after={"carried": len(taken)})
