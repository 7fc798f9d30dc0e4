"""Scores of many kab/kota at once: the province table, the national view and the API.

Scoring a region is quick; reading 274 answers and their decisions for each
of 514 regions is not. So each worker keeps the last scores it computed per
assessment with a fingerprint of what they depend on (answers and review
events), fetched for all assessments in two aggregate queries; only regions
whose fingerprint moved are read and scored again.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Answer, AnswerStatus, Assessment, Cycle, Province, Regency, ReviewEvent
from indicators import Catalogue
from scoring import Answer as ScoredAnswer
from scoring import ReviewStatus, Scorer, Verdict, category_for

STAGES = ("self", "dp3a", "province")


@dataclass(frozen=True)
class RegionScores:
    """One kab/kota in one cycle: totals and parts per stage (cents), categories, progress."""

    regency_code: str
    stage: str
    submitted_at: datetime | None
    window_closes_at: datetime | None
    totals: dict[str, int]
    parts: dict[str, dict[str, int]]
    categories: dict[str, str]
    answered: int
    approved: int

    @property
    def drop(self) -> int:
        """Points lost between the self-assessment and the province's verification."""
        return self.totals["self"] - self.totals["province"]


@dataclass(frozen=True)
class RegionRow:
    regency: Regency
    province: Province
    assessment: Assessment | None
    scores: RegionScores | None


_cache: dict[tuple[int, int], tuple[tuple, RegionScores]] = {}
_lock = threading.Lock()


def region_rows(
    session: Session, scorer: Scorer, year: int, province_code: str | None = None, *, ttl: float = 0.0
) -> list[RegionRow]:
    """Every kab/kota (of one province, or of the nation) with its scores for `year`."""
    query = (
        select(Regency, Province, Assessment)
        .join(Province, Province.code == Regency.province_code)
        .outerjoin(Cycle, Cycle.year == year)
        .outerjoin(Assessment, (Assessment.regency_code == Regency.code) & (Assessment.cycle_id == Cycle.id))
        .order_by(Regency.code)
    )
    if province_code is not None:
        query = query.where(Regency.province_code == province_code)
    rows = session.exec(query).all()
    assessments = [a for _, _, a in rows if a is not None]
    scores = scores_of(session, scorer, assessments, ttl=ttl)
    return [RegionRow(r, p, a, scores.get(a.id) if a else None) for r, p, a in rows]


def scores_of(
    session: Session, scorer: Scorer, assessments: list[Assessment], *, ttl: float = 0.0
) -> dict[int, RegionScores]:
    """Scores per assessment id; `ttl` lets the fingerprints be reused for that many seconds."""
    if not assessments:
        return {}
    ids = [a.id for a in assessments]
    prints = _fingerprints(session, ids, ttl)
    result: dict[int, RegionScores] = {}
    stale = []
    engine_key = id(session.get_bind())
    with _lock:
        for assessment in assessments:
            key = (prints.get(assessment.id), assessment.stage, assessment.submitted_at, assessment.window_closes_at,
                   id(scorer.catalogue))
            cached = _cache.get((engine_key, assessment.id))
            if cached and cached[0] == key:
                result[assessment.id] = cached[1]
            else:
                stale.append((assessment, key))
    if stale:
        computed = _compute(session, scorer, [a for a, _ in stale])
        with _lock:
            for assessment, key in stale:
                result[assessment.id] = computed[assessment.id]
                _cache[(engine_key, assessment.id)] = (key, computed[assessment.id])
    return result


_prints_cache: dict[tuple, tuple[float, dict[int, tuple]]] = {}


def _fingerprints(session: Session, ids: list[int], ttl: float) -> dict[int, tuple]:
    """What each assessment's scores depend on; reused for `ttl` seconds, because the two aggregates
    over every answer of the nation cost more than the page itself."""
    key = (id(session.get_bind()), hash(tuple(ids)))
    now = time.monotonic()
    if ttl > 0:
        with _lock:
            cached = _prints_cache.get(key)
        if cached and now - cached[0] < ttl:
            return cached[1]
    prints = _read_fingerprints(session, ids)
    with _lock:
        if len(_prints_cache) > 64:
            _prints_cache.clear()
        _prints_cache[key] = (now, prints)
    return prints


