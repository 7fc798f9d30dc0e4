"""The ministry's side of field verification: when and how (the schedule), who (the team), and the
two stage moves (MINISTRY -> FIELD once its review has decided every answered question, a schedule
exists and the team has a member; FIELD -> FINAL). Every change is idempotent (the same request
twice changes nothing the second time) and audited in the kab/kota's chain."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.i18n import gettext as _
from app.models import (
    Assessment,
    Cycle,
    FieldMode,
    FieldSchedule,
    FieldTeamMember,
    Role,
    StageChange,
    User,
    saved_id,
)
from app.refusals import NotAllowed, Refusal
from app.services import audit, season
from app.services.field.hold import check_open, hold
from app.services.review import load_state, queue
from indicators import Catalogue
from scoring import Move, Stage

_PLANNING = (Stage.MINISTRY, Stage.FIELD)


def _planning_open(cycle: Cycle, assessment: Assessment) -> None:
    check_open(cycle, assessment, _PLANNING,
               _("The schedule and the team can be changed only during the ministry's review and field verification."))


def set_schedule(session: Session, cycle: Cycle, assessment: Assessment, user: User, *, starts_on: date,
                 ends_on: date, mode: FieldMode, note: str) -> bool:
    """Set the dates, the mode and the note; says whether anything changed."""
    _planning_open(cycle, assessment)
    if ends_on < starts_on:
        raise Refusal(_("The last day cannot be before the first day."), code="dates_reversed")
    hold(session, assessment)
    schedule = schedule_of(session, assessment)
    wanted = {"starts_on": starts_on, "ends_on": ends_on, "mode": mode, "note": note}
    before = None
    if schedule is None:
        schedule = FieldSchedule(assessment_id=saved_id(assessment.id), scheduled_by=saved_id(user.id),
                                 starts_on=starts_on, ends_on=ends_on, mode=mode, note=note)
    else:
        before = {name: getattr(schedule, name) for name in wanted}
        if before == wanted:
            return False
        for name, value in wanted.items():
            setattr(schedule, name, value)
        schedule.scheduled_by = saved_id(user.id)
    session.add(schedule)
    session.flush()
    audit.record(session, user, "field.schedule", "fieldschedule", schedule.id, regency_code=assessment.regency_code,
                 before=_plain(before) if before else None, after=_plain(wanted))
    return True


def _plain(values: dict[str, object]) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in values.items()}


def schedule_of(session: Session, assessment: Assessment) -> FieldSchedule | None:
    return session.exec(select(FieldSchedule).where(FieldSchedule.assessment_id == assessment.id)).first()


def team(session: Session, assessment: Assessment) -> list[tuple[FieldTeamMember, User]]:
    """The team, the lead first, then by organisation and name."""
    return list(session.exec(select(FieldTeamMember, User).join(User, col(User.id) == FieldTeamMember.user_id)
                             .where(FieldTeamMember.assessment_id == assessment.id)
                             .order_by(col(FieldTeamMember.lead).desc(), col(User.organisation), col(User.full_name))))


def verifiers(session: Session) -> list[User]:
    """Accounts that can join a team: active field verifiers, by organisation and name."""
    return list(session.exec(select(User).where(User.role == Role.VERIFIER, col(User.active))
                             .order_by(col(User.organisation), col(User.full_name))))


def _member(session: Session, assessment: Assessment, user_id: int) -> FieldTeamMember | None:
    return session.exec(select(FieldTeamMember).where(FieldTeamMember.assessment_id == assessment.id,
                                                      FieldTeamMember.user_id == user_id)).first()


def add_member(session: Session, cycle: Cycle, assessment: Assessment, user: User, member_id: int, *,
               lead: bool = False) -> bool:
    """Put a verifier on the team (the lead: the one lead). Says whether anything changed: a member
    added twice is there once."""
    _planning_open(cycle, assessment)
    member = session.get(User, member_id)
    if member is None or member.role != Role.VERIFIER or not member.active:
        raise Refusal(_("Choose a field verifier's account from the list."), code="not_a_verifier")
    hold(session, assessment)
    if _member(session, assessment, member_id) is not None:
        return set_lead(session, cycle, assessment, user, member_id) if lead else False
    row = FieldTeamMember(assessment_id=saved_id(assessment.id), user_id=member_id, lead=False,
                          added_by=saved_id(user.id))
    session.add(row)
    session.flush()
    audit.record(session, user, "field.team_add", "fieldteammember", row.id, regency_code=assessment.regency_code,
                 after={"user": member.username, "organisation": member.organisation})
    if lead:
        set_lead(session, cycle, assessment, user, member_id)
    return True


def remove_member(session: Session, cycle: Cycle, assessment: Assessment, user: User, member_id: int) -> bool:
    _planning_open(cycle, assessment)
    hold(session, assessment)
    row = _member(session, assessment, member_id)
    if row is None:
        return False  # removed a moment ago (a double click)
    session.delete(row)
    session.flush()
    audit.record(session, user, "field.team_remove", "fieldteammember", row.id,
                 regency_code=assessment.regency_code, before={"user_id": member_id, "lead": row.lead})
    return True


def set_lead(session: Session, cycle: Cycle, assessment: Assessment, user: User, member_id: int) -> bool:
    """Make a member the team's lead (the previous lead stays a member)."""
    _planning_open(cycle, assessment)
    hold(session, assessment)
    row = _member(session, assessment, member_id)
    if row is None:
        raise Refusal(_("This verifier is not on the team."), code="not_on_team")
    if row.lead:
        return False
    for other in session.exec(select(FieldTeamMember).where(FieldTeamMember.assessment_id == assessment.id,
                                                            col(FieldTeamMember.lead))):
        other.lead = False
        session.add(other)
    row.lead = True
    session.add(row)
    session.flush()
    audit.record(session, user, "field.team_lead", "fieldteammember", row.id, regency_code=assessment.regency_code,
                 after={"user_id": member_id})
    return True


