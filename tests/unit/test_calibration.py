"""Our estimate against the official Nilai EM: the sums, the spread per scale and option (pure)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import OptionsScale
from scoring import Answer
from scoring.calibration import NOT_APPLICABLE, UNANSWERED, VALUE, Observed, compare, comparison, observe
from scoring.samples import possible_answers

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _seen(code, ours, official, *, scale="s1", answer="a", part="P1", indicator="1", max_cents=1000):
    return Observed(code, indicator, part, scale, answer, max_cents, ours, official)


def test_sums_only_over_questions_with_an_official_figure():
    result = compare([
        _seen("q1", 1000, 500, indicator="1"),
        _seen("q2", 500, None, indicator="1"),  # not recorded: counted, not compared
        _seen("q3", 0, 250, indicator="2", part="P2", scale="s2", answer="b"),
        _seen("q4", 750, 750, indicator="2", part="P2", scale="s2", answer="c"),
    ])
    assert [q.code for q in result.questions] == ["q1", "q3", "q4"]
    assert [q.code for q in result.differing] == ["q1", "q3"]
    one = result.indicators["1"]
    assert (one.questions, one.compared, one.ours, one.official, one.difference) == (2, 1, 1000, 500, 500)
    two = result.parts["P2"]
    assert (two.questions, two.compared, two.ours, two.official, two.difference, two.differing) == (2, 2, 750, 1000,
                                                                                                    -250, 1)
    total = result.total
    assert (total.questions, total.compared, total.ours, total.official, total.difference) == (4, 3, 1750, 1500, 250)


def test_spread_per_scale_and_option_sorted_by_the_largest_total_difference():
    result = compare([
        _seen("q1", 1000, 500, scale="small", answer="yes"),  # +500
        _seen("q2", 1000, 250, scale="big", answer="yes"),  # +750
        _seen("q3", 0, 500, scale="big", answer="no"),  # -500
        _seen("q4", 500, 500, scale="big", answer="half"),  # 0
    ])
    assert [row.scale for row in result.scales] == ["big", "small"]
    big = result.scales[0]
    assert (big.spread.count, big.spread.differing, big.spread.total_difference, big.spread.total_absolute) == (
        3, 2, 250, 1250)
    assert big.spread.mean_difference == Fraction(250, 3)
    assert big.spread.mean_absolute == Fraction(1250, 3)
    assert [row.answer for row in big.answers] == ["yes", "no", "half"]
    yes = big.answers[0].spread
    assert yes.ours_share == 1 and yes.official_share == Fraction(1, 4)


def test_unanswered_questions_count_in_the_sums_but_not_for_a_scale():
    result = compare([_seen("q1", 0, 300, answer=UNANSWERED), _seen("q2", 200, 300, answer=VALUE)])
    assert result.unanswered == 1
    assert result.total.official == 600 and result.total.ours == 200
    assert [(row.scale, [a.answer for a in row.answers]) for row in result.scales] == [("s1", [VALUE])]


def test_nothing_recorded_compares_nothing():
    result = compare([_seen("q1", 1000, None)])
    assert result.questions == () and result.scales == () and result.total.compared == 0
    assert result.total.questions == 1 and result.total.difference == 0


def test_observe_gives_the_scorers_self_assessed_points_and_the_answer_on_the_scale(scorer, catalogue):
    option_code = next(r.question.code for r in catalogue.iter_questions()
                       if isinstance(catalogue.scales[r.question.scale], OptionsScale) and r.question.max > 0)
    value_code = next(r.question.code for r in catalogue.iter_questions()
                      if catalogue.scales[r.question.scale].kind == "percent")
    na_code = next(r.question.code for r in catalogue.iter_questions()
                   if r.question.code not in (option_code, value_code))
    option = catalogue.scales[catalogue.questions[option_code].question.scale].options[-1].code
    answers = {option_code: Answer(option=option), value_code: Answer(value=50), na_code: Answer(not_applicable=True),
               "not-a-question": Answer(option="x")}
    seen = {s.code: s for s in observe(scorer, answers, {option_code: 123, "not-a-question": 5})}
    assert list(seen) == list(catalogue.questions)  # every question, in the instrument's order
    assert seen[option_code].ours == scorer.question_points(option_code, Answer(option=option))
    assert seen[option_code].answer == option and seen[option_code].official == 123
    assert seen[value_code].answer == VALUE and seen[value_code].official is None
    assert seen[na_code].answer == NOT_APPLICABLE
    untouched = next(c for c in catalogue.questions if c not in answers)
    assert seen[untouched].answer == UNANSWERED and seen[untouched].ours == 0


@st.composite
def recorded(draw, scorer):
    codes = list(scorer.questions)
    chosen = draw(st.lists(st.sampled_from(codes), unique=True, max_size=60))
    answers = {code: draw(st.sampled_from(possible_answers(scorer, code))) for code in chosen}
    marked = draw(st.lists(st.sampled_from(codes), unique=True, max_size=60))
    official = {code: draw(st.integers(0, scorer.questions[code].max_cents)) for code in marked}
    return answers, official


@SETTINGS
@given(data=st.data())
def test_the_levels_add_up_whatever_is_recorded(scorer, data):
    answers, official = data.draw(recorded(scorer))
    result = comparison(scorer, answers, official)
    assert result.codes == frozenset(official)
    assert result.total.compared == len(official) == len(result.questions)
    assert result.total.official == sum(official.values())
    assert result.total.difference == sum(q.difference for q in result.questions)
    for level in (result.parts, result.indicators):
        assert sum(s.difference for s in level.values()) == result.total.difference
        assert sum(s.compared for s in level.values()) == result.total.compared
        assert sum(s.questions for s in level.values()) == len(scorer.questions)
    # Every compared answered question is in exactly one scale row and one answer row of it.
    assert sum(row.spread.count for row in result.scales) == len(official) - result.unanswered
    for row in result.scales:
        assert sum(a.spread.count for a in row.answers) == row.spread.count
        assert sum(a.spread.total_difference for a in row.answers) == row.spread.total_difference
        assert row.spread.mean_absolute >= abs(row.spread.mean_difference)
    totals = [row.spread.total_absolute for row in result.scales]
    assert totals == sorted(totals, reverse=True)


@SETTINGS
@given(data=st.data())
def test_the_official_figure_equal_to_ours_differs_nowhere(scorer, data):
    answers, _official = data.draw(recorded(scorer))
    ours = scorer.score(answers).questions
    result = comparison(scorer, answers, {code: ours.get(code, 0) for code in scorer.questions})
    assert result.differing == () and result.total.difference == 0
    assert all(row.spread.total_absolute == 0 for row in result.scales)
