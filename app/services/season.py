"""Moving an assessment from stage to stage (`scoring.season` is the machine), and the freeze that
follows the award's publication. Each move happens once: of parallel requests (a double click, two
verifiers), the first UPDATE changes the stage and the others find it changed. Every move is written
to the season's timeline (`StageChange`) and to the kab/kota's audit chain.

Nothing here commits: the route (or the command) commits its one unit of work."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from app.i18n import gettext as _
from app.models import Assessment, Cycle, StageChange, User, saved_id, utcnow
from app.refusals import Conflict
from app.services import audit
from scoring import MOVES, Move

_assessments = cast(Table, inspect(Assessment).local_table)


class StageMoved(Conflict):
    """The assessment is no longer where the move starts (moved by someone a moment earlier)."""


def frozen(cycle: Cycle) -> bool:
    """The award list of the cycle's year is published: its answers, files, decisions, findings and
    awards are read-only (recommendations and their follow-up go on)."""
    return cycle.published_at is not None


def move(session: Session, assessment: Assessment, what: Move, user: User, *, note: str = "") -> StageChange:
    """Move the assessment (`what` must start from its stage: else `StageMoved`), log it and audit it.
    The caller has checked the move's own conditions (every question decided, a reason given...)."""
    start, end = MOVES[what]
    if assessment.stage != start:
        raise _moved()
    values: dict[str, Any] = {"stage": end}
    if what == Move.SUBMIT:
        values.update(submitted_at=utcnow(), submitted_by=user.id)
    changed = cast(CursorResult[Any], session.execute(
        update(_assessments).where(_assessments.c.id == assessment.id, _assessments.c.stage == start).values(**values)))
    if changed.rowcount != 1:
        raise _moved()  # by a request a moment earlier
    for name, value in values.items():
        set_committed_value(assessment, name, value)
    change = StageChange(assessment_id=saved_id(assessment.id), move=what, from_stage=start, to_stage=end,
                         note=note.strip(), user_id=saved_id(user.id))
    session.add(change)
    audit.record(session, user, f"assessment.{what}", "assessment", assessment.id,
                 regency_code=assessment.regency_code, before={"stage": start},
                 after={"stage": end, **({"note": note.strip()} if note.strip() else {})})
    return change


def _moved() -> StageMoved:
    return StageMoved(_("The assessment has moved to another stage in the meantime: reload the page."),
                      code="stage_moved")

