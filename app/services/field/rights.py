"""Who sees and does what on a kab/kota's field verification page, from its stage.

- the ministry (ADMIN): everything, from the ministry's review on; it plans (schedule, team) while
  the assessment is at MINISTRY or FIELD, starts and closes field verification;
- the ministry's reviewers of the province: everything, read-only (sensitive findings included);
- a verifier on the team: the schedule and team once named (at MINISTRY), then records activities
  and findings while the assessment is at FIELD;
- the kab/kota's DP3A and its province: read-only, the schedule, the team and the activities (the
  DP3A prepares the visit: who comes, when, where); the findings once field verification is closed
  (FINAL on: while the team works they are drafts of its report), never sensitive findings or their
  files (interviews with children: `access.may_see_sensitive_findings`);
- nobody else (the agencies included), and nobody before the ministry's review: a kab/kota sent back
  to its province keeps its schedule, hidden until the ministry has it again.

A frozen cycle (the award list published) changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from app import access
from app.models import Assessment, Cycle, Regency, Role, User
from app.services.season import frozen
from scoring import Stage

_FIELD_SEASON = (Stage.MINISTRY, Stage.FIELD, Stage.FINAL, Stage.AWARDED)
_PLANNING = (Stage.MINISTRY, Stage.FIELD)
_CLOSED = (Stage.FINAL, Stage.AWARDED)


@dataclass(frozen=True)
class FieldRights:
    see: bool = False  # the page: schedule, team, activities
    findings: bool = False  # findings that are not sensitive, and the figures per indicator
    sensitive: bool = False  # sensitive findings and their files
    plan: bool = False  # schedule and team
    start: bool = False  # MINISTRY -> FIELD (its conditions: `planning.start_problems`)
    close: bool = False  # FIELD -> FINAL
    record: bool = False  # activities and findings with their adjustments
    ministry: bool = False  # the ministry's side (admin, reviewer, team): the page shows its working view


def rights(user: User, regency: Regency, cycle: Cycle, assessment: Assessment, on_team: bool) -> FieldRights:
    stage = Stage(assessment.stage)
    if stage not in _FIELD_SEASON:
        return FieldRights()
    province = regency.province_code
    sensitive = access.may_see_sensitive_findings(user, province, on_team)
    open_ = not frozen(cycle)
    if user.role == Role.ADMIN or access.reviews_province(user, province) or (user.role == Role.VERIFIER and on_team):
        runs = access.may_run_season(user) and open_
        return FieldRights(
            see=True, findings=True, sensitive=sensitive, ministry=True,
            plan=runs and stage in _PLANNING, start=runs and stage == Stage.MINISTRY,
            close=runs and stage == Stage.FIELD,
            record=open_ and stage == Stage.FIELD and access.may_record_findings(user, on_team))
    kab_kota = user.role == Role.DP3A and user.regency_code == regency.code
    own_province = user.role == Role.PROVINCE and user.province_code == province
    if kab_kota or own_province:
        return FieldRights(see=True, findings=stage in _CLOSED)
    return FieldRights()
