"""What it takes to reach the next category, and which points are not yet safe."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from indicators import Band
from scoring.answers import Answer, ReviewStatus, Verdict
from scoring.categories import band_for, category_for, cent_bands, gate_failures
from scoring.engine import Scorer, ScoreSheet


@dataclass(frozen=True)
class PlanStep:
    question: str
    scored: int  # cents now
    gain: int  # cents this question can still add


@dataclass(frozen=True)
class AtRisk:
    question: str
    cents: int  # self-assessed points not (yet) confirmed at the stage
    status: ReviewStatus


@dataclass(frozen=True)
class Readiness:
    category: Band
    next_category: Band | None  # None at the top band
    points_missing: int  # cents to the next category (0 at the top)
    plan: tuple[PlanStep, ...]  # fewest questions that close the gap, largest first
    plan_gain: int
    reachable: bool  # False when even every open question cannot close the gap
    at_risk: tuple[AtRisk, ...]

    @property
    def at_risk_total(self) -> int:
        return sum(item.cents for item in self.at_risk)


def readiness(
    scorer: Scorer,
    answers: Mapping[str, Answer],
    verdicts: Mapping[str, Verdict] | None = None,
    *,
    excluded: frozenset[str] = frozenset(),
) -> Readiness:
    """Readiness on the self-assessed score, or on the verified one when `verdicts` is given.

    `excluded` names questions the plan must not propose (e.g. marked not applicable).
    """
    self_sheet = scorer.score(answers)
    at_risk: tuple[AtRisk, ...]
    if verdicts is None:
        basis, at_risk = self_sheet, ()
    else:
        basis = scorer.verified(answers, verdicts)
        at_risk = _at_risk(self_sheet, basis, verdicts)
    category = category_for(scorer, basis)
    bands = cent_bands(scorer.catalogue)
    position = next(i for i, b in enumerate(bands) if b.band.code == category.code)
    if position + 1 >= len(bands):
        return Readiness(category, None, 0, (), 0, True, at_risk)
    target = bands[position + 1]
    missing = max(0, target.entry_cents() - basis.total)
    # A total already inside the target band but held back by a gate misses only the gate.
    required = _gate_questions(scorer, basis, target.band.code)
    plan = _plan(scorer, basis, missing, required, excluded)
    gain = sum(step.gain for step in plan)
    reachable = gain >= missing
    return Readiness(category, target.band, missing, plan, gain, reachable, at_risk)


def _at_risk(
    self_sheet: ScoreSheet, verified: ScoreSheet, verdicts: Mapping[str, Verdict]
) -> tuple[AtRisk, ...]:
    items = []
    for code, cents in self_sheet.questions.items():
        unsafe = cents - verified.questions.get(code, 0)
        if unsafe > 0:
            verdict = verdicts.get(code)
            status = verdict.status if verdict else ReviewStatus.WAITING
            items.append(AtRisk(code, unsafe, status))
    items.sort(key=lambda item: -item.cents)
    return tuple(items)


def _gate_questions(scorer: Scorer, sheet: ScoreSheet, target_code: str) -> list[PlanStep]:
    """Gate questions that must be fixed to enter the target band or any band below it."""
    bands = [b.band.code for b in cent_bands(scorer.catalogue)]
    limit = bands.index(target_code)
    steps = []
    for failure in gate_failures(scorer, sheet):
        if bands.index(failure.category) <= limit:
            compiled = scorer.questions[failure.question]
            steps.append(
                PlanStep(failure.question, failure.scored_cents, compiled.max_cents - failure.scored_cents)
            )
    return steps


def _plan(
    scorer: Scorer,
    sheet: ScoreSheet,
    missing: int,
    required: list[PlanStep],
    excluded: frozenset[str],
) -> tuple[PlanStep, ...]:
    """Greedy by points at stake: with no capped indicator this is the fewest questions.

    Capped indicators (19 and 21B in 2024) can only gain their headroom, so a
    question's gain is limited by what its indicator has left.
    """
    headroom = scorer.headroom(sheet)
    chosen: list[PlanStep] = []
    taken: set[str] = set()
    gained = 0

    def take(code: str, scored: int, stake: int) -> None:
        nonlocal gained
        indicator = scorer.indicator_codes[scorer.questions[code].indicator]
        gain = min(stake, headroom[indicator])
        if gain <= 0:
            return
        headroom[indicator] -= gain
        chosen.append(PlanStep(code, scored, gain))
        taken.add(code)
        gained += gain

    for step in required:
        take(step.question, step.scored, step.gain)

    def indicator_of(code: str) -> str:
        return scorer.indicator_codes[scorer.questions[code].indicator]

    # Lazy greedy: a candidate's gain can only shrink as its indicator fills up,
    # so re-check it when it comes out of the heap and push it back if it shrank.
    heap = []
    for code, compiled in scorer.questions.items():
        if code in taken or code in excluded:
            continue
        scored = sheet.questions.get(code, 0)
        gain = min(compiled.max_cents - scored, headroom[indicator_of(code)])
        if gain > 0:
            heap.append((-gain, compiled.index, code, scored))
    heapq.heapify(heap)
    while heap and gained < missing:
        negative_gain, index, code, scored = heapq.heappop(heap)
        gain = min(-negative_gain, headroom[indicator_of(code)])
        if gain <= 0:
            continue
        if gain < -negative_gain:
            heapq.heappush(heap, (-gain, index, code, scored))
            continue
        take(code, scored, gain)
    return tuple(chosen)


def band_of_total(scorer: Scorer, total_cents: int) -> Band:
    return band_for(cent_bands(scorer.catalogue), total_cents).band
