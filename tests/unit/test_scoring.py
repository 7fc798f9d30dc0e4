"""The scoring engine against the real 2024 catalogue."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from indicators import NumberScale, OptionsScale, PercentScale
from scoring import (
    Answer,
    AnswerError,
    ReviewStatus,
    Verdict,
    band_for,
    category_for,
    cent_bands,
    format_points,
    provila_status,
    readiness,
)
from scoring.answer_input import parse_answers
from scoring.points import share_of
from scoring.samples import best_answer, full_marks, random_answers

APPROVED = Verdict(ReviewStatus.APPROVED)


def _question_with(scorer, kind, predicate=lambda scale: True):
    for code in scorer.questions:
        scale = scorer.catalogue.scale_of(scorer.catalogue.questions[code].question)
        if isinstance(scale, kind) and predicate(scale):
            return code, scale
    pytest.skip(f"no question with a {kind.__name__} scale")


def test_full_marks_give_exactly_the_maximum_and_the_top_category(scorer):
    sheet = scorer.score(full_marks(scorer))
    assert sheet.total == 100_000
    assert format_points(sheet.total) == "1000.00"
    assert category_for(scorer, sheet).code == "kla"
    for part in scorer.catalogue.data.parts:
        assert sheet.parts[part.code] * 1 == int(part.max * 100)


def test_no_answers_score_zero_without_category(scorer):
    sheet = scorer.score({})
    assert sheet.total == 0
    band = category_for(scorer, sheet)
    assert band.code == "inisiasi" and band.award is False


def test_option_answer_scores_its_fraction_of_the_maximum(scorer):
    code, scale = _question_with(scorer, OptionsScale, lambda s: any(0 < o.fraction < 1 for o in s.options))
    option = next(o for o in scale.options if 0 < o.fraction < 1)
    max_cents = int(scorer.catalogue.questions[code].question.max * 100)
    points = scorer.question_points(code, Answer(option=option.code))
    assert points == share_of(option.fraction, max_cents)
    assert abs(Fraction(points, 100) - option.fraction * Fraction(max_cents, 100)) <= Fraction(1, 200)


def test_percentage_scores_its_share_capped_at_the_maximum(scorer):
    code, _ = _question_with(scorer, PercentScale, lambda s: not s.lower_is_better)
    max_cents = scorer.questions[code].max_cents
    assert scorer.question_points(code, Answer(value=Decimal("50"))) == share_of(Fraction(1, 2), max_cents)
    assert scorer.question_points(code, Answer(value=Decimal("150"))) == max_cents
    assert scorer.question_points(code, Answer(value=Decimal("0"))) == 0
    with pytest.raises(AnswerError):
        scorer.question_points(code, Answer(value=Decimal("-1")))


def test_lower_is_better_percentage_rewards_fewer_cases(scorer):
    code, _ = _question_with(scorer, PercentScale, lambda s: s.lower_is_better)
    max_cents = scorer.questions[code].max_cents
    assert scorer.question_points(code, Answer(value=Decimal("0"))) == max_cents
    assert scorer.question_points(code, Answer(value=Decimal("100"))) == 0


def test_number_scale_uses_the_highest_threshold_reached(scorer):
    code, scale = _question_with(scorer, NumberScale, lambda s: len(s.thresholds) >= 2)
    max_cents = scorer.questions[code].max_cents
    for threshold in scale.thresholds:
        assert scorer.question_points(code, Answer(value=threshold.min)) == share_of(threshold.fraction, max_cents)


def test_score_given_directly_is_checked_against_the_maximum(scorer):
    code = next(iter(scorer.questions))
    max_points = scorer.catalogue.questions[code].question.max
    assert scorer.question_points(code, Answer(score=max_points)) == int(max_points * 100)
    with pytest.raises(AnswerError) as caught:
        scorer.question_points(code, Answer(score=max_points + 1))
    assert "di luar rentang" in caught.value.problem.message("id")


def test_unknown_option_is_refused_with_a_message(scorer):
    code, _ = _question_with(scorer, OptionsScale)
    with pytest.raises(AnswerError) as caught:
        scorer.question_points(code, Answer(option="tidak-ada-pilihan-ini"))
    assert caught.value.problem.code == "unknown_option"


def test_sums_have_no_float_drift(scorer):
    # 0.1-style fractions add up exactly because every sum is in whole cents.
    scored = [code for code, q in scorer.questions.items() if q.max_cents > 0]
    answers = {code: Answer(score=Decimal("0.1")) for code in scored}
    assert scorer.score(answers).total == 10 * len(scored)


def test_capped_indicators_never_exceed_their_official_maximum(scorer, catalogue):
    capped = [i for i in catalogue.indicators.values() if i.capped]
    assert {i.code for i in capped} == {"19", "21B"}
    answers = {q.code: Answer(score=q.max) for i in capped for q in i.questions}
    sheet = scorer.score(answers)
    for indicator in capped:
        assert sheet.indicators[indicator.code] == int(indicator.max * 100)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("0.00", "inisiasi"),
        ("499.99", "inisiasi"),
        ("500.00", "pratama"),
        ("600.00", "pratama"),
        ("600.01", "madya"),
        ("700.00", "madya"),
        ("700.01", "nindya"),
        ("800.00", "nindya"),
        ("800.01", "utama"),
        ("900.00", "utama"),
        ("900.01", "kla"),
        ("1000.00", "kla"),
    ],
)
def test_category_is_exact_at_every_boundary(catalogue, total, expected):
    cents = int(Decimal(total) * 100)
    assert band_for(cent_bands(catalogue), cents).band.code == expected


def test_verified_counts_only_approved_answers(scorer):
    answers = full_marks(scorer)
    codes = list(answers)
    verdicts = {codes[0]: APPROVED, codes[1]: Verdict(ReviewStatus.RETURNED), codes[2]: Verdict(ReviewStatus.WAITING)}
    sheet = scorer.verified(answers, verdicts)
    assert sheet.total == scorer.questions[codes[0]].max_cents


def test_verifier_score_can_lower_but_never_raise(scorer):
    code, scale = _question_with(scorer, OptionsScale, lambda s: any(0 < o.fraction < 1 for o in s.options))
    middle = next(o for o in scale.options if 0 < o.fraction < 1)
    answers = {code: Answer(option=middle.code)}
    own = scorer.score(answers).total
    higher = scorer.verified(answers, {code: Verdict(ReviewStatus.APPROVED, Decimal(1000))})
    lower = scorer.verified(answers, {code: Verdict(ReviewStatus.APPROVED, Decimal(0))})
    assert higher.total == own
    assert lower.total == 0


def test_readiness_plan_closes_the_gap_with_largest_stakes_first(scorer):
    rng = random.Random(7)
    answers = random_answers(scorer, rng, answered_share=0.5)
    ready = readiness(scorer, answers)
    sheet = scorer.score(answers)
    assert ready.category.code == category_for(scorer, sheet).code
    assert ready.next_category is not None
    assert ready.reachable
    assert ready.plan_gain >= ready.points_missing > 0
    gains = [step.gain for step in ready.plan]
    assert gains == sorted(gains, reverse=True)
    # Fewest questions: without the last step the gap would stay open.
    assert sum(gains[:-1]) < ready.points_missing
    # Answering the plan in full really reaches the next category.
    improved = dict(answers)
    for step in ready.plan:
        improved[step.question] = best_answer(scorer, step.question)
    assert category_for(scorer, scorer.score(improved)).code == ready.next_category.code


def test_readiness_reports_points_at_risk(scorer):
    answers = full_marks(scorer)
    codes = list(answers)
    verdicts = {code: APPROVED for code in codes[10:]}
    verdicts[codes[0]] = Verdict(ReviewStatus.RETURNED)
    ready = readiness(scorer, answers, verdicts)
    at_risk = {item.question: item for item in ready.at_risk}
    assert set(at_risk) == set(codes[:10])
    assert at_risk[codes[0]].status is ReviewStatus.RETURNED
    assert ready.at_risk_total == sum(scorer.questions[c].max_cents for c in codes[:10])


def test_readiness_at_the_top_has_nothing_to_plan(scorer):
    ready = readiness(scorer, full_marks(scorer))
    assert ready.next_category is None and ready.plan == () and ready.points_missing == 0


def test_gap_to_an_exclusive_band_needs_one_more_cent(scorer, catalogue):
    # 600.00 is Pratama; Madya starts above it, so 0.01 is missing.
    answers, remaining = {}, 60_000
    for code, compiled in scorer.questions.items():
        take = min(remaining, compiled.max_cents)
        if take:
            answers[code] = Answer(score=Decimal(take) / 100)
            remaining -= take
    ready = readiness(scorer, answers)
    assert ready.category.code == "pratama"
    assert ready.next_category.code == "madya"
    assert ready.points_missing == 1


def test_provila_needs_every_region_at_least_pratama(catalogue):
    ok = provila_status(catalogue, {"62.01": "pratama", "62.71": "madya"})
    assert ok.qualifies and ok.holding_back == ()
    held = provila_status(catalogue, {"62.01": "pratama", "62.02": "inisiasi", "62.03": None, "62.71": "nindya"})
    assert not held.qualifies
    assert held.holding_back == ("62.02", "62.03")
    assert not provila_status(catalogue, {}).qualifies


def test_answers_file_values_are_parsed_and_checked(scorer):
    code_option, scale = _question_with(scorer, OptionsScale)
    code_percent, _ = _question_with(scorer, PercentScale)
    raw = {
        code_option: scale.options[-1].code,
        code_percent: "87,5",
        "99.99": "ya",
        list(scorer.questions)[-1]: {"score": "abc"},
    }
    answers, problems = parse_answers(scorer, raw)
    assert answers[code_option].option == scale.options[-1].code
    assert answers[code_percent].value == Decimal("87.5")
    assert {p.code for p in problems} == {"unknown_question", "not_a_number"}


def test_the_most_a_set_of_questions_can_earn_respects_capped_indicators(scorer):
    everything = list(scorer.questions)
    assert scorer.max_of(everything) == 100_000  # the instrument's 1000 points, not the questions' raw sum
    assert sum(q.max_cents for q in scorer.questions.values()) > 100_000  # the caps do matter
    capped = next(slot for slot, capped in enumerate(scorer.indicator_capped) if capped)
    inside = [q.code for q in scorer.questions.values() if q.indicator == capped]
    assert scorer.max_of(inside) == min(sum(scorer.questions[c].max_cents for c in inside), scorer.indicator_max[capped])
    assert scorer.max_of(inside[:1]) == scorer.questions[inside[0]].max_cents
    assert scorer.max_of([]) == 0
