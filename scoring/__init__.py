"""The scoring engine: pure functions over a catalogue and answers. No I/O, no database, no web."""

from scoring.answers import Answer, AnswerError, AnswerProblem, ReviewStatus, Stage, Verdict
from scoring.categories import band_for, category_for, cent_bands, gate_failures
from scoring.engine import Scorer, ScoreSheet
from scoring.periods import DocumentFacts, Flag, Requirement
from scoring.points import format_points, from_cents, to_cents
from scoring.provila import ProvilaStatus, provila_status
from scoring.readiness import AtRisk, PlanStep, Readiness, readiness
from scoring.season import (
    ASSESSMENT_STAGES,
    MOVES,
    REVIEW_STAGES,
    Move,
    MoveRefused,
    SeasonScores,
    StageTotal,
    after,
    allowed_moves,
    deciding_stage,
    previous_stage,
    question_points,
    reached,
    season_scores,
    stages_reached,
)

__all__ = [
    "ASSESSMENT_STAGES",
    "MOVES",
    "REVIEW_STAGES",
    "Move",
    "MoveRefused",
    "SeasonScores",
    "StageTotal",
    "after",
    "allowed_moves",
    "deciding_stage",
    "previous_stage",
    "question_points",
    "reached",
    "season_scores",
    "stages_reached",
    "Answer",
    "AnswerError",
    "AnswerProblem",
    "AtRisk",
    "PlanStep",
    "ProvilaStatus",
    "Readiness",
    "ReviewStatus",
    "ScoreSheet",
    "Scorer",
    "Stage",
    "Verdict",
    "band_for",
    "category_for",
    "cent_bands",
    "format_points",
    "from_cents",
    "gate_failures",
    "provila_status",
    "readiness",
    "to_cents",
    "DocumentFacts",
    "Flag",
    "Requirement",
]
