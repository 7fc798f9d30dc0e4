"""Names of states as the UI says them, one place each (templates call these, never spell them)."""

from __future__ import annotations

from app.i18n import N_
from app.i18n import gettext as _
from app.models import ReviewAction, Role
from scoring import Stage

_STAGES = {
    Stage.SELF: N_("self-assessment"),
    Stage.CLUSTER: N_("cluster coordinator check"),
    Stage.DP3A: N_("DP3A check"),
    Stage.PROVINCE: N_("province verification"),
    Stage.MINISTRY: N_("ministry review"),
    Stage.FIELD: N_("field verification"),
    Stage.FINAL: N_("final verification"),
    Stage.AWARDED: N_("award published"),
}


def stage_label(stage: str) -> str:
    """The stage's name in the UI language ("verifikasi provinsi"); an unknown value as it is."""
    try:
        return _(_STAGES[Stage(stage)])
    except (ValueError, KeyError):
        return str(stage)


_RETURNED_BY: dict[str, str] = {  # keyed by Stage (a StrEnum): a plain stored value finds it too
    Stage.CLUSTER: N_("Returned by the cluster coordinator"),
    Stage.PROVINCE: N_("Returned by the province"),
    Stage.MINISTRY: N_("Returned by the ministry"),
    Stage.FIELD: N_("Returned by the field verifiers"),
    Stage.FINAL: N_("Returned by the national team"),
    Stage.AWARDED: N_("Returned by the national team"),
}


# Apart, not inside the call below: Babel's extractor skips a marker nested in another call's
# arguments, and the Indonesian page then said it in English.
_RETURNED_BY_DP3A = N_("Returned by the DP3A")


def returned_by_label(stage: str) -> str:
    """Who returned an answer, from the stage of the "returned" review event: the province, the
    ministry, else the kab/kota's DP3A."""
    return _(_RETURNED_BY.get(stage, _RETURNED_BY_DP3A))


# A cluster coordinator's decision, never to be read as the DP3A's (issue 24): with the part's short
# name ("Klaster III") where the page knows it.
_BY_COORDINATOR: dict[str, tuple[str, str]] = {
    ReviewAction.APPROVED: (N_("Approved by the cluster coordinator"),
                            N_("Approved by the cluster coordinator (%(part)s)")),
    ReviewAction.RETURNED: (N_("Returned by the cluster coordinator"),
                            N_("Returned by the cluster coordinator (%(part)s)")),
}


def coordinator_decision_label(action: str, part: str = "") -> str:
    """A CLUSTER-stage decision as every page says it ("Disetujui koordinator klaster (Klaster III)");
    an action other than approve or return as it is."""
    if action not in _BY_COORDINATOR:
        return str(action)
    plain, with_part = _BY_COORDINATOR[action]
    return _(with_part) % {"part": part} if part else _(plain)


_ROLES = {
    Role.ADMIN: N_("ministry (national team)"),
    Role.REVIEWER: N_("ministry reviewer"),
    Role.VERIFIER: N_("field verifier"),
    Role.PROVINCE: N_("province"),
    Role.DP3A: N_("DP3A"),
    Role.OPD: N_("agency (OPD)"),
}


def role_label(role: str) -> str:
    """A role's name in the UI language; an unknown value as it is."""
    try:
        return _(_ROLES[Role(role)])
    except (ValueError, KeyError):
        return str(role)
