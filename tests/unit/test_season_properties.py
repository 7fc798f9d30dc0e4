"""Properties of the scores per stage (scoring.season) for any answers and any decisions: a later
stage never stands above an earlier one's approval, a return is 0, the field and the final stage
keep the standing they inherit, and an undecided question is never counted as 0."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import (
    REVIEW_STAGES,
    ReviewStatus,
    Stage,
    Verdict,
    previous_stage,
    question_points,
    season_scores,
    to_cents,
)
from scoring.samples import possible_answers

CHEAP = settings(max_examples=200, deadline=None)
COSTLY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
INHERITING = (Stage.FIELD, Stage.FINAL)
OWN_DECISION_ONLY = (Stage.DP3A, Stage.PROVINCE, Stage.MINISTRY)

# A reviewer's own figure: usually within a question's range, sometimes odd (negative, past the
# maximum, finer than a cent) as a form could send it before the service checks it.
own_scores = st.one_of(st.none(), st.decimals(min_value=0, max_value=25, places=2),
                       st.decimals(min_value=-5, max_value=200, places=3))
verdicts = st.one_of(
    st.none(),  # no decision at that stage
    st.builds(Verdict, st.just(ReviewStatus.APPROVED), own_scores),
    st.just(Verdict(ReviewStatus.APPROVED)),
    st.just(Verdict(ReviewStatus.RETURNED)),
    st.builds(Verdict, st.just(ReviewStatus.RETURNED), own_scores),  # a stray figure on a return
    st.just(Verdict(ReviewStatus.WAITING)),
)
self_points = st.integers(min_value=0, max_value=2_500)


@st.composite
def chains(draw):
    drawn = {stage: draw(verdicts) for stage in REVIEW_STAGES}
    return draw(self_points), {stage: v for stage, v in drawn.items() if v is not None}


def _approved(verdict: Verdict | None) -> bool:
    return verdict is not None and verdict.status is ReviewStatus.APPROVED


def _undecided(verdict: Verdict | None) -> bool:
    return verdict is None or verdict.status is ReviewStatus.WAITING


# -- one question ---------------------------------------------------------------------------------


@CHEAP
@given(chain=chains())
def test_points_stay_between_zero_and_the_self_assessed_points(chain):
    self_cents, given_verdicts = chain
    points = question_points(self_cents, given_verdicts)
    assert set(points) == set(REVIEW_STAGES)
    for value in points.values():
        assert value is None or 0 <= value <= self_cents


@CHEAP
@given(chain=chains())
def test_a_later_approval_never_stands_above_an_earlier_approval(chain):
    self_cents, given_verdicts = chain
    points = question_points(self_cents, given_verdicts)
    for i, earlier in enumerate(REVIEW_STAGES):
        for later in REVIEW_STAGES[i + 1:]:
            if _approved(given_verdicts.get(earlier)) and _approved(given_verdicts.get(later)):
                assert points[later] <= points[earlier], (earlier, later)


@CHEAP
@given(chain=chains())
def test_an_approval_is_the_lowest_of_the_self_points_earlier_approvals_and_its_own_figure(chain):
    # The rule written the long way, as a second opinion on the loop in `question_points`.
    self_cents, given_verdicts = chain
    points = question_points(self_cents, given_verdicts)
    for i, stage in enumerate(REVIEW_STAGES):
        verdict = given_verdicts.get(stage)
        if not _approved(verdict):
            continue
        assert verdict is not None
        candidates = [self_cents] + [points[s] for s in REVIEW_STAGES[:i] if _approved(given_verdicts.get(s))]
        if verdict.score is not None:
            candidates.append(max(0, to_cents(verdict.score)))
        assert points[stage] == min(c for c in candidates if c is not None)


@CHEAP
@given(chain=chains())
def test_a_return_is_zero_at_its_stage(chain):
    self_cents, given_verdicts = chain
    points = question_points(self_cents, given_verdicts)
    for stage, verdict in given_verdicts.items():
        if verdict.status is ReviewStatus.RETURNED:
            assert points[stage] == 0


@CHEAP
@given(chain=chains())
def test_field_and_final_without_a_decision_keep_the_previous_standing(chain):
    self_cents, given_verdicts = chain
    points = question_points(self_cents, given_verdicts)
    for stage in INHERITING:
        if _undecided(given_verdicts.get(stage)):
            previous = previous_stage(stage)
            assert previous is not None
            assert points[stage] == points[previous]


@CHEAP
@given(chain=chains())
def test_undecided_is_none_not_zero_where_a_stage_decides_for_itself(chain):
    self_cents, given_verdicts = chain
    points = question_points(self_cents, given_verdicts)
    for stage in OWN_DECISION_ONLY:
        if _undecided(given_verdicts.get(stage)):
            assert points[stage] is None
        else:
            assert points[stage] is not None


@CHEAP
@given(chain=chains())
def test_waiting_counts_as_no_decision(chain):
    self_cents, given_verdicts = chain
    without_waiting = {s: v for s, v in given_verdicts.items() if v.status is not ReviewStatus.WAITING}
    assert question_points(self_cents, given_verdicts) == question_points(self_cents, without_waiting)


@CHEAP
@given(chain=chains())
def test_a_return_does_not_lower_what_a_later_stage_may_approve(chain):
    # A return asks the kab/kota to fix its answer: the next stage decides on the fixed answer,
    # capped by the earlier approvals only (not by the 0 of the return).
    self_cents, given_verdicts = chain
    returned = {s: Verdict(ReviewStatus.RETURNED) if _approved(v) else v for s, v in given_verdicts.items()}
    approved_last = {**returned, Stage.FINAL: Verdict(ReviewStatus.APPROVED)}
    assert question_points(self_cents, approved_last)[Stage.FINAL] == self_cents


@CHEAP
@given(self_cents=self_points)
def test_no_decisions_at_all(self_cents):
    assert question_points(self_cents, {}) == dict.fromkeys(REVIEW_STAGES)


@CHEAP
@given(self_cents=self_points)
def test_approvals_everywhere_without_figures_keep_the_self_points(self_cents):
    points = question_points(self_cents, dict.fromkeys(REVIEW_STAGES, Verdict(ReviewStatus.APPROVED)))
    assert points == dict.fromkeys(REVIEW_STAGES, self_cents)


# -- a whole assessment, with the real catalogue --------------------------------------------------


@st.composite
def answer_sets(draw, scorer):
    codes = list(scorer.questions)
    chosen = draw(st.lists(st.sampled_from(codes), unique=True, max_size=len(codes)))
    return {code: draw(st.sampled_from(possible_answers(scorer, code))) for code in chosen}


@st.composite
def stage_verdicts(draw, scorer, answers):
    """Each stage's latest decision on some of the answered questions, and on a few questions nobody
    answered (a decision on an answer since cleared): those must not count."""
    unanswered = [code for code in scorer.questions if code not in answers][:5]
    result: dict[Stage, dict[str, Verdict]] = {}
    for stage in REVIEW_STAGES:
        decided = {}
        for code in [*answers, *unanswered]:
            verdict = draw(verdicts)
            if verdict is not None:
                decided[code] = verdict
        result[stage] = decided
    return result


@COSTLY
@given(data=st.data())
def test_season_scores_keep_their_books(scorer, data):
    answers = data.draw(answer_sets(scorer))
    given_verdicts = data.draw(stage_verdicts(scorer, answers))
    scores = season_scores(scorer, answers, given_verdicts)
    own = scores.self_assessed
    assert own == scorer.score(answers)
    assert set(scores.sheets) == set(scores.totals) == set(REVIEW_STAGES)
    for stage in REVIEW_STAGES:
        sheet, total = scores.sheets[stage], scores.totals[stage]
        assert total.stage == stage
        assert total.points == sheet.total
        assert total.decided == len(sheet.questions)
        assert total.decided + total.undecided == len(answers)
        assert set(sheet.questions) <= set(answers)  # decisions on unanswered questions do not count
        undecided = [code for code in answers if code not in sheet.questions]
        assert total.undecided == len(undecided)
        assert total.undecided_cents == sum(own.questions[code] for code in undecided)
        assert total.complete is (total.undecided == 0)
        assert 0 <= total.points <= own.total
        assert scores.drop(stage) == own.total - total.points >= 0
        for code, cents in sheet.questions.items():
            assert 0 <= cents <= own.questions[code]
            assert cents == question_points(own.questions[code],
                                            {s: v[code] for s, v in given_verdicts.items() if code in v})[stage]


@COSTLY
@given(data=st.data())
def test_season_scores_later_approvals_never_exceed_earlier_ones(scorer, data):
    answers = data.draw(answer_sets(scorer))
    given_verdicts = data.draw(stage_verdicts(scorer, answers))
    scores = season_scores(scorer, answers, given_verdicts)
    for code in answers:
        approved = [s for s in REVIEW_STAGES if _approved(given_verdicts[s].get(code))]
        for earlier, later in zip(approved, approved[1:], strict=False):
            assert scores.sheets[later].questions[code] <= scores.sheets[earlier].questions[code]


@COSTLY
@given(data=st.data())
def test_everything_approved_without_figures_keeps_the_self_total_everywhere(scorer, data):
    answers = data.draw(answer_sets(scorer))
    approve_all = {stage: dict.fromkeys(answers, Verdict(ReviewStatus.APPROVED)) for stage in REVIEW_STAGES}
    scores = season_scores(scorer, answers, approve_all)
    for stage in REVIEW_STAGES:
        total = scores.totals[stage]
        assert total.points == scores.self_assessed.total
        assert total.complete and total.undecided_cents == 0 and total.decided == len(answers)
        assert scores.sheets[stage].indicators == scores.self_assessed.indicators


@COSTLY
@given(data=st.data())
def test_nothing_decided_leaves_every_own_stage_empty_and_undecided(scorer, data):
    answers = data.draw(answer_sets(scorer))
    scores = season_scores(scorer, answers, {})
    for stage in REVIEW_STAGES:
        total = scores.totals[stage]
        assert total.points == 0 and total.decided == 0
        assert total.undecided == len(answers)
        assert total.undecided_cents == sum(scores.self_assessed.questions.values())
        assert total.complete is (not answers)


@COSTLY
@given(data=st.data())
def test_only_the_stages_asked_for_are_scored(scorer, data):
    answers = data.draw(answer_sets(scorer))
    given_verdicts = data.draw(stage_verdicts(scorer, answers))
    stages = data.draw(st.sets(st.sampled_from(REVIEW_STAGES)).map(
        lambda chosen: tuple(s for s in REVIEW_STAGES if s in chosen)))
    some = season_scores(scorer, answers, given_verdicts, stages)
    every = season_scores(scorer, answers, given_verdicts)
    assert set(some.sheets) == set(some.totals) == set(stages)
    for stage in stages:  # a stage's figures do not depend on which others are asked for
        assert some.totals[stage] == every.totals[stage]


def test_a_returned_question_counts_zero_not_undecided(scorer):
    code = next(iter(scorer.questions))
    answers = {code: max(possible_answers(scorer, code), key=lambda a: scorer.question_points(code, a))}
    scores = season_scores(scorer, answers, {Stage.PROVINCE: {code: Verdict(ReviewStatus.RETURNED)}})
    assert scores.totals[Stage.PROVINCE].decided == 1 and scores.totals[Stage.PROVINCE].points == 0
    assert scores.totals[Stage.MINISTRY].undecided == 1
    assert scores.totals[Stage.MINISTRY].undecided_cents == scores.self_assessed.total > 0


def test_a_figure_finer_than_a_cent_is_rounded_like_any_score(scorer):
    code = next(iter(scorer.questions))
    answers = {code: max(possible_answers(scorer, code), key=lambda a: scorer.question_points(code, a))}
    figure = Decimal("0.005")  # half a cent rounds up
    scores = season_scores(scorer, answers, {Stage.DP3A: {code: Verdict(ReviewStatus.APPROVED, figure)}})
    assert scores.sheets[Stage.DP3A].questions[code] == 1
