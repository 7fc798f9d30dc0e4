"""The workspace list's filter (issue 20, item 11): what each choice shows, and the text search."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from app.models import Answer, AnswerStatus
from app.services.question_filter import QuestionFilter, parse_filter, shown_codes


def _catalogue(texts: dict[str, tuple[str, bool]]):
    return SimpleNamespace(questions={
        code: SimpleNamespace(question=SimpleNamespace(text=text, evidence=SimpleNamespace(required=required)))
        for code, (text, required) in texts.items()})


CATALOGUE = _catalogue({"1.1": ("Ada Perda KLA", True), "1.2": ("Anggaran anak", True),
                        "2.1": ("Akta kelahiran", False), "2.2": ("Forum Anak", True)})
CODES = list(CATALOGUE.questions)
ANSWERS = {
    "1.1": Answer(id=1, assessment_id=1, question_code="1.1", option="b", status=AnswerStatus.RETURNED),
    "1.2": Answer(id=2, assessment_id=1, question_code="1.2", value=Decimal(5), status=AnswerStatus.SUBMITTED),
    "2.2": Answer(id=3, assessment_id=1, question_code="2.2", not_applicable=True, note="x"),
}
EVIDENCE = {2: 1}


def test_each_choice():
    def shown(choice):
        return shown_codes(CODES, ANSWERS, EVIDENCE, CATALOGUE, choice, "")

    assert shown(None) == CODES
    assert shown(QuestionFilter.UNANSWERED) == ["2.1"]
    assert shown(QuestionFilter.RETURNED) == ["1.1"]
    assert shown(QuestionFilter.SUBMITTED) == ["1.2"]
    # 1.1 requires evidence and has none; 2.1 has none but needs none; 2.2 is not applicable.
    assert shown(QuestionFilter.NO_EVIDENCE) == ["1.1"]


def test_text_search_by_code_or_words_ignores_case_and_spacing():
    assert shown_codes(CODES, ANSWERS, EVIDENCE, CATALOGUE, None, "2.1") == ["2.1"]
    assert shown_codes(CODES, ANSWERS, EVIDENCE, CATALOGUE, None, "  forum   ANAK ") == ["2.2"]
    assert shown_codes(CODES, ANSWERS, EVIDENCE, CATALOGUE, QuestionFilter.UNANSWERED, "anak") == []


def test_unknown_choice_shows_everything():
    assert parse_filter("nonsense") is None
    assert parse_filter("") is None
    assert parse_filter("returned") is QuestionFilter.RETURNED
