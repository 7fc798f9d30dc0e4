"""The DP3A's administration of its kab/kota: agencies, accounts, who answers what, the window.

Small functions that validate, write and audit; the routes only parse forms, render, and commit
(nothing here commits). A refused change raises `Problems` (a `Refusal` naming the fields at fault)
or `NotAllowed`; messages are in the request's language (gettext with English ids).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.i18n import gettext as _
from app.models import Agency, Area, AreaLevel, Assessment, Assignment, Role, User, saved_id
from app.passwords import hash_password, temporary_password
from app.refusals import NotAllowed, Refusal
from app.services import areas, audit, sessions
from app.services.accounts import clear_failures, locked_minutes
from indicators import Catalogue

USERNAME = re.compile(r"^[a-z0-9._-]{3,40}$")
MAX_SHORT_NAME = 40
MAX_AGENCY_NAME = 200
MAX_FULL_NAME = 120
ACCOUNT_ROLES = (Role.OPD, Role.DP3A)
COORDINATOR_ROLE = "DP3A"
KECAMATAN_ROLE = "KECAMATAN"  # a kecamatan's own office: one agency per kecamatan (`Agency.area_code`)


class Problems(Refusal):
    """A form refused: field name -> message, for re-rendering it next to what was typed."""

    def __init__(self, errors: dict[str, str], *, status: int | None = None) -> None:
        super().__init__(" ".join(errors.values()), code="form", status=status)
        self.errors = errors


class _Findings:
    """Collects a form's problems, the first per field, and refuses them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def refuse(self) -> None:
        if self.errors:
            raise Problems(self.errors)


# -- agencies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyRow:
    agency: Agency
    accounts: int  # active accounts
    questions: int  # questions assigned in this assessment


def agencies_of(session: Session, regency_code: str, *, active_only: bool = False) -> list[Agency]:
    query = select(Agency).where(Agency.regency_code == regency_code)
    if active_only:
        query = query.where(Agency.active)
    return list(session.exec(query.order_by(Agency.short_name)))


def agency_rows(session: Session, regency_code: str, assessment_id: int) -> list[AgencyRow]:
    """Every agency with its counts: three queries, whatever the number of agencies."""
    agencies = agencies_of(session, regency_code)
    accounts = dict(session.exec(
        select(User.agency_id, func.count(col(User.id)))
        .where(User.regency_code == regency_code, User.active, col(User.agency_id).is_not(None))
        .group_by(col(User.agency_id))
    ).all())
    questions = dict(session.exec(
        select(Assignment.agency_id, func.count(col(Assignment.id)))
        .where(Assignment.assessment_id == assessment_id)
        .group_by(col(Assignment.agency_id))
    ).all())
    return [AgencyRow(a, accounts.get(saved_id(a.id), 0), questions.get(saved_id(a.id), 0)) for a in agencies]


def check_agency(session: Session, catalogue: Catalogue, regency_code: str, short_name: str, name: str,
                 role_code: str, agency_id: int | None = None) -> None:
    """Refuse (`Problems`) an agency's fields that cannot be saved."""
    problems = _Findings()
    if not short_name:
        problems.add("short_name", _("Write the agency's short name, e.g. DINKES."))
    elif len(short_name) > MAX_SHORT_NAME:
        problems.add("short_name", _("The short name is too long (at most %(n)s characters).") % {"n": MAX_SHORT_NAME})
    else:
        clash = session.exec(
            select(Agency.id).where(Agency.regency_code == regency_code,
                                    func.lower(Agency.short_name) == short_name.lower())
        ).first()
        if clash is not None and clash != agency_id:
            problems.add("short_name", _("Another agency of this kab/kota already has the short name %(name)s.")
                         % {"name": short_name})
    if not name:
        problems.add("name", _("Write the agency's full name."))
    elif len(name) > MAX_AGENCY_NAME:
        problems.add("name", _("The full name is too long (at most %(n)s characters).") % {"n": MAX_AGENCY_NAME})
    if role_code not in catalogue.agencies:
        problems.add("role_code", _("Choose the agency's role from the list."))
    problems.refuse()


def _agency_values(agency: Agency) -> dict[str, object]:
    return {"short_name": agency.short_name, "name": agency.name, "role_code": agency.role_code,
            "active": agency.active}


