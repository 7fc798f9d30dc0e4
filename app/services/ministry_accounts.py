"""The ministry's own accounts: reviewers (each assigned to provinces) and field verifiers (each
from an organisation), created and kept by the ministry's administrators.

Like the DP3A's accounts (`app.services.administration`, whose checks, password reset and
activation this reuses): a new account gets a temporary password, returned once and stored only as
a hash; every change is audited; nothing here commits. A refused form raises `Problems`.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.i18n import gettext as _
from app.models import Province, Role, User
from app.passwords import hash_password, temporary_password
from app.refusals import NotAllowed
from app.services import audit
from app.services.administration import Problems, _Findings, _taken, check_identity
from app.services.administration import reset_password as reset_password  # the same rule for every account
from app.services.administration import set_user_active as set_user_active

MINISTRY_ROLES = (Role.REVIEWER, Role.VERIFIER)
MAX_ORGANISATION = 120
# Offered while typing an organisation; any other name is accepted (free text).
ORGANISATIONS = ("KemenPPPA", "Kemenkes", "Kemendikdasmen", "Kemensos", "Kemendagri", "KemenPUPR", "Kemenag", "Polri")


def may_manage(user: User) -> bool:
    """The ministry's accounts: its administrators."""
    return user.role == Role.ADMIN


def ministry_users(session: Session) -> list[User]:
    """Reviewers first, then verifiers, each by username."""
    return list(session.exec(select(User).where(col(User.role).in_(MINISTRY_ROLES))
                             .order_by(col(User.role).desc(), col(User.username))).all())


def ministry_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.role in MINISTRY_ROLES else None


def provinces(session: Session) -> list[Province]:
    return list(session.exec(select(Province).order_by(col(Province.code))).all())


def _check_details(session: Session, problems: _Findings, role: str, province_codes: list[str],
                   organisation: str) -> list[str]:
    """The role-specific fields: a reviewer's provinces (known codes, at least one), anyone's
    organisation (a verifier must name one). The provinces in code order, without repeats."""
    known = {p.code for p in provinces(session)}
    chosen = sorted(set(province_codes))
    if role == Role.REVIEWER:
        if not chosen:
            problems.add("provinces", _("Choose at least one province the reviewer reviews."))
        elif not set(chosen) <= known:
            problems.add("provinces", _("Choose provinces from the list."))
    if len(organisation) > MAX_ORGANISATION:
        problems.add("organisation", _("The organisation is too long (at most %(n)s characters).")
                     % {"n": MAX_ORGANISATION})
    elif role == Role.VERIFIER and not organisation:
        problems.add("organisation", _("Write the organisation the verifier works for (e.g. Kemenkes)."))
    return chosen if role == Role.REVIEWER else []


def create_user(session: Session, by: User, username: str, full_name: str, role: str,
                province_codes: list[str], organisation: str) -> tuple[User, str]:
    """A reviewer or verifier account with a temporary password (returned once)."""
    problems = _Findings()
    check_identity(session, problems, username, full_name)
    if role not in MINISTRY_ROLES:
        problems.add("role", _("Choose the kind of account."))
    chosen = _check_details(session, problems, role, province_codes, organisation)
    problems.refuse()
    password = temporary_password()
    user = User(username=username, full_name=full_name, password_hash=hash_password(password), role=Role(role),
                provinces=chosen, organisation=organisation)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # someone took the username between the check and the insert
        session.rollback()
        raise Problems({"username": _taken(username)}) from None
    audit.record(session, by, "user.create", "user", user.id,
                 after={"username": username, "full_name": full_name, "role": str(role), "provinces": chosen,
                        "organisation": organisation})
    return user, password


def update_user(session: Session, by: User, user: User, province_codes: list[str], organisation: str) -> bool:
    """Change a reviewer's provinces or anyone's organisation. False when nothing changed (a second
    click)."""
    if user.role not in MINISTRY_ROLES:
        raise NotAllowed(_("Only the ministry's reviewer and verifier accounts are managed here."))
    problems = _Findings()
    chosen = _check_details(session, problems, user.role, province_codes, organisation)
    problems.refuse()
    before = {"provinces": list(user.provinces or []), "organisation": user.organisation}
    after = {"provinces": chosen, "organisation": organisation}
    if before == after:
        return False
    user.provinces = chosen  # a new list: the JSON column notices only a new value
    user.organisation = organisation
    session.add(user)
    audit.record(session, by, "user.update", "user", user.id, before=before, after=after)
    return True
