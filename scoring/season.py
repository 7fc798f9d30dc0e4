"""The season of one kab/kota: how its assessment moves from stage to stage, and what each stage's
decisions make of its score. Pure: no database, no clock.

The stage machine (one assessment):

    SELF --submit--> PROVINCE --hand_on--> MINISTRY --to_field--> FIELD --to_final--> FINAL --publish--> AWARDED
                         ^                     |
                         +-----send_back-------+

- submit: the DP3A hands its self-assessment to the province;
- hand_on: the province passes it to the ministry once it has decided every answered question;
- send_back: the ministry returns it to the province (with a reason);
- to_field: the ministry starts field verification once it has decided every answered question;
- to_final: the ministry closes field verification; the national team fixes the final score;
- publish: the award list of the year is published (every kab/kota at FINAL with a category).

Each stage decides per question; its decisions lock when the assessment leaves it (`deciding_stage`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from scoring.answers import Answer, ReviewStatus, Stage, Verdict
from scoring.engine import Scorer, ScoreSheet
from scoring.points import to_cents


class Move(StrEnum):
    """A change of an assessment's stage."""

    SUBMIT = "submit"
    HAND_ON = "hand_on"
    SEND_BACK = "send_back"
    TO_FIELD = "to_field"
    TO_FINAL = "to_final"
    PUBLISH = "publish"


MOVES: dict[Move, tuple[Stage, Stage]] = {
    Move.SUBMIT: (Stage.SELF, Stage.PROVINCE),
    Move.HAND_ON: (Stage.PROVINCE, Stage.MINISTRY),
    Move.SEND_BACK: (Stage.MINISTRY, Stage.PROVINCE),
    Move.TO_FIELD: (Stage.MINISTRY, Stage.FIELD),
    Move.TO_FINAL: (Stage.FIELD, Stage.FINAL),
    Move.PUBLISH: (Stage.FINAL, Stage.AWARDED),
}

# Where an assessment can stand, in order, and the stages that decide per question, in order.
ASSESSMENT_STAGES: tuple[Stage, ...] = (Stage.SELF, Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD, Stage.FINAL,
                                        Stage.AWARDED)
REVIEW_STAGES: tuple[Stage, ...] = (Stage.DP3A, Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD, Stage.FINAL)
# Stages whose decisions start from the previous stage's: field verification adjusts the ministry's
# figures, final verification fixes a figure for every question (by default the last stage's).
INHERITING: frozenset[Stage] = frozenset({Stage.FIELD, Stage.FINAL})
# Where the decisions of each review stage are taken: the assessment's stage then.
_DECIDES_AT: dict[Stage, Stage] = {Stage.SELF: Stage.DP3A, Stage.PROVINCE: Stage.PROVINCE,
                                   Stage.MINISTRY: Stage.MINISTRY, Stage.FIELD: Stage.FIELD, Stage.FINAL: Stage.FINAL}


class MoveRefused(ValueError):
    """A move that does not start from the assessment's stage."""

    def __init__(self, stage: Stage, move: Move) -> None:
        super().__init__(f"{move} cannot start from {stage}")
        self.stage = stage
        self.move = move


def after(stage: Stage, move: Move) -> Stage:
    """The stage `move` leads to from `stage`; `MoveRefused` when it does not start there."""
    start, end = MOVES[move]
    if stage != start:
        raise MoveRefused(stage, move)
    return end


def allowed_moves(stage: Stage) -> tuple[Move, ...]:
    return tuple(move for move, (start, _end) in MOVES.items() if start == stage)


def deciding_stage(stage: Stage) -> Stage | None:
    """The review stage that decides while the assessment stands at `stage` (None once awarded)."""
    return _DECIDES_AT.get(stage)


def reached(assessment_stage: Stage, review_stage: Stage) -> bool:
    """Whether the assessment has got as far as `review_stage` (the DP3A's check counts from the start)."""
    if review_stage in (Stage.SELF, Stage.CLUSTER, Stage.DP3A):
        return True
    return ASSESSMENT_STAGES.index(assessment_stage) >= ASSESSMENT_STAGES.index(review_stage)


