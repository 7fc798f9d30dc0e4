"""The stage machine of a season (scoring.season): which move starts where and leads where, who
decides at each stage, and how far an assessment has got. Exhaustive over Stage x Move."""

from __future__ import annotations

import itertools

import pytest

from scoring import (
    ASSESSMENT_STAGES,
    MOVES,
    REVIEW_STAGES,
    Move,
    MoveRefused,
    Stage,
    after,
    allowed_moves,
    deciding_stage,
    previous_stage,
    reached,
    stages_reached,
)

# The season as KLA.md tells it, written out by hand (not derived from MOVES): the machine must agree.
EXPECTED_MOVES = {
    Move.SUBMIT: (Stage.SELF, Stage.PROVINCE),
    Move.HAND_ON: (Stage.PROVINCE, Stage.MINISTRY),
    Move.SEND_BACK: (Stage.MINISTRY, Stage.PROVINCE),
    Move.TO_FIELD: (Stage.MINISTRY, Stage.FIELD),
    Move.TO_FINAL: (Stage.FIELD, Stage.FINAL),
    Move.PUBLISH: (Stage.FINAL, Stage.AWARDED),
}
ALLOWED = {(start, move): end for move, (start, end) in EXPECTED_MOVES.items()}
REFUSED = [(stage, move) for stage, move in itertools.product(Stage, Move) if (stage, move) not in ALLOWED]


def test_every_move_is_in_the_machine_with_its_start_and_end():
    assert MOVES == EXPECTED_MOVES
    assert set(MOVES) == set(Move)


@pytest.mark.parametrize(("start", "move"), list(ALLOWED), ids=lambda v: str(v))
def test_an_allowed_move_leads_to_its_stage(start, move):
    assert after(start, move) == ALLOWED[start, move]


@pytest.mark.parametrize(("stage", "move"), REFUSED, ids=lambda v: str(v))
def test_a_move_from_any_other_stage_is_refused(stage, move):
    with pytest.raises(MoveRefused) as refused:
        after(stage, move)
    assert refused.value.stage == stage and refused.value.move == move
    assert isinstance(refused.value, ValueError)  # callers that catch ValueError still catch it
    assert str(move) in str(refused.value) and str(stage) in str(refused.value)


def test_the_exhaustive_table_covers_every_pair_once():
    assert len(ALLOWED) + len(REFUSED) == len(Stage) * len(Move)


@pytest.mark.parametrize(("stage", "moves"), [
    (Stage.SELF, (Move.SUBMIT,)),
    (Stage.CLUSTER, ()),  # the coordinators' check, never where an assessment stands
    (Stage.DP3A, ()),  # a review stage, never where an assessment stands
    (Stage.PROVINCE, (Move.HAND_ON,)),
    (Stage.MINISTRY, (Move.SEND_BACK, Move.TO_FIELD)),
    (Stage.FIELD, (Move.TO_FINAL,)),
    (Stage.FINAL, (Move.PUBLISH,)),
    (Stage.AWARDED, ()),  # the end of the season: nothing moves it
])
def test_allowed_moves_per_stage(stage, moves):
    assert set(allowed_moves(stage)) == set(moves)
    assert len(allowed_moves(stage)) == len(moves)
    for move in allowed_moves(stage):
        after(stage, move)  # each listed move is accepted


def test_allowed_moves_agree_with_after_everywhere():
    for stage, move in itertools.product(Stage, Move):
        assert (move in allowed_moves(stage)) == ((stage, move) in ALLOWED)


def test_every_assessment_stage_but_self_is_reached_by_some_move_and_only_awarded_is_final():
    ends = {end for _start, end in MOVES.values()}
    starts = {start for start, _end in MOVES.values()}
    assert ends == set(ASSESSMENT_STAGES) - {Stage.SELF}
    assert set(ASSESSMENT_STAGES) - starts == {Stage.AWARDED}
    assert Stage.DP3A not in ends | starts


def test_the_only_way_back_is_send_back_from_the_ministry_to_the_province():
    backwards = [move for move, (start, end) in MOVES.items()
                 if ASSESSMENT_STAGES.index(end) < ASSESSMENT_STAGES.index(start)]
    assert backwards == [Move.SEND_BACK]


