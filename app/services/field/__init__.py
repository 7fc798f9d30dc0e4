"""Field verification (verifikasi lapangan, hybrid): the ministry schedules a visit to one kab/kota,
names its team of verifiers (from several ministries), starts it once its own review has decided
every answered question, and closes it; the team records its activities (online sessions, site
visits, interviews with children, document checks) and its findings per indicator, with photos
or minutes and score adjustments (FIELD review decisions).

- `rights`: who sees and does what on the field page (one place: the routes and templates read flags);
- `planning`: the schedule, the team, starting and closing (the stage moves);
- `records`: activities, findings, their files and score adjustments;
- `view`: what the pages read (a kab/kota's field page, the list of assignments).

Nothing here commits: the route commits its one unit of work."""

from __future__ import annotations

from app.services.field.planning import (
    add_member,
    close,
    remove_member,
    set_lead,
    set_schedule,
    start,
    start_problems,
    verifiers,
)
from app.services.field.records import add_activity, add_finding, finding_file
from app.services.field.rights import FieldRights, rights
from app.services.field.view import Assignment, FieldPage, assignments, field_page

__all__ = [
    "Assignment",
    "FieldPage",
    "FieldRights",
    "add_activity",
    "add_finding",
    "add_member",
    "assignments",
    "close",
    "field_page",
    "finding_file",
    "remove_member",
    "rights",
    "set_lead",
    "set_schedule",
    "start",
    "start_problems",
    "verifiers",
]
