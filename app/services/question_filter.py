"""Which questions of a workspace list are shown: a filter by state and a text search (issue 20, item 11).

The list of an agency runs to ~100 questions (18,000 px on a phone); these choices let a focal point see
only what still needs them. One place decides what each choice means; the route passes the codes on and
the templates only show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from app.models import Answer, AnswerStatus
from app.services import answers as answer_service
from indicators import Catalogue


class QuestionFilter(StrEnum):
    UNANSWERED = "unanswered"
    RETURNED = "returned"
    NO_EVIDENCE = "no_evidence"  # requires evidence and has no file yet
    SUBMITTED = "submitted"


def parse_filter(raw: str | None) -> QuestionFilter | None:
    """The filter of the query string; anything unknown shows every question."""
    try:
        return QuestionFilter(raw) if raw else None
    except ValueError:
        return None


def matches(choice: QuestionFilter, answer: Answer | None, requires_evidence: bool, files: int) -> bool:
    if choice is QuestionFilter.UNANSWERED:
        return not answer_service.is_answered(answer)
    if choice is QuestionFilter.RETURNED:
        return answer is not None and answer.status == AnswerStatus.RETURNED
    if choice is QuestionFilter.SUBMITTED:
        return answer is not None and answer.status == AnswerStatus.SUBMITTED
    # The submission's own rule (a "not applicable" answer needs no file); an unanswered question
    # that asks for a file lacks it too.
    if answer is None:
        return requires_evidence
    return answer_service.lacks_required_evidence(answer, requires_evidence, files)


def shown_codes(codes: list[str], answers: Mapping[str, Answer], evidence: Mapping[int | None, int], catalogue: Catalogue,
                choice: QuestionFilter | None, text: str) -> list[str]:
    """The codes of `codes` (in their order) that pass the filter and contain `text` (in the code or the
    question's text, case ignored)."""
    needle = " ".join(text.split()).casefold()
    shown = []
    for code in codes:
        answer = answers.get(code)
        question = catalogue.questions[code].question
        if choice is not None:
            files = evidence.get(answer.id, 0) if answer is not None else 0
            if not matches(choice, answer, question.evidence.required, files):
                continue
        if needle:
            haystack = f"{code} {question.text}".casefold()
            if needle not in " ".join(haystack.split()):
                continue
        shown.append(code)
    return shown
