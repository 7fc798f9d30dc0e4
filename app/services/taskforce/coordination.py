"""The cluster coordinators' review: with the task force's switch on (`TaskForce.coordinator_review`),
the coordinator of a part reviews the submitted answers of that part before the DP3A, at stage CLUSTER,
with the DP3A's decisions, reasons, notes and history (`review.decide`), never a score.

The rules, in one place:
- who reviews what (`reviews`): a coordinator, the answers of their parts, never a sensitive question
  (a coordinator is an agency's account, and agencies never see the files of a sensitive question:
  those go straight to the DP3A);
- when (`cluster_open`): while the kab/kota answers (stage SELF) and the switch is on;
- four eyes (`own_work`): a coordinator never decides an answer they last saved or submitted themselves, or
  whose files they changed last (review s31)
  (their agency's other answers they do decide: it supplies most of its cluster); such an answer needs
  another reviewer, the DP3A, and is not held at the coordinators;
- who can act (`acting_coordinators`): a coordinator whose account and agency are active, still an
  agency account of the kab/kota; a part whose coordinator cannot act has no coordinator step;
- what waits at the coordinators rather than the DP3A (`held_at_coordinators`): the DP3A's default
  queue holds what they passed, and everything no coordinator can decide now (the step closed, the
  coordinator unable to act, their own work). The DP3A may still decide any answer, and its decision on
  an answer as last submitted ends the coordinators' step for it (`decided_by_dp3a`): a coordinator
  reviews before the DP3A, never over it (a return after the DP3A's approval would send the agency
  contrary words)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.cache import RevisionCache
from app.clock import as_aware
from app.i18n import gettext as _
from app.models import Agency, Answer, Assessment, ReviewEvent, Role, User
from app.models.taskforce import ClusterCoordinator, TaskForce
from app.refusals import Conflict, NotAllowed
from app.services.review.state import DECISIONS, QueueItem, ReviewState, load_state, queue
from app.services.taskforce.team import coordinated_parts
from indicators import Catalogue
from scoring import ReviewStatus, Stage


def review_on(session: Session, assessment: Assessment) -> bool:
    """The task force's switch: coordinators review before the DP3A."""
    return bool(session.exec(select(TaskForce.coordinator_review).where(
        TaskForce.assessment_id == assessment.id)).first())


def cluster_open(session: Session, assessment: Assessment) -> bool:
    """Coordinators decide while the kab/kota answers and the switch is on (`review.stage_open`)."""
    return Stage(assessment.stage) == Stage.SELF and review_on(session, assessment)


def skips_coordinator(catalogue: Catalogue, code: str) -> bool:
    """A sensitive question (or one the instrument no longer knows) goes straight to the DP3A."""
    ref = catalogue.questions.get(code)
    return ref is None or ref.question.sensitive


def reviews(catalogue: Catalogue, parts: set[str], code: str) -> bool:
    """Whether the coordinator of `parts` reviews question `code`."""
    ref = catalogue.questions.get(code)
    return ref is not None and ref.part.code in parts and not skips_coordinator(catalogue, code)


def decided_by_dp3a(state: ReviewState) -> set[str]:
    """The questions whose answer, as last submitted, the DP3A has approved or returned: past the coordinators."""
    return {code for code, verdict in state.verdicts(Stage.DP3A).items() if verdict.status != ReviewStatus.WAITING}


def coordinator_queue(state: ReviewState, catalogue: Catalogue, parts: set[str], status: str = "waiting"
                      ) -> list[QueueItem]:
    """A coordinator's queue: the review queue at stage CLUSTER, limited to the answers they review; what
    the DP3A has decided already is no longer waiting for them."""
    past = decided_by_dp3a(state) if status == "waiting" else set()
    return [item for item in queue(state, catalogue, Stage.CLUSTER, status=status)
            if reviews(catalogue, parts, item.code) and item.code not in past]


def acting_coordinators(session: Session, assessment: Assessment) -> dict[str, int]:
    """Part code -> the coordinator who can decide its answers now: an active agency account of the
    kab/kota whose agency is active. A part left out (no coordinator, or one deactivated, moved, or of a
    closed agency) has no coordinator step: its answers go to the DP3A."""
    rows = session.exec(select(ClusterCoordinator.part_code, ClusterCoordinator.user_id)
                        .join(User, col(User.id) == col(ClusterCoordinator.user_id))
                        .join(Agency, col(Agency.id) == col(User.agency_id))
                        .where(ClusterCoordinator.assessment_id == assessment.id, col(User.active),
                               User.role == Role.OPD, User.regency_code == assessment.regency_code,
                               col(Agency.active)))
    return dict(rows.all())


def own_work(state: ReviewState, answer: Answer | Row, user_id: int | None) -> bool:
    """Four eyes: whether `user_id` last saved the answer, made the latest change to its files (a file
    added or removed: review s31, the files are its substance) or last submitted it (then it is their
    own work, and another reviewer decides it)."""
    if user_id is None:
        return False
    if answer.updated_by == user_id or _files_last_changed_by(state, answer) == user_id:
        return True
    submission = state.last_submission(answer.id) if answer.id is not None else None
    return submission is not None and submission.user_id == user_id


