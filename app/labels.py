"""Names of states as the UI says them, one place each (templates call these, never spell them)."""

from __future__ import annotations

from app.i18n import N_
from app.i18n import gettext as _
from scoring import Stage

_STAGES = {
    Stage.SELF: N_("self-assessment"),
    Stage.DP3A: N_("DP3A check"),
    Stage.PROVINCE: N_("province verification"),
    Stage.MINISTRY: N_("ministry review"),
}


def stage_label(stage: str) -> str:
    """The stage's name in the UI language ("verifikasi provinsi"); an unknown value as it is."""
    try:
        return _(_STAGES[Stage(stage)])
    except (ValueError, KeyError):
        return str(stage)