def kecamatan_choices(session: Session, regency_code: str) -> list[Area]:
    """The kab/kota's kecamatan (the source's), for the agency of a kecamatan's own office."""
    return areas.areas_of(session, regency_code, AreaLevel.KECAMATAN)


def _kecamatan(session: Session, regency_code: str, area_code: str) -> Area:
    """The kecamatan a new kecamatan office stands for; refused when none is chosen or it has its agency."""
    area = areas.area_in(session, regency_code, area_code) if area_code else None
    if area is None or area.level != AreaLevel.KECAMATAN:
        raise Problems({"area_code": _("Choose the kecamatan this office stands for.")})
    taken = session.exec(select(Agency).where(Agency.regency_code == regency_code,
                                              Agency.area_code == area.code)).first()
    if taken is not None:
        raise Problems({"area_code": _("Kecamatan %(area)s already has its agency, %(agency)s: add accounts to it "
                                       "instead.") % {"area": area.name, "agency": taken.short_name}}, status=409)
    return area


def create_agency(session: Session, catalogue: Catalogue, by: User, regency_code: str, short_name: str, name: str,
                  role_code: str, area_code: str = "") -> Agency:
    """A new agency; with the role KECAMATAN, the office of one kecamatan (`area_code`, one agency per
    kecamatan), named "Kec. <name>" unless a name is given."""
    area = _kecamatan(session, regency_code, area_code) if role_code == KECAMATAN_ROLE else None
    if area is not None:
        short_name = short_name or f"Kec. {area.name}"[:MAX_SHORT_NAME]
        name = name or f"Kecamatan {area.name}"[:MAX_AGENCY_NAME]
    check_agency(session, catalogue, regency_code, short_name, name, role_code)
    agency = Agency(regency_code=regency_code, short_name=short_name, name=name, role_code=role_code,
                    area_code=area.code if area is not None else None)
    session.add(agency)
    try:
        session.flush()
    except IntegrityError:  # the same name, or the same kecamatan's office, created a moment ago
        session.rollback()
        check_agency(session, catalogue, regency_code, short_name, name, role_code)  # names the clash
        if area is not None:
            _kecamatan(session, regency_code, area.code)
        raise
    audit.record(session, by, "agency.create", "agency", agency.id, regency_code=regency_code,
                 after={**_agency_values(agency), "area_code": agency.area_code})
    return agency


def update_agency(session: Session, catalogue: Catalogue, by: User, agency: Agency, short_name: str, name: str,
                  role_code: str, active: bool) -> bool:
    """Change an agency; False when nothing changed (then nothing is written). Deactivating it ends
    the sessions of its accounts, which can no longer log in (app.deps, app.services.accounts)."""
    check_agency(session, catalogue, agency.regency_code, short_name, name, role_code, agency_id=agency.id)
    if (agency.area_code is not None) != (role_code == KECAMATAN_ROLE):
        # Its kecamatan is chosen when the office is created: a role change would give or take its areas.
        raise Problems({"role_code": _("A kecamatan's office keeps the role Kecamatan, and another agency cannot "
                                       "take it: add a new agency for a kecamatan.")})
    if agency.id == by.agency_id and agency.active and not active:
        # Its accounts can no longer log in: the DP3A would shut itself out.
        raise Problems({"active": _("You cannot deactivate the agency of your own account.")}, status=409)
    before = _agency_values(agency)
    agency.short_name, agency.name, agency.role_code, agency.active = short_name, name, role_code, active
    after = _agency_values(agency)
    if before == after:
        return False
    session.add(agency)
    if before["active"] and not active:
        sessions.end_agency(session, saved_id(agency.id))
    audit.record(session, by, "agency.update", "agency", agency.id, regency_code=agency.regency_code,
                 before={k: v for k, v in before.items() if before[k] != after[k]},
                 after={k: v for k, v in after.items() if before[k] != after[k]})
    return True


# -- accounts -------------------------------------------------------------------------------


def region_users(session: Session, regency_code: str) -> list[tuple[User, Agency | None]]:
    """The kab/kota's accounts with their agency, in one query."""
    return list(session.exec(
        select(User, Agency).outerjoin(Agency, col(Agency.id) == User.agency_id)
        .where(User.regency_code == regency_code)
        .order_by(User.role, User.username)
    ).all())