def _read_fingerprints(session: Session, ids: list[int]) -> dict[int, tuple]:
    answers = session.exec(
        select(Answer.assessment_id, func.count(Answer.id), func.max(Answer.updated_at), func.sum(Answer.version))
        .where(Answer.assessment_id.in_(ids)).group_by(Answer.assessment_id)
    ).all()
    events = dict(session.exec(
        select(Answer.assessment_id, func.max(ReviewEvent.id))
        .join(Answer, Answer.id == ReviewEvent.answer_id)
        .where(Answer.assessment_id.in_(ids)).group_by(Answer.assessment_id)
    ).all())
    return {aid: (count, str(latest), int(versions or 0), events.get(aid)) for aid, count, latest, versions in answers}


def _compute(session: Session, scorer: Scorer, assessments: list[Assessment]) -> dict[int, RegionScores]:
    ids = [a.id for a in assessments]
    answers: dict[int, dict[str, ScoredAnswer]] = defaultdict(dict)
    by_answer: dict[int, tuple[int, str]] = {}
    approved_count: dict[int, int] = defaultdict(int)
    for answer_id, assessment_id, code, option, value, not_applicable, status in session.exec(
        select(Answer.id, Answer.assessment_id, Answer.question_code, Answer.option, Answer.value,
               Answer.not_applicable, Answer.status).where(Answer.assessment_id.in_(ids))
    ):
        given = _given(option, value, not_applicable)
        if given is None:
            continue
        answers[assessment_id][code] = given
        by_answer[answer_id] = (assessment_id, code)
        if status == AnswerStatus.APPROVED:
            approved_count[assessment_id] += 1
    verdicts: dict[int, dict[str, dict[str, Verdict]]] = defaultdict(lambda: defaultdict(dict))
    for answer_id, stage, action, score in session.exec(
        select(ReviewEvent.answer_id, ReviewEvent.stage, ReviewEvent.action, ReviewEvent.score)
        .join(Answer, Answer.id == ReviewEvent.answer_id)
        .where(Answer.assessment_id.in_(ids), ReviewEvent.action.in_(("approved", "returned")))
        .order_by(ReviewEvent.id)
    ):
        if answer_id in by_answer:
            assessment_id, code = by_answer[answer_id]
            verdicts[assessment_id][stage][code] = Verdict(ReviewStatus(action), score)
    result = {}
    for assessment in assessments:
        given = answers.get(assessment.id, {})
        sheets = {"self": scorer.score(given)}
        for stage in ("dp3a", "province"):
            sheets[stage] = scorer.verified(given, verdicts[assessment.id].get(stage, {}))
        result[assessment.id] = RegionScores(
            regency_code=assessment.regency_code,
            stage=assessment.stage,
            submitted_at=assessment.submitted_at,
            window_closes_at=assessment.window_closes_at,
            totals={s: sheet.total for s, sheet in sheets.items()},
            parts={s: dict(sheet.parts) for s, sheet in sheets.items()},
            categories={s: category_for(scorer, sheet).code for s, sheet in sheets.items()},
            answered=len(given),
            approved=approved_count.get(assessment.id, 0),
        )
    return result


def _given(option, value, not_applicable) -> ScoredAnswer | None:
    if not_applicable:
        return ScoredAnswer(not_applicable=True)
    if option is not None:
        return ScoredAnswer(option=option)
    if value is not None:
        return ScoredAnswer(value=Decimal(value))
    return None


def category_counts(rows: list[RegionRow], catalogue: Catalogue, stage: str) -> dict[str, int]:
    """How many kab/kota stand in each category at `stage`; verified stages count submitted ones only."""
    counts = dict.fromkeys((b.code for b in catalogue.bands), 0)
    for row in rows:
        if row.scores is None or (stage != "self" and row.scores.stage == "self"):
            continue
        counts[row.scores.categories[stage]] += 1
    return counts


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _prints_cache.clear()
