"""Scores of many kab/kota at once: the province table, the national view and the API.

Scoring a region is quick; reading 274 answers and their decisions for each
of 514 regions is not. So each worker keeps the scores it computed per
assessment revision (`Assessment.revision`, bumped by every audited change,
read with the regions themselves); only regions whose revision moved are
read and scored again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.cache import RevisionCache
from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    Cycle,
    Province,
    Regency,
    ReviewAction,
    ReviewEvent,
    saved_id,
)
from app.models.season import Award
from app.services.answers import scored
from app.services.season_years import season_years
from app.services.stage_scores import (
    StageRow,
    categories_of,
    drop_between,
    latest_complete,
    stage_rows,
    totals_of,
)
from indicators import Catalogue
from scoring import Answer as ScoredAnswer
from scoring import (
    ReviewStatus,
    Scorer,
    SeasonScores,
    Stage,
    StageTotal,
    Verdict,
    season_scores,
    stages_reached,
)


@dataclass(frozen=True)
class RegionScores:
    """One kab/kota in one cycle: per stage reached (self-assessed first) the points each stage stands
    behind (cents) with what it has not decided yet (`stages`), parts, the categories of the complete
    stages only, the award category once fixed, progress.

    `totals[stage]` is "verified so far" (never a score while `stages[stage].complete` is false)."""

    regency_code: str
    stage: Stage
    submitted_at: datetime | None
    window_closes_at: datetime | None
    totals: dict[Stage, int]
    parts: dict[Stage, dict[str, int]]
    categories: dict[Stage, str]
    answered: int
    approved: int
    stages: dict[Stage, StageTotal]
    award: str | None = None  # Award.category once fixed ("" when fixed at no award), None before

    @property
    def latest(self) -> Stage:
        """The latest review stage the assessment has reached (the DP3A's check before the hand-over)."""
        return stages_reached(self.stage)[-1]

    @property
    def drop(self) -> int:
        """Points lost between the self-assessment and the latest stage reached (undecided not counted)."""
        return drop_between(self.stages[Stage.SELF], self.stages[self.latest])

    @property
    def settled(self) -> tuple[Stage, str] | None:
        """The latest complete review stage and its category (None while no review stage is complete)."""
        return latest_complete(self.stages, self.categories)

    @property
    def category(self) -> str | None:
        """The category the kab/kota holds: the award's once fixed, else its latest complete review stage's."""
        if self.award is not None:
            return self.award or None
        settled = self.settled
        return settled[1] if settled is not None else None

    def rows(self) -> list[StageRow]:
        return stage_rows(self.stages, self.categories)


class RegencyRef(NamedTuple):
    code: str
    name: str
    province_code: str


class ProvinceRef(NamedTuple):
    code: str
    name: str


class AssessmentRef(NamedTuple):
    """What a region's scores depend on, read with the region (see `scores_key`)."""

    id: int
    regency_code: str
    revision: int
    stage: Stage
    submitted_at: datetime | None
    window_closes_at: datetime | None


@dataclass(frozen=True)
class RegionRow:
    regency: RegencyRef
    province: ProvinceRef
    assessment: AssessmentRef | None
    scores: RegionScores | None


_WITH_PROVINCE = (Stage.DP3A, Stage.PROVINCE)
_scores = RevisionCache(size=2048)  # the nation's 514 kab/kota over a few cycles


def region_rows(session: Session, scorer: Scorer, year: int, province_code: str | None = None, *,
                regency_code: str | None = None) -> list[RegionRow]:
    """Every kab/kota (of one province, or of the nation) with its scores for `year`.

    Plain rows, not ORM objects: the national list reads 514 of them per request."""
    query = (
        sa_select(col(Regency.code), col(Regency.name), col(Regency.province_code), col(Province.name),
                  col(Assessment.id), col(Assessment.regency_code), col(Assessment.revision), col(Assessment.stage),
                  col(Assessment.submitted_at), col(Assessment.window_closes_at))
        .join(Province, col(Province.code) == col(Regency.province_code))
        .outerjoin(Cycle, col(Cycle.year) == year)
        .outerjoin(Assessment, (col(Assessment.regency_code) == col(Regency.code))
                   & (col(Assessment.cycle_id) == col(Cycle.id)))
        .order_by(col(Regency.code))
    )
    if province_code is not None:
        query = query.where(col(Regency.province_code) == province_code)
    if regency_code is not None:
        query = query.where(col(Regency.code) == regency_code)
    provinces: dict[str, ProvinceRef] = {}
    rows: list[tuple[RegencyRef, ProvinceRef, AssessmentRef | None]] = []
    for code, name, in_province, province_name, *assessment in session.execute(query).all():
        province = provinces.get(in_province) or provinces.setdefault(in_province,
                                                                      ProvinceRef(in_province, province_name))
        rows.append((RegencyRef(code, name, in_province), province,
                     AssessmentRef(*assessment) if assessment[0] is not None else None))
    scores = scores_of(session, scorer, [a for _, _, a in rows if a is not None])
    return [RegionRow(r, p, a, scores.get(a.id) if a else None) for r, p, a in rows]


def scores_key(scorer: Scorer, assessment: Assessment | AssessmentRef) -> tuple[Hashable, ...]:
    """What an assessment's scores depend on: its revision (bumped by every audited change)."""
    return (assessment.id, assessment.revision, assessment.stage, assessment.submitted_at,
            assessment.window_closes_at, id(scorer.catalogue))


def scores_of(session: Session, scorer: Scorer,
              assessments: Sequence[Assessment | AssessmentRef]) -> dict[int, RegionScores]:
    """Scores per assessment id; only assessments changed since they were last scored are read again."""
    engine = session.get_bind()
    result: dict[int, RegionScores] = {}
    stale = []
    for assessment in assessments:
        cached: RegionScores | None = _scores.peek(engine, scores_key(scorer, assessment))
        if cached is None:
            stale.append(assessment)
        else:
            result[saved_id(assessment.id)] = cached
    if stale:
        computed = _compute(session, scorer, stale)
        for assessment in stale:
            scores = computed[saved_id(assessment.id)]
            result[saved_id(assessment.id)] = scores
            _scores.put(engine, scores_key(scorer, assessment), scores)
    return result


def _compute(session: Session, scorer: Scorer,
             assessments: Sequence[Assessment | AssessmentRef]) -> dict[int, RegionScores]:
    ids = [saved_id(a.id) for a in assessments]
    answers: dict[int, dict[str, ScoredAnswer]] = defaultdict(dict)
    by_answer: dict[int, tuple[int, str]] = {}
    approved_count: dict[int, int] = defaultdict(int)
    for row in session.execute(
        sa_select(col(Answer.id), col(Answer.assessment_id), col(Answer.question_code), col(Answer.option),
                  col(Answer.value), col(Answer.not_applicable), col(Answer.status))
        .where(col(Answer.assessment_id).in_(ids))
    ):
        given = scored(row)
        if given is None:
            continue
        answers[row.assessment_id][row.question_code] = given
        by_answer[row.id] = (row.assessment_id, row.question_code)
        if row.status == AnswerStatus.APPROVED:
            approved_count[row.assessment_id] += 1
    verdicts: dict[int, dict[Stage, dict[str, Verdict]]] = defaultdict(lambda: defaultdict(dict))
    for answer_id, stage, action, score in session.execute(
        sa_select(col(ReviewEvent.answer_id), col(ReviewEvent.stage), col(ReviewEvent.action), col(ReviewEvent.score))
        .join(Answer, col(Answer.id) == col(ReviewEvent.answer_id))
        .where(col(Answer.assessment_id).in_(ids),
               col(ReviewEvent.action).in_((ReviewAction.APPROVED, ReviewAction.RETURNED)))
        .order_by(col(ReviewEvent.id))
    ):
        if answer_id in by_answer:
            assessment_id, code = by_answer[answer_id]
            verdicts[assessment_id][stage][code] = Verdict(ReviewStatus(action), score)
    awards = dict(session.execute(
        sa_select(col(Award.assessment_id), col(Award.category)).where(col(Award.assessment_id).in_(ids))).all())
    result = {}
    for assessment in assessments:
        assessment_id = saved_id(assessment.id)
        said = answers.get(assessment_id, {})
        reached = stages_reached(Stage(assessment.stage))
        # The DP3A's and the province's sheets always (pages of earlier cycles compare them); the
        # stages, categories and drops only for the stages reached.
        season = season_scores(scorer, said, verdicts[assessment_id], _WITH_PROVINCE if len(reached) < 2 else reached)
        sheets = {Stage.SELF: season.self_assessed, **season.sheets}
        season = SeasonScores(season.self_assessed, {s: season.sheets[s] for s in reached},
                              {s: season.totals[s] for s in reached})
        result[assessment_id] = RegionScores(
            regency_code=assessment.regency_code,
            stage=assessment.stage,
            submitted_at=assessment.submitted_at,
            window_closes_at=assessment.window_closes_at,
            totals={s: sheet.total for s, sheet in sheets.items()},
            parts={s: dict(sheet.parts) for s, sheet in sheets.items()},
            categories=categories_of(scorer, season),
            answered=len(said),
            approved=approved_count.get(assessment_id, 0),
            stages=totals_of(season),
            award=awards.get(assessment_id),
        )
    return result


def without_awards(rows: list[RegionRow]) -> list[RegionRow]:
    """The rows without their fixed awards: for whoever may not see them before the list is published
    (`pipeline.sees_fixed_awards`). New rows: the scores are kept per revision for every viewer."""
    return [replace(r, scores=replace(r.scores, award=None)) if r.scores is not None and r.scores.award is not None
            else r for r in rows]


def scores_shown(row: RegionRow) -> bool:
    """A kab/kota's scores are its own until its DP3A submits them; only then may others see them."""
    return row.scores is not None and row.scores.stage != Stage.SELF


def verified_categories(rows: list[RegionRow]) -> dict[str, str | None]:
    """Each kab/kota's category (None while unsubmitted or no review stage is complete): Provila's input.

    The award's category once fixed, else the latest complete review stage's (`RegionScores.category`)."""
    return {r.regency.code: (r.scores.category if r.scores is not None and scores_shown(r) else None) for r in rows}


def provila_categories(session: Session, rows: list[RegionRow], year: int) -> dict[str, str | None]:
    """Provila's input for `year`. Once the year's award list is published, the awards alone: a
    kab/kota that stopped before the award holds its province back. Before, a forecast: each
    kab/kota's award or the category of its latest complete stage (`verified_categories`)."""
    published = year in season_years(session.get_bind()).published
    return final_categories(rows) if published else verified_categories(rows)


def final_categories(rows: list[RegionRow]) -> dict[str, str | None]:
    """Each kab/kota's fixed award category (None without an award row, or fixed at no award)."""
    return {r.regency.code: ((r.scores.award or None) if r.scores is not None else None) for r in rows}


def _counted(row: RegionRow, stage: Stage) -> StageTotal | None:
    """The region's total at `stage` if it counts there: reached, and (past the self-assessment) submitted."""
    if row.scores is None or (stage != Stage.SELF and row.scores.stage == Stage.SELF):
        return None
    return row.scores.stages.get(stage)


def category_counts(rows: list[RegionRow], catalogue: Catalogue, stage: Stage) -> dict[str, int]:
    """How many kab/kota stand in each category at `stage`, counting only those whose `stage` is complete
    (a half-verified kab/kota has no category there: see `being_verified`)."""
    counts = dict.fromkeys((b.code for b in catalogue.bands), 0)
    for row in rows:
        total = _counted(row, stage)
        if total is not None and total.complete and row.scores is not None:
            counts[row.scores.categories[stage]] += 1
    return counts


def being_verified(rows: list[RegionRow], stage: Stage) -> int:
    """How many submitted kab/kota have reached `stage` without it having decided every answer yet."""
    return sum(1 for row in rows if (total := _counted(row, stage)) is not None and not total.complete)


def clear_cache() -> None:
    _scores.clear()


def warm_up(engine: Engine, scorer: Scorer) -> int:
    """Score every assessment of every cycle into this worker's cache; returns how many.

    Run once when a worker starts (the lifespan in app.factory), before it reports ready: otherwise the first
    national view after a start reads and scores all 514 kab/kota while its user waits."""
    with Session(engine) as session:
        years = session.exec(select(Cycle.year).where(col(Cycle.id).in_(select(Assessment.cycle_id)))).all()
        return sum(sum(1 for row in region_rows(session, scorer, year) if row.scores is not None)
                   for year in sorted(set(years)))
