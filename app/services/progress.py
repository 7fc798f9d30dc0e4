"""How far a list of questions has come: answered, with evidence, submitted, approved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Answer, AnswerStatus, Evidence
from app.services.answers import is_answered


@dataclass
class Progress:
    total: int = 0
    answered: int = 0
    evidenced: int = 0
    approved: int = 0
    submitted: int = 0
    codes_with_evidence: set[str] = field(default_factory=set)

    def share(self, part: int) -> int:
        return round(100 * part / self.total) if self.total else 0


def evidence_counts(session: Session, answer_ids: Sequence[int | None]) -> dict[int | None, int]:
    if not answer_ids:
        return {}
    rows = session.exec(
        select(Evidence.answer_id, func.count(col(Evidence.id)))
        .where(col(Evidence.answer_id).in_(answer_ids), col(Evidence.removed_at).is_(None))
        .group_by(col(Evidence.answer_id))
    ).all()
    return dict(rows)


def progress(codes: list[str], answers: Mapping[str, Answer], evidence: Mapping[int | None, int]) -> Progress:
    result = Progress(total=len(codes))
    for code in codes:
        answer = answers.get(code)
        if not is_answered(answer):
            continue
        result.answered += 1
        if evidence.get(answer.id, 0):
            result.evidenced += 1
            result.codes_with_evidence.add(code)
        if answer.status == AnswerStatus.APPROVED:
            result.approved += 1
        if answer.status in (AnswerStatus.SUBMITTED, AnswerStatus.APPROVED):
            result.submitted += 1
    return result
