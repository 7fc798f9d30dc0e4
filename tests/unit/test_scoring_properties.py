"""Properties the scoring engine must keep for any answers whatsoever."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import ReviewStatus, Verdict, band_for, category_for, cent_bands
from scoring.samples import possible_answers

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def answer_sets(draw, scorer):
    codes = list(scorer.questions)
    chosen = draw(st.lists(st.sampled_from(codes), unique=True, max_size=len(codes)))
    return {code: draw(st.sampled_from(possible_answers(scorer, code))) for code in chosen}


@st.composite
def verdict_sets(draw, answers):
    statuses = st.sampled_from(list(ReviewStatus))
    own_score = st.one_of(st.none(), st.decimals(min_value=0, max_value=20, places=2))
    return {code: Verdict(draw(statuses), draw(own_score)) for code in answers if draw(st.booleans())}


@SETTINGS
@given(data=st.data())
def test_total_stays_within_zero_and_the_maximum(scorer, data):
    sheet = scorer.score(data.draw(answer_sets(scorer)))
    assert 0 <= sheet.total <= 100_000
    assert sheet.total == sum(sheet.parts.values()) == sum(sheet.indicators.values())


@SETTINGS
@given(data=st.data())
def test_raising_any_answer_never_lowers_the_total(scorer, data):
    answers = data.draw(answer_sets(scorer))
    code = data.draw(st.sampled_from(list(scorer.questions)))
    options = possible_answers(scorer, code)
    before_answer = data.draw(st.sampled_from(options))
    after_answer = data.draw(st.sampled_from(options))
    before_points = scorer.question_points(code, before_answer)
    after_points = scorer.question_points(code, after_answer)
    if after_points < before_points:
        before_answer, after_answer = after_answer, before_answer
    low = scorer.score({**answers, code: before_answer}).total
    high = scorer.score({**answers, code: after_answer}).total
    assert high >= low


@SETTINGS
@given(data=st.data())
def test_verified_never_exceeds_self_assessed(scorer, data):
    answers = data.draw(answer_sets(scorer))
    verdicts = data.draw(verdict_sets(answers))
    own = scorer.score(answers)
    checked = scorer.verified(answers, verdicts)
    assert checked.total <= own.total
    for code, cents in checked.questions.items():
        assert cents <= own.questions[code]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(min_value=0, max_value=100_000))
def test_category_matches_the_published_bands_everywhere(catalogue, cents):
    # KLA.md: below 500 none; Pratama 500-600; Madya over 600 to 700; ... KLA over 900.
    points = Decimal(cents) / 100
    if points < 500:
        expected = "inisiasi"
    elif points <= 600:
        expected = "pratama"
    elif points <= 700:
        expected = "madya"
    elif points <= 800:
        expected = "nindya"
    elif points <= 900:
        expected = "utama"
    else:
        expected = "kla"
    assert band_for(cent_bands(catalogue), cents).band.code == expected


@SETTINGS
@given(data=st.data())
def test_category_of_a_sheet_agrees_with_its_total(scorer, data):
    sheet = scorer.score(data.draw(answer_sets(scorer)))
    assert category_for(scorer, sheet).code == band_for(cent_bands(scorer.catalogue), sheet.total).band.code
