"""The province handing a kab/kota on to the ministry, and the ministry sending it back.

Both go through `season.move` (one change, on the season's timeline and in the audit chain); the
conditions live here: the province hands on only once it has decided every answered question,
the ministry sends back only with a reason. `season_moves` gives the panel on the review queue its
flags (templates/season/_moves.html spells no rule).

Nothing here commits: the route commits its one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app import access
from app.i18n import gettext as _
from app.models import Assessment, Regency, StageChange, User
from app.refusals import Refusal
from app.services import season
from app.services.review.decisions import check_not_frozen
from app.services.review.state import ReviewState, queue
from indicators import Catalogue
from scoring import Move, ReviewStatus, Stage


class MoveError(Refusal):
    """A hand-on or send-back refused; `code` names the rule."""


def province_waiting(state: ReviewState, catalogue: Catalogue) -> int:
    """Answered questions the province has not decided yet: no decision, or re-submitted since a
    return, or changed since an approval (the queue's "to review")."""
    return len(queue(state, catalogue, Stage.PROVINCE, status=ReviewStatus.WAITING))


def latest_send_back(session: Session, assessment: Assessment) -> StageChange | None:
    """The ministry's send-back the assessment stands under now (None once handed on again)."""
    if assessment.stage != Stage.PROVINCE:
        return None
    change = session.exec(select(StageChange).where(StageChange.assessment_id == assessment.id)
                          .order_by(col(StageChange.id).desc()).limit(1)).first()
    return change if change is not None and change.move == Move.SEND_BACK else None


@dataclass(frozen=True)
class SeasonMoves:
    """What the stage panel shows a user about one assessment."""

    stage: Stage
    may_hand_on: bool  # the province, now: the button (refused with a count while answers wait)
    waiting: int  # answered questions the province has not decided yet
    may_send_back: bool  # the ministry (or the province's reviewer), now
    sent_back: StageChange | None  # the ministry's send-back, with its reason, while it stands

    @property
    def any(self) -> bool:
        return self.may_hand_on or self.may_send_back or self.sent_back is not None


def season_moves(session: Session, assessment: Assessment, regency: Regency, user: User,
                 state: ReviewState, catalogue: Catalogue) -> SeasonMoves:
    stage = Stage(assessment.stage)
    hand_on = stage == Stage.PROVINCE and access.may_hand_on(user, regency.province_code)
    return SeasonMoves(
        stage=stage,
        may_hand_on=hand_on,
        waiting=province_waiting(state, catalogue) if stage == Stage.PROVINCE else 0,
        may_send_back=stage == Stage.MINISTRY and access.may_send_back(user, regency.province_code),
        sent_back=latest_send_back(session, assessment),
    )


def hand_on(session: Session, assessment: Assessment, user: User, state: ReviewState,
            catalogue: Catalogue) -> StageChange | None:
    """The province passes the assessment to the ministry. None: it is there already (a second
    click: nothing changes). Refused while an answered question waits for the province's decision."""
    check_not_frozen(session, assessment)
    if assessment.stage != Stage.PROVINCE:
        if assessment.stage in (Stage.MINISTRY, Stage.FIELD, Stage.FINAL, Stage.AWARDED):
            return None
        raise MoveError(_("The assessment is not with the province: there is nothing to hand on."),
                        code="not_at_province")
    waiting = province_waiting(state, catalogue)
    if waiting:
        raise MoveError(_("Answered questions still waiting for the province's decision: %(n)s. Decide them "
                          "before handing the assessment on to the ministry.") % {"n": waiting}, code="undecided")
    return _move(session, assessment, Move.HAND_ON, user)


def send_back(session: Session, assessment: Assessment, user: User, note: str) -> StageChange | None:
    """The ministry returns the assessment to its province, saying why (`note`, required): the
    province's decisions open again. None: it is with the province already (nothing changes)."""
    check_not_frozen(session, assessment)
    if assessment.stage == Stage.PROVINCE:
        return None
    if assessment.stage != Stage.MINISTRY:
        raise MoveError(_("Only an assessment at the ministry's review can be sent back to the province."),
                        code="not_at_ministry")
    note = note.strip()
    if not note:
        raise MoveError(_("Write why the assessment goes back: the province reads it on its review desk."),
                        code="note_required")
    return _move(session, assessment, Move.SEND_BACK, user, note)


def _move(session: Session, assessment: Assessment, what: Move, user: User, note: str = "") -> StageChange:
    return season.move(session, assessment, what, user, note=note)  # `StageMoved` when another request moved it
