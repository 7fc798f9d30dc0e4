"""The DP3A handing its assessment to the province (the checks, then the one-time hand-over), and
the scores each stage stands behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.i18n import gettext as _
from app.models import Answer, AnswerStatus, Assessment, ReviewAction, ReviewEvent, Role, User
from app.services import season
from app.services.answers import is_answered, lacks_reason, scored_answers
from app.services.document_flags import AssessmentFlags
from app.services.review.decisions import ReviewError
from app.services.review.state import ReviewState
from indicators import Catalogue
from scoring import Move, Scorer, ScoreSheet, Stage


@dataclass
class SubmissionCheck:
    unanswered: list[str]
    na_without_reason: list[str]
    without_evidence: list[str]  # a warning only
    not_reviewed: list[str]  # submitted but not yet decided by the DP3A: a warning only
    # A file dated outside the period asked for, no longer in force or needing a newer version ("bukan
    # tahun berjalan"), or required evidence without a title or year: a warning only (old files have no
    # titles; the province returns such files). `app.services.document_flags`.
    flagged: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.unanswered and not self.na_without_reason


def check_submission(state: ReviewState, catalogue: Catalogue, flags: AssessmentFlags | None = None) -> SubmissionCheck:
    unanswered: list[str] = []
    na_without_reason: list[str] = []
    without_evidence: list[str] = []
    not_reviewed: list[str] = []
    for code in catalogue.questions:
        answer = state.answers.get(code)
        if not is_answered(answer):
            unanswered.append(code)
            continue
        if lacks_reason(answer):
            na_without_reason.append(code)
        if not answer.not_applicable and not state.current_files(answer.id):
            without_evidence.append(code)
        if answer.status == AnswerStatus.SUBMITTED:
            not_reviewed.append(code)
    flagged = [code for code in catalogue.questions if code in state.answers and flags is not None
               and flags.of_answer(state.answers[code].id)]
    return SubmissionCheck(unanswered, na_without_reason, without_evidence, not_reviewed, flagged)


def submit_assessment(session: Session, assessment: Assessment, check: SubmissionCheck, user: User) -> None:
    """Hand the assessment to the province (`season.move`: once, on the season's timeline and in the
    audit chain); a `ReviewError` coded "already_submitted" if it has been already."""
    if assessment.stage != Stage.SELF:
        raise _already_submitted()
    if not check.ready:
        raise ReviewError(_("The assessment cannot be submitted yet: see the list below."), code="not_ready")
    try:
        season.move(session, assessment, Move.SUBMIT, user)
    except season.StageMoved:
        raise _already_submitted() from None  # by a request a moment earlier


_FIELD_SEASON = (Stage.MINISTRY, Stage.FIELD, Stage.FINAL, Stage.AWARDED)


@dataclass(frozen=True)
class KabKotaMenu:
    """What the kab/kota menu (templates/review/_nav.html, on every page of the kab/kota) offers a user."""

    dp3a: bool  # the kab/kota's DP3A: its questions, carrying answers over, agencies and accounts
    before_hand_over: bool  # the DP3A, before it hands the assessment over: importing answers, the hand-over
    recommendations: bool = False  # the recommendations of the kab/kota: its DP3A and its reviewers (not agencies)
    final: bool = False  # the ministry's national team, from final verification on: final figures and the award
    field: bool = False  # field verification's page (app.services.field.rights decides what it shows)


def kab_kota_menu(assessment: Assessment, user: User) -> KabKotaMenu:
    """The menu's flags (a Jinja global): the template spells no role or stage."""
    dp3a = user.role == Role.DP3A
    return KabKotaMenu(dp3a=dp3a, before_hand_over=dp3a and assessment.stage == Stage.SELF,
                       recommendations=user.role != Role.OPD,
                       final=user.role == Role.ADMIN and assessment.stage in (Stage.FINAL, Stage.AWARDED),
                       field=user.role != Role.OPD and assessment.stage in _FIELD_SEASON)


def _already_submitted() -> ReviewError:
    return ReviewError(_("The assessment has already been submitted to the province."), code="already_submitted")


@dataclass
class StageScores:
    self_assessed: ScoreSheet
    by_stage: dict[Stage, ScoreSheet]


def stage_scores(scorer: Scorer, state: ReviewState) -> StageScores:
    answers = scored_answers(state.answers)
    return StageScores(
        self_assessed=scorer.score(answers),
        by_stage={stage: scorer.verified(answers, state.verdicts(stage)) for stage in (Stage.DP3A, Stage.PROVINCE)},
    )


def new_submissions_since(session: Session, assessment: Assessment, since: datetime | None) -> int:
    query = (
        select(func.count(col(ReviewEvent.id)))
        .join(Answer, col(Answer.id) == col(ReviewEvent.answer_id))
        .where(col(Answer.assessment_id) == assessment.id, col(ReviewEvent.action) == ReviewAction.SUBMITTED)
    )
    if since is not None:
        query = query.where(col(ReviewEvent.at) > since)
    return session.exec(query).one()
