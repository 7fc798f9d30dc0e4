"""Scores per stage of one assessment, as every page, the API, the workbooks and `kla season` show them.

One rule, here only (issue 22): a stage's total is its score only once the stage has decided every
answered question. Until then it is "verified so far" (the points the stage stands behind) plus
"still undecided" (N questions, worth up to X self-assessed points), and it has no category: an
undecided answer is not a zero. The category a region holds is that of its latest complete stage,
or the award category once the ministry has fixed one (`Award`).

The figures themselves come from `scoring.season_scores` (FIELD and FINAL inherit the standing of the
stage before them when they have not decided a question themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.services.answers import scored_answers
from app.services.review import ReviewState
from scoring import (
    REVIEW_STAGES,
    Scorer,
    ScoreSheet,
    SeasonScores,
    Stage,
    StageTotal,
    category_for,
    season_scores,
    stages_reached,
)

SHOWN_STAGES: tuple[Stage, ...] = (Stage.SELF, *REVIEW_STAGES)  # self-assessed, then every review stage


def season_of(scorer: Scorer, state: ReviewState, stages: tuple[Stage, ...] = REVIEW_STAGES) -> SeasonScores:
    """One assessment's scores at the review stages in `stages` (pass `stages_reached(assessment.stage)`)."""
    verdicts = {stage: state.verdicts(stage) for stage in REVIEW_STAGES}
    return season_scores(scorer, scored_answers(state.answers), verdicts, stages)


def season_for(scorer: Scorer, state: ReviewState, assessment_stage: Stage) -> SeasonScores:
    return season_of(scorer, state, stages_reached(assessment_stage))


def self_total(sheet: ScoreSheet) -> StageTotal:
    """The self-assessment as a stage total: it decides every answer it gives, so it is always complete."""
    return StageTotal(Stage.SELF, sheet.total, len(sheet.questions), 0, 0)


def totals_of(season: SeasonScores) -> dict[Stage, StageTotal]:
    """Self-assessed first, then the review stages reached, in order."""
    return {Stage.SELF: self_total(season.self_assessed), **season.totals}


def categories_of(scorer: Scorer, season: SeasonScores) -> dict[Stage, str]:
    """The category code of every complete stage (the self-assessment included); none for the others."""
    result = {Stage.SELF: category_for(scorer, season.self_assessed).code}
    for stage, total in season.totals.items():
        if total.complete:
            result[stage] = category_for(scorer, season.sheets[stage]).code
    return result


def ceiling(total: StageTotal) -> int:
    """The most the stage can still end at: what it stands behind plus every undecided answer as given."""
    return total.points + total.undecided_cents


def drop_between(earlier: StageTotal, later: StageTotal) -> int:
    """Points `later` took away from what `earlier` allowed; undecided answers are not counted as lost.

    Exact between complete stages; while one is incomplete it is what the decisions so far removed
    (never below 0: indicator caps can make the undecided answers' sum overstate a little)."""
    return max(0, ceiling(earlier) - ceiling(later))


@dataclass(frozen=True)
class StageRow:
    """One line of a per-stage table: the stage's total, the drops, and its category when complete."""

    stage: Stage
    total: StageTotal
    drop_previous: int | None  # None for the self-assessment
    drop_self: int | None
    category: str | None  # the band code, only for a complete stage


def stage_rows(totals: Mapping[Stage, StageTotal], categories: Mapping[Stage, str]) -> list[StageRow]:
    """The stages in order with their drop from the stage before and from the self-assessment."""
    rows: list[StageRow] = []
    first: StageTotal | None = None
    previous: StageTotal | None = None
    for stage in SHOWN_STAGES:
        total = totals.get(stage)
        if total is None:
            continue
        rows.append(StageRow(stage, total,
                             drop_between(previous, total) if previous is not None else None,
                             drop_between(first, total) if first is not None else None,
                             categories.get(stage) if total.complete else None))
        first = first or total
        previous = total
    return rows


def latest_complete(totals: Mapping[Stage, StageTotal], categories: Mapping[Stage, str],
                    review_only: bool = True) -> tuple[Stage, str] | None:
    """The latest complete stage (a review stage unless `review_only` is off) and its category."""
    found: tuple[Stage, str] | None = None
    for stage in SHOWN_STAGES:
        if review_only and stage == Stage.SELF:
            continue
        total = totals.get(stage)
        if total is not None and total.complete and stage in categories:
            found = (stage, categories[stage])
    return found
