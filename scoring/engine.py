"""Question, indicator, part and total scores, self-assessed or verified.

`Scorer` compiles a catalogue once into plain tables (every option's points
worked out in advance) so that scoring all 514 regions stays a matter of
dictionary look-ups and integer sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from indicators import Catalogue, NotApplicable, NumberScale, OptionsScale, PercentScale
from scoring.answers import Answer, AnswerError, AnswerProblem, ReviewStatus, Verdict
from scoring.points import share_of, to_cents

_OPTION, _PERCENT, _NUMBER = 0, 1, 2


@dataclass(frozen=True, slots=True)
class CompiledQuestion:
    code: str
    index: int  # position in catalogue order
    indicator: int  # index into Scorer.indicator_codes
    max_cents: int
    kind: int
    option_cents: Mapping[str, int] = field(default_factory=dict)
    # Points already worked out, by option code or by typed value: the fast path.
    known: dict[str | Decimal | None, int] = field(default_factory=dict)
    lower_is_better: bool = False
    thresholds: tuple[tuple[Decimal, int], ...] = ()  # (minimum, cents), highest first
    # What "tidak berlaku" earns, in cents (the scale's `not_applicable`): 0, the maximum, or None
    # where the scale refuses it.
    not_applicable_cents: int | None = 0

    @property
    def takes_option(self) -> bool:
        return self.kind == _OPTION


@dataclass(frozen=True)
class ScoreSheet:
    """Scores in cents (hundredths of a point) at every level."""

    questions: dict[str, int]
    indicators: dict[str, int]
    parts: dict[str, int]
    total: int


class Scorer:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.indicator_codes: list[str] = []
        self.indicator_max: list[int] = []
        self.indicator_capped: list[bool] = []
        self.indicator_part: list[str] = []
        self.part_codes = [p.code for p in catalogue.data.parts]
        self.questions: dict[str, CompiledQuestion] = {}
        for part in catalogue.data.parts:
            for indicator in part.indicators:
                slot = len(self.indicator_codes)
                self.indicator_codes.append(indicator.code)
                self.indicator_max.append(to_cents(indicator.max))
                self.indicator_capped.append(indicator.capped)
                self.indicator_part.append(part.code)
                for question in indicator.questions:
                    scale = catalogue.scales[question.scale]
                    self.questions[question.code] = _compile(
                        question.code, len(self.questions), slot, to_cents(question.max), scale
                    )

    # -- one question -------------------------------------------------------

    def question_points(self, code: str, answer: Answer) -> int:
        """Points in cents for one answer; raises AnswerError if it does not fit."""
        compiled = self.questions.get(code)
        if compiled is None:
            raise AnswerError(AnswerProblem(code, "unknown_question"))
        return self._points(compiled, answer)

    def _points(self, q: CompiledQuestion, answer: Answer) -> int:
        if answer.not_applicable:
            if q.not_applicable_cents is None:
                raise AnswerError(AnswerProblem(q.code, "not_applicable_refused"))
            return q.not_applicable_cents
        if answer.score is not None:
            cents = to_cents(answer.score)
            if not 0 <= cents <= q.max_cents:
                raise AnswerError(AnswerProblem(q.code, "out_of_range", str(answer.score)))
            return cents
        if q.kind == _OPTION:
            if answer.option is None:
                raise AnswerError(AnswerProblem(q.code, "wrong_kind", "option"))
            try:
                return q.option_cents[answer.option]
            except KeyError:
                raise AnswerError(AnswerProblem(q.code, "unknown_option", answer.option)) from None
        if answer.value is None:
            raise AnswerError(AnswerProblem(q.code, "wrong_kind", "number"))
        if answer.value < 0:
            raise AnswerError(AnswerProblem(q.code, "out_of_range", str(answer.value)))
        if q.kind == _PERCENT:
            return self._percent_points(q, answer.value)
        for minimum, cents in q.thresholds:
            if answer.value >= minimum:
                return cents
        return 0

    @staticmethod
    def _percent_points(q: CompiledQuestion, value: Decimal) -> int:
        share = min(Fraction(value) / 100, Fraction(1))  # capped at 100 %
        if q.lower_is_better:
            share = 1 - share
        return share_of(share, q.max_cents)

    def _known(self, q: CompiledQuestion, answer: Answer) -> int:
        """Points for an answer, from the question's table when this answer was seen before."""
        if answer.score is None and not answer.not_applicable:
            key = answer.option if answer.option is not None else answer.value
            cents = q.known.get(key)
            if cents is not None:
                return cents
            cents = self._points(q, answer)
            if answer.option is None and len(q.known) < _KNOWN_VALUES_LIMIT:
                q.known[key] = cents
            return cents
        return self._points(q, answer)

    # -- whole assessments ----------------------------------------------------

    def score(self, answers: Mapping[str, Answer]) -> ScoreSheet:
        """The self-assessed score: every answer counts as given."""
        questions = self.questions
        per_indicator = [0] * len(self.indicator_codes)
        points: dict[str, int] = {}
        for code, answer in answers.items():
            q = questions.get(code)
            if q is None:
                raise AnswerError(AnswerProblem(code, "unknown_question"))
            # The common case (a graded option) is a single look-up; the rest goes the long way.
            # Inlined fast path: most answers were seen before (an option, a common value).
            if answer.score is None and not answer.not_applicable:
                option = answer.option
                cents = q.known.get(option if option is not None else answer.value)
                if cents is None:
                    cents = self._known(q, answer)
            else:
                cents = self._points(q, answer)
            points[code] = cents
            per_indicator[q.indicator] += cents
        return self._sheet(points, per_indicator)

    def verified(self, answers: Mapping[str, Answer], verdicts: Mapping[str, Verdict]) -> ScoreSheet:
        """The score at one review stage: only approved answers count, each at most
        at its self-assessed value (or the reviewer's own lower figure)."""
        questions = self.questions
        approved = ReviewStatus.APPROVED
        per_indicator = [0] * len(self.indicator_codes)
        points: dict[str, int] = {}
        for code, verdict in verdicts.items():
            if verdict.status is not approved:
                continue
            answer = answers.get(code)
            if answer is None:
                continue
            q = questions[code]
            # Inlined fast path: most answers were seen before (an option, a common value).
            if answer.score is None and not answer.not_applicable:
                option = answer.option
                cents = q.known.get(option if option is not None else answer.value)
                if cents is None:
                    cents = self._known(q, answer)
            else:
                cents = self._points(q, answer)
            if verdict.score is not None:
                cents = min(cents, max(0, to_cents(verdict.score)))
            points[code] = cents
            per_indicator[q.indicator] += cents
        return self._sheet(points, per_indicator)

    def sheet_of(self, points: dict[str, int]) -> ScoreSheet:
        """A sheet of question points worked out elsewhere (cents by question code): indicators
        capped, parts and the total summed as for any other sheet."""
        per_indicator = [0] * len(self.indicator_codes)
        questions = self.questions
        for code, cents in points.items():
            per_indicator[questions[code].indicator] += cents
        return self._sheet(points, per_indicator)

    def _sheet(self, points: dict[str, int], per_indicator: list[int]) -> ScoreSheet:
        indicators: dict[str, int] = {}
        parts = dict.fromkeys(self.part_codes, 0)
        for slot, cents in enumerate(per_indicator):
            if self.indicator_capped[slot]:
                cents = min(cents, self.indicator_max[slot])
            indicators[self.indicator_codes[slot]] = cents
            parts[self.indicator_part[slot]] += cents
        return ScoreSheet(points, indicators, parts, sum(parts.values()))

    def max_of(self, codes: Iterable[str]) -> int:
        """The most these questions can earn together, in cents: a capped indicator gives no more than
        its maximum however many of its questions are listed (the instrument's 1000 for all of them)."""
        per_indicator: dict[int, int] = {}
        for code in codes:
            q = self.questions[code]
            per_indicator[q.indicator] = per_indicator.get(q.indicator, 0) + q.max_cents
        return sum(min(cents, self.indicator_max[slot]) if self.indicator_capped[slot] else cents
                   for slot, cents in per_indicator.items())

    # -- what is left ---------------------------------------------------------

    def headroom(self, sheet: ScoreSheet) -> dict[str, int]:
        """Points each indicator can still gain (its maximum minus its score)."""
        return {
            code: self.indicator_max[slot] - sheet.indicators[code]
            for slot, code in enumerate(self.indicator_codes)
        }


