"""Who may do what, where. Pure functions of a user and a region, tested as a matrix.

Nobody sees another region's unsubmitted work: answers in progress belong to
the kab/kota (its agencies and its DP3A) until the DP3A submits them.
"""

from __future__ import annotations

from app.models import Role, User
from scoring import Stage, deciding_stage

# Where the ministry's reviewers and the field verifiers come in: once the province has handed on.
_AFTER_PROVINCE = (Stage.MINISTRY, Stage.FIELD, Stage.FINAL, Stage.AWARDED)
_FROM_FIELD = (Stage.FIELD, Stage.FINAL, Stage.AWARDED)


def reviews_province(user: User, province_code: str) -> bool:
    """A ministry reviewer assigned to the province."""
    return user.role == Role.REVIEWER and province_code in (user.provinces or [])


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
    """See submitted results: the ministry everywhere, a province within itself (and the ministry's
    reviewers in theirs), the DP3A at home."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.PROVINCE:
        return user.province_code == province_code
    if user.role == Role.REVIEWER:
        return reviews_province(user, province_code)
    return user.role == Role.DP3A and user.regency_code == regency_code


def may_review(user: User, regency_code: str, province_code: str, assessment_stage: str,
               on_team: bool = False) -> bool:
    """Open the review queue and the dashboard of a kab/kota.

    Its DP3A always; the province (within itself) and the ministry only once the DP3A has submitted
    the assessment: before that the work is the kab/kota's own. The ministry's reviewers of the
    province once the province has handed it on; a field verifier once field verification has
    started, on the team of that kab/kota (`on_team`: the caller looked up `FieldTeamMember`).
    """
    if user.role == Role.DP3A:
        return user.regency_code == regency_code
    if assessment_stage == Stage.SELF:
        return False
    if user.role == Role.PROVINCE:
        return user.province_code == province_code
    if user.role == Role.REVIEWER:
        return assessment_stage in _AFTER_PROVINCE and reviews_province(user, province_code)
    if user.role == Role.VERIFIER:
        return on_team and assessment_stage in _FROM_FIELD
    return user.role == Role.ADMIN


def may_see_province(user: User, province_code: str) -> bool:
    """The province table: that province's officials, the ministry and its reviewers of the province."""
    return (user.role == Role.ADMIN or (user.role == Role.PROVINCE and user.province_code == province_code)
            or reviews_province(user, province_code))


def may_see_nation(user: User) -> bool:
    return user.role == Role.ADMIN


def may_open_sensitive(user: User, regency_code: str, province_code: str, assessment_stage: str,
                       on_team: bool = False) -> bool:
    """Evidence of sensitive questions (it can name child victims): the DP3A of the kab/kota and,
    once submitted, the verifiers of its province, the ministry (its reviewers of the province) and
    the field team. Not the agencies."""
    if user.role == Role.DP3A:
        return user.regency_code == regency_code
    return user.role in (Role.PROVINCE, Role.ADMIN, Role.REVIEWER, Role.VERIFIER) and may_review(
        user, regency_code, province_code, assessment_stage, on_team)


def may_see_sensitive_findings(user: User, province_code: str, on_team: bool = False) -> bool:
    """Field findings marked sensitive (interviews with children, Forum Anak): the field team and
    the ministry (its national team, its reviewers of the province). Not the province, not the kab/kota."""
    return user.role == Role.ADMIN or reviews_province(user, province_code) or (
        user.role == Role.VERIFIER and on_team)


def may_record_findings(user: User, on_team: bool = False) -> bool:
    """Field findings and their score adjustments: the team of the kab/kota, and the ministry."""
    return user.role == Role.ADMIN or (user.role == Role.VERIFIER and on_team)


def may_hand_on(user: User, province_code: str) -> bool:
    """Pass a kab/kota on to the ministry: its province."""
    return user.role == Role.PROVINCE and user.province_code == province_code


def may_send_back(user: User, province_code: str) -> bool:
    """Send a kab/kota back to its province: the ministry and its reviewers of the province."""
    return user.role == Role.ADMIN or reviews_province(user, province_code)


def may_run_season(user: User) -> bool:
    """Schedule field verification, name its teams, fix final scores and awards, publish: the ministry."""
    return user.role == Role.ADMIN


def decides_at(user: User, assessment_stage: Stage) -> Stage | None:
    """The review stage at which `user` decides on an assessment standing at `assessment_stage`
    (None: the user decides nothing there now). Access to the place is checked separately."""
    now = deciding_stage(assessment_stage)
    mine = {Role.DP3A: (Stage.DP3A,), Role.PROVINCE: (Stage.PROVINCE,), Role.REVIEWER: (Stage.MINISTRY,),
            Role.VERIFIER: (Stage.FIELD,),
            Role.ADMIN: (Stage.MINISTRY, Stage.FIELD, Stage.FINAL)}.get(Role(user.role), ())
    return now if now in mine else None


# issue 24, rad: who sees the action plan (RAD KLA) of a kab/kota and its progress reports.
def may_see_rad(user: User, regency_code: str, province_code: str, assessment_stage: str) -> bool:
    """The kab/kota's agencies and DP3A always; those who oversee it (`may_oversee`: its province,
    the ministry and its reviewers of the province) once the DP3A has submitted, read-only. The plan
    is evidence of the institutional part, so its evaluators read it with the answers; before the
    submission it is the kab/kota's work in progress, as the answers are."""
    if may_work_in(user, regency_code):
        return True
    return (user.role in (Role.PROVINCE, Role.ADMIN, Role.REVIEWER) and assessment_stage != Stage.SELF
            and may_oversee(user, regency_code, province_code))
