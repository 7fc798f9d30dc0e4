"""Answers built from the catalogue itself: for tests, benchmarks and the demo world."""

from __future__ import annotations

import random
from decimal import Decimal

from indicators import NumberScale, OptionsScale, PercentScale
from scoring import Answer, Scorer


def best_answer(scorer: Scorer, code: str) -> Answer:
    scale = scorer.catalogue.scale_of(scorer.catalogue.questions[code].question)
    if isinstance(scale, OptionsScale):
        return Answer(option=max(scale.options, key=lambda o: o.fraction).code)
    if isinstance(scale, PercentScale):
        return Answer(value=Decimal(0 if scale.lower_is_better else 100))
    assert isinstance(scale, NumberScale)
    return Answer(value=max(t.min for t in scale.thresholds))


def full_marks(scorer: Scorer) -> dict[str, Answer]:
    return {code: best_answer(scorer, code) for code in scorer.questions}


def possible_answers(scorer: Scorer, code: str) -> list[Answer]:
    """A spread of valid answers for one question, including the extremes."""
    scale = scorer.catalogue.scale_of(scorer.catalogue.questions[code].question)
    if isinstance(scale, OptionsScale):
        return [Answer(option=o.code) for o in scale.options]
    if isinstance(scale, PercentScale):
        return [Answer(value=Decimal(v)) for v in ("0", "12.5", "33.33", "50", "87.5", "100")]
    steps = [t.min for t in scale.thresholds]
    return [Answer(value=v) for v in sorted({*steps, *(s + 1 for s in steps)})]


def random_answers(scorer: Scorer, rng: random.Random, answered_share: float = 0.9) -> dict[str, Answer]:
    answers = {}
    for code in scorer.questions:
        if rng.random() < answered_share:
            answers[code] = rng.choice(possible_answers(scorer, code))
    return answers
