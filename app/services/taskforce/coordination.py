"""The cluster coordinators' review: with the task force's switch on (`TaskForce.coordinator_review`),
the coordinator of a part reviews the submitted answers of that part before the DP3A, at stage CLUSTER,
with the DP3A's decisions, reasons, notes and history (`review.decide`), never a score.

The rules, in one place:
- who reviews what (`reviews`): a coordinator, the answers of their parts, never a sensitive question
  (a coordinator is an agency's account, and agencies never see the files of a sensitive question:
  those go straight to the DP3A);
- when (`cluster_open`): while the kab/kota answers (stage SELF) and the switch is on;
- what waits at the coordinators rather than the DP3A (`held_at_coordinators`): the DP3A's default
  queue holds what they passed. The DP3A may still decide any answer, and its decision on an answer as
  last submitted ends the coordinators' step for it (`decided_by_dp3a`): a coordinator reviews before
  the DP3A, never over it (a return after the DP3A's approval would send the agency contrary words)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.i18n import gettext as _
from app.models import Answer, Assessment, User
from app.models.taskforce import ClusterCoordinator, TaskForce
from app.refusals import Conflict, NotAllowed
from app.services.review.state import QueueItem, ReviewState, load_state, queue
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


def held_at_coordinators(session: Session, state: ReviewState, catalogue: Catalogue, assessment: Assessment
                         ) -> set[str] | None:
    """The questions whose answers wait at a coordinator, not (yet) at the DP3A: of a part with a
    coordinator, not sensitive, and without a standing CLUSTER approval (none yet, a return, or an
    approval the answer changed after). None: the switch is off, the DP3A's queue is as it always was."""
    if not review_on(session, assessment):
        return None
    covered = set(session.exec(select(ClusterCoordinator.part_code).where(
        ClusterCoordinator.assessment_id == assessment.id)))
    verdicts = state.verdicts(Stage.CLUSTER)
    past = decided_by_dp3a(state)
    held = set()
    for code in state.answers:
        if not reviews(catalogue, covered, code) or code in past:
            continue
        verdict = verdicts.get(code)
        if verdict is None or verdict.status != ReviewStatus.APPROVED:
            held.add(code)
    return held


def check_coordinator(session: Session, catalogue: Catalogue, assessment: Assessment, user: User,
                      answer: Answer) -> None:
    """Refuse a CLUSTER decision by anyone but the coordinator of the answer's part, or on a sensitive
    question. `review.decide` checks the rest (switch, stage, submitted, reasons, note)."""
    if not reviews(catalogue, coordinated_parts(session, assessment, user), answer.question_code):
        raise NotAllowed(_("Only the coordinator of this cluster reviews this answer here."),
                         code="not_coordinator", status=403)
    if answer.question_code in decided_by_dp3a(load_state(session, assessment)):
        raise Conflict(_("The DP3A has already decided on this answer as it was submitted: the coordinator's "
                         "check comes before the DP3A's, not after it."), code="dp3a_decided")