def user_in(session: Session, regency_code: str, user_id: int) -> User | None:
    user = session.get(User, user_id)
    if user is None or user.regency_code != regency_code or user.role not in ACCOUNT_ROLES:
        return None
    return user


def check_identity(session: Session, problems: _Findings, username: str, full_name: str) -> None:
    """A new account's username (its shape, not taken) and full name: the same for every kind of account
    (the DP3A's agencies here, the ministry's reviewers and verifiers in `ministry_accounts`)."""
    if not USERNAME.match(username):
        problems.add("username", _("The username needs 3 to 40 characters: lowercase letters, digits, "
                                   "dot, underscore or hyphen (e.g. budi.dinkes)."))
    elif session.exec(select(User.id).where(User.username == username)).first() is not None:
        problems.add("username", _taken(username))
    if not full_name:
        problems.add("full_name", _("Write the person's full name."))
    elif len(full_name) > MAX_FULL_NAME:
        problems.add("full_name", _("The full name is too long (at most %(n)s characters).") % {"n": MAX_FULL_NAME})


def check_account(session: Session, username: str, full_name: str, role: str, agency: Agency | None,
                  agency_given: bool) -> None:
    """Refuse (`Problems`) a new account's fields that cannot be saved."""
    problems = _Findings()
    check_identity(session, problems, username, full_name)
    if role not in ACCOUNT_ROLES:
        problems.add("role", _("Choose the kind of account."))
    if agency is None:
        if agency_given:
            problems.add("agency_id", _("Choose an active agency of this kab/kota."))
        else:
            problems.add("agency_id", _("Choose the agency the person works for."))
    elif agency.area_code is not None and role != Role.OPD:
        # A DP3A account would reach the whole kab/kota: a kecamatan's staff record their kecamatan only.
        problems.add("role", _("A kecamatan's office has agency accounts only."))
    problems.refuse()


def _taken(username: str) -> str:
    return _("The username %(name)s is already taken. Choose another one.") % {"name": username}


def coordinator_agency(session: Session, regency_code: str) -> Agency | None:
    return session.exec(
        select(Agency).where(Agency.regency_code == regency_code, Agency.role_code == COORDINATOR_ROLE, Agency.active)
        .order_by(col(Agency.id))
    ).first()


def create_user(session: Session, by: User, regency_code: str, username: str, full_name: str, role: str,
                agency: Agency | None, agency_given: bool) -> tuple[User, str]:
    """A new account with a temporary password, returned once and stored only as a hash."""
    check_account(session, username, full_name, role, agency, agency_given)
    assert agency is not None  # check_account refuses an account without one
    password = temporary_password()  # obeys the password policy (app.passwords)
    user = User(username=username, full_name=full_name, password_hash=hash_password(password), role=Role(role),
                regency_code=regency_code, agency_id=agency.id)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # someone took the username between the check and the insert
        session.rollback()
        raise Problems({"username": _taken(username)}) from None
    audit.record(session, by, "user.create", "user", user.id, regency_code=regency_code,
                 after={"username": username, "full_name": full_name, "role": str(role),
                        "agency": agency.short_name, "agency_id": agency.id})
    return user, password


def reset_password(session: Session, by: User, user: User) -> str:
    """A new temporary password; every session of the user ends and the locks from failed logins
    are lifted (the login page tells a locked-out person to ask for exactly this)."""
    if user.id == by.id:
        raise NotAllowed(_("Change your own password on the Password page."))
    password = temporary_password()
    user.password_hash = hash_password(password)
    session.add(user)
    sessions.end_all(session, saved_id(user.id))
    clear_failures(session, user.username)
    audit.record(session, by, "user.password_reset", "user", user.id, regency_code=user.regency_code)
    return password


def set_user_active(session: Session, by: User, user: User, active: bool) -> bool:
    """Activate or deactivate; deactivating ends the user's sessions. False when nothing changed."""
    if user.id == by.id and not active:
        raise NotAllowed(_("You cannot deactivate your own account."))
    if user.active == active:
        return False
    user.active = active
    if not active:
        sessions.end_all(session, saved_id(user.id))
    session.add(user)
    audit.record(session, by, "user.activate" if active else "user.deactivate", "user", user.id,
                 regency_code=user.regency_code, before={"active": not active}, after={"active": active})
    return True


