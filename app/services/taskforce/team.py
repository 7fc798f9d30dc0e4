"""The task force of a kab/kota in a cycle: its SK (a library document), chair, secretariat, a cluster
coordinator per part of the instrument (an active OPD account of the kab/kota) and the switch that
puts the coordinators' review before the DP3A's.

Only the kab/kota's DP3A changes it (`access.may_administer`); its agencies read it. A published year
is read-only: the switch changes who reviews answers, and the answers of that year are frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app import access
from app.i18n import gettext as _
from app.models import Agency, Assessment, Cycle, Document, Role, User, saved_id, utcnow
from app.models.taskforce import ClusterCoordinator, TaskForce
from app.refusals import NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit
from indicators import Catalogue

MAX_CHAIR_NAME = 160  # TaskForce.chair_name


@dataclass
class Team:
    """What the page shows of the task force; `force` is None until the DP3A first saves it."""

    force: TaskForce | None
    coordinators: dict[str, int] = field(default_factory=dict)  # part code -> user id

    @property
    def coordinator_review(self) -> bool:
        return self.force is not None and self.force.coordinator_review

    def values(self) -> dict[str, Any]:
        """The saved choices, as the form and the audit log carry them."""
        force = self.force
        return {"sk_document_id": force.sk_document_id if force else None,
                "chair_agency_id": force.chair_agency_id if force else None,
                "chair_name": force.chair_name if force else "",
                "secretariat_agency_id": force.secretariat_agency_id if force else None,
                "coordinator_review": bool(force and force.coordinator_review),
                "coordinators": dict(sorted(self.coordinators.items()))}


def load_team(session: Session, assessment: Assessment) -> Team:
    force = session.exec(select(TaskForce).where(TaskForce.assessment_id == assessment.id)).first()
    rows = session.exec(select(ClusterCoordinator).where(ClusterCoordinator.assessment_id == assessment.id))
    return Team(force, {row.part_code: row.user_id for row in rows})


def coordinated_parts(session: Session, assessment: Assessment, user: User) -> set[str]:
    """The parts `user` coordinates in this assessment's task force (an agency's account only)."""
    if user.role != Role.OPD:
        return set()
    return set(session.exec(select(ClusterCoordinator.part_code).where(
        ClusterCoordinator.assessment_id == assessment.id, ClusterCoordinator.user_id == user.id)))


def agencies(session: Session, regency_code: str) -> list[Agency]:
    """The kab/kota's active agencies: who may chair or run the secretariat."""
    return list(session.exec(select(Agency).where(Agency.regency_code == regency_code, col(Agency.active))
                             .order_by(col(Agency.short_name))))


def candidates(session: Session, regency_code: str) -> list[User]:
    """The kab/kota's active agency accounts (of active agencies): who may coordinate a part."""
    return list(session.exec(select(User).join(Agency, col(Agency.id) == col(User.agency_id)).where(
        User.regency_code == regency_code, User.role == Role.OPD, col(User.active), col(Agency.active))
        .order_by(col(User.full_name))))


def documents(session: Session, assessment: Assessment) -> list[Document]:
    """The library's documents of the cycle, the SK's candidates (newest first)."""
    return list(session.exec(select(Document).where(Document.assessment_id == assessment.id,
                                                    col(Document.removed_at).is_(None))
                             .order_by(col(Document.id).desc())))


def save_team(session: Session, assessment: Assessment, catalogue: Catalogue, user: User, values: dict[str, Any]
              ) -> bool:
    """Save the task force as the DP3A chose (`values`: as `Team.values` gives them). Says whether
    anything changed: the same form twice writes nothing the second time. Every choice is checked
    against the kab/kota: another region's document, agency or account is refused."""
    regency = assessment.regency_code
    if not access.may_administer(user, regency):
        raise NotAllowed(_("Only the DP3A of the kab/kota changes its Gugus Tugas."), code="not_dp3a", status=403)
    cycle = session.get(Cycle, assessment.cycle_id)
    if cycle is not None:
        answer_service.check_not_frozen(cycle)
    team = load_team(session, assessment)
    wanted = _checked(session, assessment, catalogue, values, team.coordinators)
    before = team.values()
    if wanted == before:
        return False
    force = team.force or TaskForce(assessment_id=saved_id(assessment.id))
    for key in ("sk_document_id", "chair_agency_id", "chair_name", "secretariat_agency_id", "coordinator_review"):
        setattr(force, key, wanted[key])
    force.updated_by, force.updated_at = user.id, utcnow()
    session.add(force)
    _save_coordinators(session, assessment, user, team.coordinators, wanted["coordinators"])
    audit.record(session, user, "taskforce.save", "taskforce", assessment.id, regency_code=regency,
                 before=before, after=wanted)
    return True


def _checked(session: Session, assessment: Assessment, catalogue: Catalogue, values: dict[str, Any],
             current: dict[str, int]) -> dict[str, Any]:
    """The choices checked against the kab/kota. `values["coordinators"]` names the parts to set (None:
    no coordinator); a part it does not name keeps its coordinator (a form without that field)."""
    regency = assessment.regency_code
    document_id = values.get("sk_document_id")
    if document_id is not None:
        document = session.get(Document, document_id)
        if document is None or document.assessment_id != assessment.id or document.removed_at is not None:
            raise Refusal(_("Choose the SK from the document library of this kab/kota."), code="bad_document")
    own_agencies = {a.id for a in agencies(session, regency)}
    for key in ("chair_agency_id", "secretariat_agency_id"):
        if values.get(key) is not None and values[key] not in own_agencies:
            raise Refusal(_("Choose an agency of this kab/kota."), code="bad_agency")
    chair_name = " ".join(str(values.get("chair_name") or "").split())
    if len(chair_name) > MAX_CHAIR_NAME:
        raise Refusal(_("The chair's name is too long (at most %(n)s characters).") % {"n": MAX_CHAIR_NAME},
                      code="too_long")
    accounts = {u.id for u in candidates(session, regency)}
    coordinators = dict(current)
    for part_code, user_id in (values.get("coordinators") or {}).items():
        if part_code not in catalogue.parts:
            raise Refusal(_("Unknown part of the instrument."), code="bad_part")
        if user_id is None:
            coordinators.pop(part_code, None)
            continue
        if user_id not in accounts and user_id != current.get(part_code):  # one closed since may stay
            raise Refusal(_("Choose a coordinator among the active agency accounts of this kab/kota."),
                          code="bad_coordinator")
        coordinators[part_code] = user_id
    return {"sk_document_id": document_id, "chair_agency_id": values.get("chair_agency_id"),
            "chair_name": chair_name, "secretariat_agency_id": values.get("secretariat_agency_id"),
            "coordinator_review": bool(values.get("coordinator_review")),
            "coordinators": dict(sorted(coordinators.items()))}


def _save_coordinators(session: Session, assessment: Assessment, user: User, before: dict[str, int],
                       after: dict[str, int]) -> None:
    rows = {row.part_code: row for row in session.exec(select(ClusterCoordinator).where(
        ClusterCoordinator.assessment_id == assessment.id))}
    for part_code, row in rows.items():
        if after.get(part_code) != row.user_id:
            session.delete(row)
    session.flush()  # the unique (assessment, part) row goes before its replacement comes
    for part_code, user_id in after.items():
        if before.get(part_code) != user_id:
            session.add(ClusterCoordinator(assessment_id=saved_id(assessment.id), part_code=part_code,
                                           user_id=user_id, appointed_by=saved_id(user.id)))
