"""Who may do what, where. Pure functions of a user and a region, tested as a matrix.

Nobody sees another region's unsubmitted work: answers in progress belong to
the kab/kota (its agencies and its DP3A) until the DP3A submits them.
"""

from __future__ import annotations

from app.models import Role, User
from scoring import Stage


def may_work_in(user: User, regency_code: str) -> bool:
    """Answer questions and attach evidence: the region's agencies and its DP3A."""
    return user.role in (Role.OPD, Role.DP3A) and user.regency_code == regency_code


def may_administer(user: User, regency_code: str) -> bool:
    """Agencies, accounts, assignments and the answering window: the region's DP3A."""
    return user.role == Role.DP3A and user.regency_code == regency_code


def may_see_agency(user: User, regency_code: str, agency_id: int) -> bool:
    """An agency's focal point sees only its own agency's work; the DP3A sees every agency's."""
    if not may_work_in(user, regency_code):
        return False
    return user.role == Role.DP3A or user.agency_id == agency_id


def may_oversee(user: User, regency_code: str, province_code: str) -> bool:
    """See submitted results: the ministry everywhere, a province within itself, the DP3A at home."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.PROVINCE:
        return user.province_code == province_code
    return user.role == Role.DP3A and user.regency_code == regency_code


def may_review(user: User, regency_code: str, province_code: str, assessment_stage: str) -> bool:
    """Open the review queue and the dashboard of a kab/kota.

    Its DP3A always; the province (within itself) and the ministry only once
    the DP3A has submitted the assessment: before that the work is the kab/kota's own.
    """
    if user.role == Role.DP3A:
        return user.regency_code == regency_code
    if assessment_stage == Stage.SELF:
        return False
    if user.role == Role.PROVINCE:
        return user.province_code == province_code
    return user.role == Role.ADMIN


def may_see_province(user: User, province_code: str) -> bool:
    """The province table: that province's officials and the ministry."""
    return user.role == Role.ADMIN or (user.role == Role.PROVINCE and user.province_code == province_code)


def may_see_nation(user: User) -> bool:
    return user.role == Role.ADMIN


def may_open_sensitive(user: User, regency_code: str, province_code: str, assessment_stage: str) -> bool:
    """Evidence of sensitive questions (it can name child victims): the DP3A of the kab/kota and,
    once submitted, the verifiers of its province and the ministry. Not the agencies."""
    if user.role == Role.DP3A:
        return user.regency_code == regency_code
    return user.role in (Role.PROVINCE, Role.ADMIN) and may_review(user, regency_code, province_code,
                                                                   assessment_stage)
