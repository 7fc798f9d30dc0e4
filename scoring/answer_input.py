"""Turn plain data (from an answers file or a form) into checked `Answer`s.

Accepted per question code:
  "ya"                     an option code (options scales)
  87.5 / "87,5"            a percentage or a number (percent and number scales)
  {option: ya} / {value: 87.5} / {score: 10.5} / {not_applicable: true}
"score" is the points given directly, as the ministry's rekap records them.
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.answers import Answer, AnswerError, AnswerProblem, to_decimal
from scoring.engine import Scorer

_KEYS = {"option", "value", "score", "not_applicable", "note"}


def parse_answer(scorer: Scorer, code: str, raw: object) -> Answer:
    compiled = scorer.questions.get(code)
    if compiled is None:
        raise AnswerError(AnswerProblem(code, "unknown_question"))
    if isinstance(raw, Mapping):
        answer = _from_mapping(code, raw)
    elif compiled.takes_option:
        if not isinstance(raw, str) or not raw.strip():
            raise AnswerError(AnswerProblem(code, "unknown_option", str(raw)))
        answer = Answer(option=raw.strip())
    else:
        value = to_decimal(raw)
        if value is None:
            raise AnswerError(AnswerProblem(code, "not_a_number", str(raw)))
        answer = Answer(value=value)
    scorer.question_points(code, answer)  # raises if the answer does not fit the scale
    return answer


def _from_mapping(code: str, raw: Mapping[str, object]) -> Answer:
    unknown = set(map(str, raw)) - _KEYS
    if unknown:
        raise AnswerError(AnswerProblem(code, "wrong_kind", ", ".join(sorted(unknown))))
    if raw.get("not_applicable") is True:
        return Answer(not_applicable=True)
    given = [key for key in ("option", "value", "score") if raw.get(key) is not None]
    if len(given) != 1:
        raise AnswerError(AnswerProblem(code, "wrong_kind", "option | value | score"))
    key = given[0]
    if key == "option":
        return Answer(option=str(raw["option"]).strip())
    number = to_decimal(raw[key])
    if number is None:
        raise AnswerError(AnswerProblem(code, "not_a_number", str(raw[key])))
    return Answer(value=number) if key == "value" else Answer(score=number)


def parse_answers(scorer: Scorer, raw: Mapping[str, object]) -> tuple[dict[str, Answer], list[AnswerProblem]]:
    """Every answer that fits, and a problem for every one that does not."""
    answers: dict[str, Answer] = {}
    problems: list[AnswerProblem] = []
    for code, value in raw.items():
        code = str(code).strip()
        if value is None:
            continue
        try:
            answers[code] = parse_answer(scorer, code, value)
        except AnswerError as exc:
            problems.append(exc.problem)
    return answers, problems