def _files_last_changed_by(state: ReviewState, answer: Answer | Row) -> int | None:
    """Who made the latest change to the answer's files (a file added, a file removed); None: no file."""
    latest, by = None, None
    for evidence in state.evidence.get(answer.id, []) if answer.id is not None else []:
        for at, who in ((evidence.uploaded_at, evidence.uploaded_by), (evidence.removed_at, evidence.removed_by)):
            if at is not None and (latest is None or as_aware(at) > latest):
                latest, by = as_aware(at), who
    return by


def own_work_codes(state: ReviewState, user: User, codes: list[str]) -> set[str]:
    """Of `codes`, the answers `user` may not decide as coordinator (`own_work`): their queue says
    these go to the DP3A."""
    return {code for code in codes if code in state.answers and own_work(state, state.answers[code], user.id)}


def held_at_coordinators(session: Session, state: ReviewState, catalogue: Catalogue, assessment: Assessment
                         ) -> set[str] | None:
    """The questions whose answers wait at a coordinator, not (yet) at the DP3A: of a part whose
    coordinator can act (`acting_coordinators`), not sensitive, not the coordinator's own work
    (`own_work`), and without a standing CLUSTER approval (none yet, a return, or an approval the
    answer changed after). None: the coordinators' step is closed (the switch off, or the
    self-assessment handed on): the DP3A's queue is as it always was."""
    if not cluster_open(session, assessment):
        return None
    acting = acting_coordinators(session, assessment)
    verdicts = state.verdicts(Stage.CLUSTER)
    past = decided_by_dp3a(state)
    held = set()
    for code, answer in state.answers.items():
        ref = catalogue.questions.get(code)
        if ref is None or skips_coordinator(catalogue, code) or code in past:
            continue
        coordinator = acting.get(ref.part.code)
        if coordinator is None or own_work(state, answer, coordinator):
            continue
        verdict = verdicts.get(code)
        if verdict is None or verdict.status != ReviewStatus.APPROVED:
            held.add(code)
    return held


def check_coordinator(session: Session, catalogue: Catalogue, assessment: Assessment, user: User,
                      answer: Answer) -> None:
    """Refuse a CLUSTER decision by anyone but the coordinator of the answer's part who can act now,
    on a sensitive question, on the coordinator's own work (four eyes), or after the DP3A's decision.
    `review.decide` checks the rest (switch, stage, submitted, reasons, note)."""
    acting = {part for part, user_id in acting_coordinators(session, assessment).items() if user_id == user.id}
    if not reviews(catalogue, acting & coordinated_parts(session, assessment, user), answer.question_code):
        raise NotAllowed(_("Only the coordinator of this cluster reviews this answer here."),
                         code="not_coordinator", status=403)
    state = load_state(session, assessment)
    if own_work(state, answer, user.id):
        raise NotAllowed(_("You saved or submitted this answer yourself: another reviewer decides it. It goes to "
                           "the DP3A's queue."), code="own_work")  # 409: the desk is theirs, not this answer
    if answer.question_code in decided_by_dp3a(state):
        raise Conflict(_("The DP3A has already decided on this answer as it was submitted: the coordinator's "
                         "check comes before the DP3A's, not after it."), code="dp3a_decided")


_marks = RevisionCache(size=64)


def coordinator_marks(session: Session, assessment: Assessment) -> dict[str, str]:
    """Question code -> "approved"/"returned": the answers whose status is a cluster coordinator's
    decision (their latest decision is at CLUSTER), so that the agency's list and card say whose it is
    and never read it as the DP3A's (issue 24). Cached per assessment revision: the list reads it."""
    def read() -> dict[str, str]:
        later = aliased(ReviewEvent)
        newer = select(later.id).where(later.answer_id == ReviewEvent.answer_id, col(later.id) > col(ReviewEvent.id),
                                       col(later.action).in_(DECISIONS))
        rows = session.exec(select(Answer.question_code, Answer.status, ReviewEvent.action)
                            .join(ReviewEvent, col(ReviewEvent.answer_id) == col(Answer.id))
                            .where(Answer.assessment_id == assessment.id, ReviewEvent.stage == Stage.CLUSTER,
                                   col(ReviewEvent.action).in_(DECISIONS), ~newer.exists()))
        return {code: str(action) for code, status, action in rows if status == action}
    return dict(_marks.get(session.get_bind(), (assessment.id, assessment.revision), read))


@dataclass(frozen=True)
class Desk:
    """What waits at a coordinator's desk, for the pointer on their workspace."""

    parts: list[str]  # the short names of the parts they coordinate ("Klaster III"), in the instrument's order
    waiting: int  # answers they can decide now (their own work excluded: it goes to the DP3A)


def desk(session: Session, catalogue: Catalogue, assessment: Assessment, user: User) -> Desk | None:
    """The user's desk while the coordinators' step is open, or None (not a coordinator, or closed):
    a coordinator's home is the workspace, and the desk is otherwise two clicks away."""
    parts = coordinated_parts(session, assessment, user)
    if not parts or not cluster_open(session, assessment):
        return None
    state = load_state(session, assessment, user)
    items = coordinator_queue(state, catalogue, parts)
    waiting = len(items) - len(own_work_codes(state, user, [item.code for item in items]))
    return Desk([p.short_name for p in catalogue.data.parts if p.code in parts], waiting)
