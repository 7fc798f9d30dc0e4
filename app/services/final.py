"""Final verification: the national team fixes a final figure for every answered question, once
field verification has closed (the assessment stands at FINAL).

Every question starts from the field standing (FIELD's points, which inherit the ministry's where
the field team did not decide): FINAL inherits it without an event of its own
(`scoring.season.question_points`). A figure other than that standing is recorded as a FINAL
approval with the figure as its score and a written reason; it can never exceed the standing
(the final verification confirms or lowers what the field saw, it does not give points back).

Nothing here commits: the route commits its one unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from app.i18n import format_cents
from app.i18n import gettext as _
from app.models import Answer, Assessment, Cycle, User
from app.refusals import NotAllowed, Refusal
from app.services import review, season
from app.services.answers import scored_answers
from indicators import Catalogue, Indicator
from scoring import (
    REVIEW_STAGES,
    ReviewStatus,
    Scorer,
    SeasonScores,
    Stage,
    question_points,
    season_scores,
    to_cents,
)

# The stages the final page shows side by side (the self-assessed points come first).
SHOWN_STAGES = (Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD, Stage.FINAL)


@dataclass(frozen=True)
class FinalRow:
    """One answered question on the final page (points in cents; None: undecided at that stage)."""

    code: str
    answer_id: int
    self_cents: int
    points: dict[Stage, int | None]  # PROVINCE, MINISTRY, FIELD, FINAL
    own: bool  # FINAL has a decision of its own (else it inherits the field standing)
    reason: str  # that decision's note

    @property
    def standing(self) -> int | None:
        """The field standing: the default final figure, and its ceiling."""
        return self.points[Stage.FIELD]

    @property
    def ceiling(self) -> int:
        """The most the final figure may be: the field standing (the self-assessed points when the
        question has none, which happens only when earlier stages left it undecided)."""
        return self.standing if self.standing is not None else self.self_cents


@dataclass(frozen=True)
class FinalIndicator:
    indicator: Indicator
    rows: list[FinalRow]


@dataclass(frozen=True)
class FinalView:
    scores: SeasonScores
    indicators: list[FinalIndicator]
    rows: dict[str, FinalRow]
    editable: bool  # the assessment stands at FINAL and the year is not published

    @property
    def total(self) -> int:
        return self.scores.totals[Stage.FINAL].points

    @property
    def complete(self) -> bool:
        return self.scores.totals[Stage.FINAL].complete


def final_view(session: Session, scorer: Scorer, catalogue: Catalogue, assessment: Assessment,
               cycle: Cycle) -> FinalView:
    """Every answered question with its points at each stage, grouped by indicator (catalogue order)."""
    state = review.load_state(session, assessment)
    verdicts = {stage: state.verdicts(stage) for stage in REVIEW_STAGES}
    scores = season_scores(scorer, scored_answers(state.answers), verdicts)
    rows: dict[str, FinalRow] = {}
    grouped: dict[str, list[FinalRow]] = {}
    for code, ref in catalogue.questions.items():
        if code not in scores.self_assessed.questions:
            continue  # not answered
        self_cents = scores.self_assessed.questions[code]
        mine = {stage: v[code] for stage, v in verdicts.items() if code in v}
        chain = question_points(self_cents, mine)
        answer = state.answers[code]
        decision = state.last_decision(answer.id, Stage.FINAL)
        own = decision is not None and mine[Stage.FINAL].status is not ReviewStatus.WAITING
        row = FinalRow(code, answer.id, self_cents, {stage: chain[stage] for stage in SHOWN_STAGES}, own,
                       decision.note if decision is not None else "")
        rows[code] = row
        grouped.setdefault(ref.indicator.code, []).append(row)
    indicators = [FinalIndicator(catalogue.indicators[code], items) for code, items in grouped.items()]
    editable = assessment.stage == Stage.FINAL and not season.frozen(cycle)
    return FinalView(scores, indicators, rows, editable)


def check_open(assessment: Assessment, cycle: Cycle) -> None:
    """Final figures change only while the assessment stands at FINAL, before the year's publication."""
    if season.frozen(cycle):
        raise NotAllowed(_("The award list of %(year)s is published: final scores are read-only.")
                         % {"year": cycle.year}, code="frozen")
    if assessment.stage != Stage.FINAL:
        raise NotAllowed(_("Final verification starts when field verification has closed."), code="not_final")


def _above_standing(row: FinalRow) -> Refusal:
    return Refusal(_("%(code)s: the final figure can be at most %(max)s, the standing after field "
                     "verification.") % {"code": row.code, "max": format_cents(row.ceiling)}, code="above_standing")


def decide_final(session: Session, scorer: Scorer, view: FinalView, assessment: Assessment, cycle: Cycle,
                 user: User, figures: Mapping[str, Decimal], reason: str) -> int:
    """Record the final figures of some questions (an indicator's, or one); returns how many changed.

    A figure equal to what FINAL stands at now changes nothing (no event: a double click, the
    default left as it was). Checked all first: a refusal writes none of them."""
    check_open(assessment, cycle)
    changes: list[tuple[FinalRow, Decimal]] = []
    for code, figure in figures.items():
        row = view.rows.get(code)
        if row is None:
            raise Refusal(_("Question %(code)s has no answer to verify.") % {"code": code}, code="not_answered")
        if not figure.is_finite() or figure < 0:
            raise Refusal(_("%(code)s: the final figure must be a number of 0 or more.") % {"code": code},
                          code="bad_score")
        if figure.adjusted() >= 6:  # a million or more: above any standing (and 1e30 has no cents to round to)
            raise _above_standing(row)
        figure = figure.quantize(review.SCORE_STEP)
        cents = to_cents(figure)
        if cents == row.points[Stage.FINAL]:
            continue
        if cents > row.ceiling:
            raise _above_standing(row)
        if cents != row.standing and not reason:
            raise Refusal(_("%(code)s: a final figure other than the field standing (%(standing)s) needs a "
                            "written reason.") % {"code": code, "standing": format_cents(row.ceiling)},
                          code="reason_required")
        changes.append((row, figure))
    for row, figure in changes:
        answer = session.get(Answer, row.answer_id)
        if answer is None:  # removed a moment ago: answers are never deleted, so this is a bug
            raise RuntimeError(f"answer {row.answer_id} vanished")
        note = reason if to_cents(figure) != row.standing else ""
        review.decide(session, assessment, answer, Stage.FINAL, "approved", user, note=note, score=figure,
                      scorer=scorer)
    return len(changes)