def stages_reached(assessment_stage: Stage) -> tuple[Stage, ...]:
    """The review stages whose scores exist for an assessment at `assessment_stage`, in order."""
    return tuple(s for s in REVIEW_STAGES if reached(assessment_stage, s))


def previous_stage(stage: Stage) -> Stage | None:
    """The review stage before `stage` (None for the DP3A's: before it there is only the self-assessment)."""
    index = REVIEW_STAGES.index(stage)
    return REVIEW_STAGES[index - 1] if index > 0 else None


# -- one question through the stages ------------------------------------------------------------


def question_points(self_cents: int, verdicts: Mapping[Stage, Verdict]) -> dict[Stage, int | None]:
    """What each review stage stands behind for one question, in cents (None: undecided there).

    - an approval counts the self-assessed points, lowered to the stage's own figure and never
      above the latest earlier approval (a stage cannot give back what an earlier one took away);
    - a return counts 0 at that stage (a request to fix; a later stage decides on the fixed answer);
    - FIELD and FINAL start from the previous stage's standing: without their own decision they keep it.
    """
    result: dict[Stage, int | None] = {}
    ceiling = self_cents
    standing: int | None = None
    for stage in REVIEW_STAGES:
        verdict = verdicts.get(stage)
        if verdict is None or verdict.status is ReviewStatus.WAITING:
            points = standing if stage in INHERITING else None
        elif verdict.status is ReviewStatus.RETURNED:
            points = 0
        else:
            points = ceiling if verdict.score is None else min(ceiling, max(0, to_cents(verdict.score)))
            ceiling = points
        result[stage] = points
        standing = points
    return result


@dataclass(frozen=True)
class StageTotal:
    """A stage's total for one assessment: what it has decided, and what it has not yet.

    `points` sums the points the stage stands behind (each indicator capped at its maximum);
    `undecided` answered questions have no decision at this stage yet, worth up to
    `undecided_cents` self-assessed points. The total is the stage's score only when `complete`:
    never count an undecided answer as 0 (a half-verified kab/kota is not a poor one)."""

    stage: Stage
    points: int
    decided: int
    undecided: int
    undecided_cents: int

    @property
    def complete(self) -> bool:
        return self.undecided == 0


@dataclass(frozen=True)
class SeasonScores:
    """One assessment's scores at every stage: the self-assessed sheet, each review stage's sheet
    of the points it stands behind, and each stage's total with what it has not decided yet."""

    self_assessed: ScoreSheet
    sheets: dict[Stage, ScoreSheet]
    totals: dict[Stage, StageTotal]

    def drop(self, stage: Stage) -> int:
        """Points lost from the self-assessment to `stage` (of what the stage has decided so far)."""
        return self.self_assessed.total - self.sheets[stage].total


def season_scores(scorer: Scorer, answers: Mapping[str, Answer],
                  verdicts: Mapping[Stage, Mapping[str, Verdict]],
                  stages: tuple[Stage, ...] = REVIEW_STAGES) -> SeasonScores:
    """Scores per stage of one assessment (see `question_points`), for the review stages in `stages`.

    `answers` are the kab/kota's answers as given; `verdicts` each stage's latest decision per question."""
    self_sheet = scorer.score(answers)
    per_question: dict[Stage, dict[str, int]] = {stage: {} for stage in stages}
    undecided = dict.fromkeys(stages, 0)
    undecided_cents = dict.fromkeys(stages, 0)
    for code, self_cents in self_sheet.questions.items():
        chain = question_points(self_cents, {stage: v[code] for stage, v in verdicts.items() if code in v})
        for stage in stages:
            points = chain[stage]
            if points is None:
                undecided[stage] += 1
                undecided_cents[stage] += self_cents
            else:
                per_question[stage][code] = points
    sheets = {stage: scorer.sheet_of(per_question[stage]) for stage in stages}
    totals = {stage: StageTotal(stage, sheets[stage].total, len(per_question[stage]), undecided[stage],
                                undecided_cents[stage]) for stage in stages}
    return SeasonScores(self_sheet, sheets, totals)
