"""What every change of field verification checks first: the year is not frozen, the assessment
stands where the change is allowed; and the one lock that makes a change idempotent under a double
click (the second request waits, then finds the first's row)."""

from __future__ import annotations

from collections.abc import Iterable

from app.i18n import gettext as _
from app.models import Assessment, Cycle
from app.refusals import NotAllowed
from app.services.locks import hold  # noqa: F401  (field's changes import it from here)
from app.services.season import frozen
from scoring import Stage


def check_open(cycle: Cycle, assessment: Assessment, stages: Iterable[Stage], message: str) -> None:
    if frozen(cycle):
        raise NotAllowed(_("The award list of this year is published: field verification can no longer change."),
                         code="frozen")
    if assessment.stage not in tuple(stages):
        raise NotAllowed(message, code="wrong_stage")