def lift_lock(session: Session, by: User, user: User) -> bool:
    """Clear the failed logins that lock the account. False when it was not locked."""
    if not locked_minutes(session, [user.username]):
        return False
    clear_failures(session, user.username)
    audit.record(session, by, "user.unlock", "user", user.id, regency_code=user.regency_code)
    return True


# -- assignments ----------------------------------------------------------------------------


def assigned_pairs(session: Session, assessment_id: int, codes: list[str]) -> set[tuple[str, int]]:
    """(question code, agency id) of every assignment of these questions, in one query."""
    if not codes:
        return set()
    rows = session.exec(
        select(Assignment.question_code, Assignment.agency_id)
        .where(Assignment.assessment_id == assessment_id, col(Assignment.question_code).in_(codes))
    ).all()
    return {(code, agency_id) for code, agency_id in rows}


def covered_codes(session: Session, assessment_id: int, codes: list[str] | None = None) -> set[str]:
    """Questions that at least one active agency answers."""
    query = (select(Assignment.question_code).join(Agency, col(Agency.id) == Assignment.agency_id)
             .where(Assignment.assessment_id == assessment_id, Agency.active))
    if codes is not None:
        query = query.where(col(Assignment.question_code).in_(codes))
    return set(session.exec(query.distinct()).all())


def unassigned_codes(session: Session, assessment_id: int, catalogue: Catalogue) -> list[str]:
    """Questions of the catalogue no active agency answers, in catalogue order."""
    covered = covered_codes(session, assessment_id)
    return [code for code in catalogue.questions if code not in covered]


def unassigned_count(session: Session, assessment_id: int, catalogue: Catalogue) -> int:
    return len(unassigned_codes(session, assessment_id, catalogue))


def toggle_assignment(session: Session, by: User, assessment: Assessment, code: str, agency: Agency,
                      assigned: bool) -> bool:
    """Make `agency` answer `code` (or stop answering it). False when it already was so; an inactive
    agency is refused before that is looked at."""
    if assigned and not agency.active:
        raise NotAllowed(_("The agency %(name)s is inactive: activate it first.") % {"name": agency.short_name})
    existing = session.exec(
        select(Assignment).where(Assignment.assessment_id == assessment.id, Assignment.question_code == code,
                                 Assignment.agency_id == agency.id)
    ).first()
    if assigned == (existing is not None):
        return False
    values = {"question": code, "agency": agency.short_name, "agency_id": agency.id}
    if assigned:
        session.add(Assignment(assessment_id=saved_id(assessment.id), question_code=code, agency_id=saved_id(agency.id)))
        try:
            session.flush()
        except IntegrityError:  # a double click that raced itself: it is assigned either way
            session.rollback()
            return False
        audit.record(session, by, "assignment.add", "assignment", f"{assessment.id}:{code}:{agency.id}",
                     regency_code=assessment.regency_code, after=values)
    elif existing is not None:
        session.delete(existing)
        audit.record(session, by, "assignment.remove", "assignment", f"{assessment.id}:{code}:{agency.id}",
                     regency_code=assessment.regency_code, before=values)
    return True


# -- the overview -------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    agencies: int
    active_agencies: int
    active_accounts: int
    accounts: int
    unassigned: list[str]


def overview(session: Session, regency_code: str, assessment_id: int, catalogue: Catalogue) -> Overview:
    agency_counts = dict(session.exec(
        select(Agency.active, func.count(col(Agency.id))).where(Agency.regency_code == regency_code)
        .group_by(col(Agency.active))
    ).all())
    user_counts = dict(session.exec(
        select(User.active, func.count(col(User.id))).where(User.regency_code == regency_code)
        .group_by(col(User.active))
    ).all())
    return Overview(
        agencies=sum(agency_counts.values()),
        active_agencies=agency_counts.get(True, 0),
        active_accounts=user_counts.get(True, 0),
        accounts=sum(user_counts.values()),
        unassigned=unassigned_codes(session, assessment_id, catalogue),
    )
