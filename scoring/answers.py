"""What a region answered, and what reviewers decided about it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class Stage(StrEnum):
    """The stages of one evaluation cycle, in order (`scoring.season` says how one leads to the next).

    An assessment stands at SELF, PROVINCE, MINISTRY, FIELD, FINAL or AWARDED; review decisions
    are taken at DP3A (inside the self-assessment), PROVINCE, MINISTRY, FIELD and FINAL; CLUSTER records the
    task force's cluster coordinators' check before the DP3A's, which decides nothing about scores."""

    SELF = "self"  # evaluasi mandiri, as the agencies answered
    # The Gugus Tugas cluster coordinator's check, inside the self-assessment before the DP3A's (an
    # optional step): approvals and returns with reasons, never a score; not a scoring stage.
    CLUSTER = "cluster"
    DP3A = "dp3a"  # checked by the kab/kota's DP3A (task-force secretariat)
    PROVINCE = "province"  # verifikasi administrasi by the province
    MINISTRY = "ministry"  # peninjauan: review by the ministry
    FIELD = "field"  # verifikasi lapangan (hybrid) with other ministries
    FINAL = "final"  # verifikasi final: the national team fixes the final score
    AWARDED = "awarded"  # the award list of the year is published; the cycle's scores are frozen


class ReviewStatus(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Answer:
    """One question's answer. Exactly one of option / value / score is set,
    unless the question is marked not applicable."""

    option: str | None = None  # the code of a graded option
    value: Decimal | None = None  # a percentage (0-100) or a number
    score: Decimal | None = None  # points given directly ("Nilai Evaluasi" in the rekap)
    not_applicable: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reviewer's decision on one answer at one stage.

    `score` is the reviewer's own figure for the question; it can lower the
    self-assessed score, never raise it.
    """

    status: ReviewStatus
    score: Decimal | None = None


@dataclass(frozen=True)
class AnswerProblem:
    question: str
    # unknown_question, unknown_option, not_a_number, out_of_range, wrong_kind, not_applicable_refused
    code: str
    detail: str = ""

    def message(self, lang: str = "id") -> str:
        texts = _PROBLEM_TEXTS[self.code]
        return texts[lang if lang in texts else "id"].format(q=self.question, detail=self.detail)


_PROBLEM_TEXTS = {
    "unknown_question": {
        "id": "Pertanyaan '{q}' tidak ada dalam instrumen.",
        "en": "Question '{q}' is not in the instrument.",
    },
    "unknown_option": {
        "id": "Pertanyaan {q}: pilihan '{detail}' tidak ada pada skala jawabannya.",
        "en": "Question {q}: option '{detail}' is not on its answer scale.",
    },
    "not_a_number": {
        "id": "Pertanyaan {q}: '{detail}' bukan angka.",
        "en": "Question {q}: '{detail}' is not a number.",
    },
    "out_of_range": {
        "id": "Pertanyaan {q}: nilai {detail} di luar rentang yang diperbolehkan.",
        "en": "Question {q}: the value {detail} is outside the allowed range.",
    },
    "wrong_kind": {
        "id": "Pertanyaan {q}: jawaban tidak sesuai skalanya ({detail}).",
        "en": "Question {q}: the answer does not fit its scale ({detail}).",
    },
    "not_applicable_refused": {
        "id": "Pertanyaan {q}: jawaban 'tidak berlaku' tidak dapat dipilih untuk pertanyaan ini; "
              "pilih jawaban yang sesuai.",
        "en": "Question {q}: 'not applicable' cannot be chosen for this question; choose the answer that fits.",
    },
}


class AnswerError(ValueError):
    def __init__(self, problem: AnswerProblem) -> None:
        self.problem = problem
        super().__init__(problem.message("en"))


def to_decimal(raw: object) -> Decimal | None:
    """Read a number the way people type it: 87.5, '87,5', ' 12 '."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None