def test_a_whole_season_walks_the_stages_in_order():
    stage = Stage.SELF
    walked = [stage]
    for move in (Move.SUBMIT, Move.HAND_ON, Move.SEND_BACK, Move.HAND_ON, Move.TO_FIELD, Move.TO_FINAL,
                 Move.PUBLISH):
        stage = after(stage, move)
        walked.append(stage)
    assert walked == [Stage.SELF, Stage.PROVINCE, Stage.MINISTRY, Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD,
                      Stage.FINAL, Stage.AWARDED]


def test_stage_orders():
    assert ASSESSMENT_STAGES == (Stage.SELF, Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD, Stage.FINAL,
                                 Stage.AWARDED)
    assert REVIEW_STAGES == (Stage.DP3A, Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD, Stage.FINAL)


# -- who decides ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("assessment_stage", "deciding"), [
    (Stage.SELF, Stage.DP3A),  # the DP3A checks its agencies' answers before it submits
    (Stage.PROVINCE, Stage.PROVINCE),
    (Stage.MINISTRY, Stage.MINISTRY),
    (Stage.FIELD, Stage.FIELD),
    (Stage.FINAL, Stage.FINAL),
    (Stage.AWARDED, None),  # published: nobody decides any more
])
def test_deciding_stage_for_each_assessment_stage(assessment_stage, deciding):
    assert deciding_stage(assessment_stage) == deciding


def test_deciding_stages_are_the_review_stages_once_each():
    deciding = [deciding_stage(stage) for stage in ASSESSMENT_STAGES]
    assert [s for s in deciding if s is not None] == list(REVIEW_STAGES)


def test_deciding_stage_of_a_review_only_stage_is_none():
    assert deciding_stage(Stage.DP3A) is None  # an assessment never stands at DP3A


def test_deciding_stage_takes_a_plain_stored_value():
    assert deciding_stage("field") == Stage.FIELD  # type: ignore[arg-type]  # a database row's plain str


# -- how far ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("assessment_stage", "expected"), [
    (Stage.SELF, (Stage.DP3A,)),
    (Stage.PROVINCE, (Stage.DP3A, Stage.PROVINCE)),
    (Stage.MINISTRY, (Stage.DP3A, Stage.PROVINCE, Stage.MINISTRY)),
    (Stage.FIELD, (Stage.DP3A, Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD)),
    (Stage.FINAL, REVIEW_STAGES),
    (Stage.AWARDED, REVIEW_STAGES),
])
def test_stages_reached(assessment_stage, expected):
    assert stages_reached(assessment_stage) == expected


@pytest.mark.parametrize("assessment_stage", ASSESSMENT_STAGES)
def test_reached_agrees_with_the_order_of_the_stages(assessment_stage):
    here = ASSESSMENT_STAGES.index(assessment_stage)
    for review_stage in REVIEW_STAGES + (Stage.SELF, Stage.AWARDED):
        if review_stage in (Stage.SELF, Stage.DP3A):
            expected = True  # the self-assessment and its DP3A check exist from the start
        else:
            expected = ASSESSMENT_STAGES.index(review_stage) <= here
        assert reached(assessment_stage, review_stage) is expected, review_stage
    assert stages_reached(assessment_stage) == tuple(s for s in REVIEW_STAGES if reached(assessment_stage, s))


def test_the_deciding_stage_is_always_reached_and_the_last_reached():
    for stage in ASSESSMENT_STAGES:
        deciding = deciding_stage(stage)
        if deciding is not None:
            assert reached(stage, deciding)
            assert stages_reached(stage)[-1] == deciding


@pytest.mark.parametrize(("stage", "previous"), [
    (Stage.DP3A, None),
    (Stage.PROVINCE, Stage.DP3A),
    (Stage.MINISTRY, Stage.PROVINCE),
    (Stage.FIELD, Stage.MINISTRY),
    (Stage.FINAL, Stage.FIELD),
])
def test_previous_stage(stage, previous):
    assert previous_stage(stage) == previous


@pytest.mark.parametrize("stage", [Stage.SELF, Stage.AWARDED])
def test_previous_stage_of_a_stage_that_does_not_decide_is_refused(stage):
    with pytest.raises(ValueError):
        previous_stage(stage)
