"""Points and answers on a question's answer scale: the answer that gives a number of points (for
the import's `Nilai EM` column), the points an answer gives, and an answer in words for the preview.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from app.i18n import format_cents, format_number, pick
from app.i18n import gettext as _
from app.models import Answer
from app.refusals import Refusal
from app.services.answers import AnswerInput, scored
from indicators import Catalogue, NumberScale, OptionsScale, PercentScale
from scoring import Answer as ScoredAnswer
from scoring import AnswerError, Scorer


class OffScale(Refusal):
    """No answer on the question's scale gives exactly these points; the message names what does."""


def points_of(scorer: Scorer, code: str, answer: Answer | None) -> int | None:
    """The points a stored answer gives (None: no answer, or one the scale no longer takes)."""
    given = scored(answer) if answer is not None else None
    if given is None:
        return None
    try:
        return scorer.question_points(code, given)
    except AnswerError:
        return None


def given_points(scorer: Scorer, code: str, given: AnswerInput) -> int | None:
    """The points an answer about to be saved gives (None: it says nothing)."""
    answer = scored(given)
    return None if answer is None else scorer.question_points(code, answer)


def answer_for_points(scorer: Scorer, code: str, cents: int, current: Answer | None = None) -> ScoredAnswer:
    """The answer giving exactly `cents` on question `code`'s scale; `OffScale` names the allowed points.

    The current answer is kept when it already gives those points.
    """
    if current is not None and not current.not_applicable and points_of(scorer, code, current) == cents:
        kept = scored(current)
        assert kept is not None  # it gives points
        return kept
    catalogue = scorer.catalogue
    scale = catalogue.scale_of(catalogue.questions[code].question)
    compiled = scorer.questions[code]
    if isinstance(scale, OptionsScale):
        for option in scale.options:
            if compiled.option_cents[option.code] == cents:
                return ScoredAnswer(option=option.code)
        allowed = sorted(set(compiled.option_cents.values()))
        raise _not_on_scale(code, cents, allowed)
    if isinstance(scale, PercentScale):
        max_cents = compiled.max_cents
        share = Fraction(cents, max_cents) if max_cents else Fraction(0)
        if scale.lower_is_better:
            share = 1 - share
        exact = Decimal(share.numerator * 100) / Decimal(share.denominator)
        start = exact.quantize(Decimal("0.01"))
        for step in (0, 1, -1, 2, -2, 3, -3):
            value = start + Decimal(step) / 100
            if Decimal(0) <= value <= Decimal(100) and \
                    scorer.question_points(code, ScoredAnswer(value=value)) == cents:
                return ScoredAnswer(value=value)
        raise OffScale(_("question %(code)s cannot score exactly %(points)s points; try a value 0.01 higher "
                         "or lower.") % {"code": code, "points": format_cents(cents)}, code="off_scale")
    assert isinstance(scale, NumberScale)
    reachable = sorted(((minimum, worth) for minimum, worth in compiled.thresholds if worth == cents),
                       key=lambda item: item[0])
    if reachable:
        return ScoredAnswer(value=reachable[0][0])
    if cents == 0:
        return ScoredAnswer(value=Decimal(0))
    allowed = sorted({worth for _minimum, worth in compiled.thresholds} | {0})
    raise _not_on_scale(code, cents, allowed)


def _not_on_scale(code: str, cents: int, allowed: list[int]) -> OffScale:
    return OffScale(_("question %(code)s cannot score %(points)s points on its answer scale. Allowed points: "
                      "%(allowed)s.") % {"code": code, "points": format_cents(cents),
                                         "allowed": "; ".join(format_cents(c) for c in allowed)}, code="off_scale")


def describe(catalogue: Catalogue, code: str, option: str | None, value: Decimal | None,
             not_applicable: bool) -> str:
    """An answer in words: the option's label, the percentage or count, or "not applicable"."""
    if not_applicable:
        return _("not applicable")
    scale = catalogue.scale_of(catalogue.questions[code].question)
    if option is not None and isinstance(scale, OptionsScale):
        for candidate in scale.options:
            if candidate.code == option:
                return pick(candidate.label, candidate.label_en)
        return option
    if value is not None:
        text = format_number(value)
        if isinstance(scale, PercentScale):
            return f"{text} %"
        if isinstance(scale, NumberScale):
            return f"{text} {pick(scale.unit, scale.unit_en)}"
        return text
    return "–"