def not_applicable_cents(scale: OptionsScale | PercentScale | NumberScale, max_cents: int) -> int | None:
    """What answering "not applicable" earns on `scale` for a question worth `max_cents`: 0 (ZERO, the
    default), the whole maximum (FULL), or None where the scale refuses the answer (REFUSED)."""
    if scale.not_applicable is NotApplicable.FULL:
        return max_cents
    if scale.not_applicable is NotApplicable.REFUSED:
        return None
    return 0


def _compile(code: str, index: int, indicator: int, max_cents: int,
             scale: OptionsScale | PercentScale | NumberScale) -> CompiledQuestion:
    na = not_applicable_cents(scale, max_cents)
    if isinstance(scale, OptionsScale):
        option_cents = {o.code: share_of(o.fraction, max_cents) for o in scale.options}
        known: dict[str | Decimal | None, int] = {option: cents for option, cents in option_cents.items()}
        return CompiledQuestion(code, index, indicator, max_cents, _OPTION, option_cents, known,
                                not_applicable_cents=na)
    if isinstance(scale, PercentScale):
        return CompiledQuestion(
            code, index, indicator, max_cents, _PERCENT, lower_is_better=scale.lower_is_better,
            not_applicable_cents=na,
        )
    if isinstance(scale, NumberScale):
        steps = tuple(
            (t.min, share_of(t.fraction, max_cents))
            for t in sorted(scale.thresholds, key=lambda t: t.min, reverse=True)
        )
        return CompiledQuestion(code, index, indicator, max_cents, _NUMBER, thresholds=steps,
                                not_applicable_cents=na)
    raise TypeError(f"unknown scale kind for {code}")


_KNOWN_VALUES_LIMIT = 4096  # per question; values repeat (0, 50, 100...), so this stays small