def start_problems(session: Session, assessment: Assessment, catalogue: Catalogue) -> list[str]:
    """What keeps field verification from starting ([]: nothing). The ministry's review must have
    decided every answered question: an answer re-submitted after the ministry returned it is
    undecided again (the review queue's "waiting")."""
    problems = []
    undecided = len(queue(load_state(session, assessment), catalogue, Stage.MINISTRY, status="waiting"))
    if undecided:
        # One message for every count: the catalogues carry no plural forms (Indonesian needs none).
        problems.append(_("Answered questions the ministry's review has not decided yet: %(n)s.") % {"n": undecided})
    if schedule_of(session, assessment) is None:
        problems.append(_("There is no schedule yet."))
    if not team(session, assessment):
        problems.append(_("The team has no member yet."))
    return problems


def start(session: Session, cycle: Cycle, assessment: Assessment, user: User,
          catalogue: Catalogue) -> StageChange | None:
    """MINISTRY -> FIELD; None when it has started already (a double click)."""
    if assessment.stage == Stage.FIELD:
        return None
    check_open(cycle, assessment, (Stage.MINISTRY,),
               _("Field verification starts from the ministry's review only."))
    problems = start_problems(session, assessment, catalogue)
    if problems:
        raise NotAllowed(" ".join([_("Field verification cannot start yet."), *problems]), code="not_ready")
    return season.move(session, assessment, Move.TO_FIELD, user)


def close(session: Session, cycle: Cycle, assessment: Assessment, user: User) -> StageChange | None:
    """FIELD -> FINAL; None when it was closed already."""
    if assessment.stage == Stage.FINAL:
        return None
    check_open(cycle, assessment, (Stage.FIELD,), _("Only field verification that has started can be closed."))
    return season.move(session, assessment, Move.TO_FINAL, user)
