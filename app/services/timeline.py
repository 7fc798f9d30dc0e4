"""The season of one kab/kota as a timeline: its stage changes (who moved it, when, why), each
stage's decisions (first and last, how many approved and returned, by whom), the reopenings, the
field verification's schedule and activities, the award and the publication.

What it never shows: a finding's text (sensitive or not: it belongs on the field page, behind its
own rule), a reopening's or activity's note, and the award's category before the list is published
to anyone outside the ministry (`pipeline.sees_fixed_awards`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.models import (
    ActivityKind,
    Answer,
    Assessment,
    Award,
    Cycle,
    FieldActivity,
    FieldMode,
    FieldSchedule,
    Reopening,
    ReviewAction,
    ReviewEvent,
    StageChange,
    User,
)
from app.services.pipeline import sees_fixed_awards
from scoring import REVIEW_STAGES, Move, Stage


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # a Role value: the template says it with role_label


UNKNOWN = Person("", "")


@dataclass
class MoveEntry:
    at: datetime
    move: Move
    from_stage: Stage
    to_stage: Stage
    by: Person
    note: str


@dataclass
class Decider:
    by: Person
    decisions: int


@dataclass
class StageDecisions:
    stage: Stage
    approved: int = 0
    returned: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    deciders: list[Decider] = field(default_factory=list)


@dataclass
class ReopeningEntry:
    opened_at: datetime
    stage: Stage
    question_code: str
    until: datetime
    closed_at: datetime | None
    by: Person


@dataclass
class Activity:
    on: date
    kind: ActivityKind


@dataclass
class FieldPart:
    starts_on: date | None
    ends_on: date | None
    mode: FieldMode | None
    scheduled_at: datetime | None
    scheduled_by: Person | None
    activities: list[Activity]


@dataclass
class AwardPart:
    decided_at: datetime
    by: Person
    category: str | None  # as fixed ("" no award); None: not for this user's eyes yet


@dataclass
class Timeline:
    moves: list[MoveEntry]
    decisions: list[StageDecisions]
    reopenings: list[ReopeningEntry]
    field: FieldPart | None
    award: AwardPart | None
    published_at: datetime | None

    @property
    def empty(self) -> bool:
        return not (self.moves or self.decisions or self.reopenings or self.field or self.award)


def _people(session: Session, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.full_name, User.role).where(col(User.id).in_(sorted(ids)))).all()
    return {uid: Person(name, str(role)) for uid, name, role in rows if uid is not None}


def season_timeline(session: Session, assessment: Assessment, cycle: Cycle, user: User) -> Timeline:
    """Everything the timeline shows, in a fixed number of queries (none per row)."""
    changes = session.exec(select(StageChange).where(col(StageChange.assessment_id) == assessment.id)
                           .order_by(col(StageChange.at), col(StageChange.id))).all()
    # Per stage and person: how many approvals and returns, the first and the last.
    decided = session.execute(
        sa_select(col(ReviewEvent.stage), col(ReviewEvent.user_id), col(ReviewEvent.action), func.count(),
                  func.min(ReviewEvent.at), func.max(ReviewEvent.at))
        .join(Answer, col(Answer.id) == col(ReviewEvent.answer_id))
        .where(col(Answer.assessment_id) == assessment.id,
               col(ReviewEvent.action).in_([ReviewAction.APPROVED, ReviewAction.RETURNED]))
        .group_by(col(ReviewEvent.stage), col(ReviewEvent.user_id), col(ReviewEvent.action))).all()
    reopened = session.exec(
        select(Reopening, Answer.question_code).join(Answer, col(Answer.id) == col(Reopening.answer_id))
        .where(col(Answer.assessment_id) == assessment.id).order_by(col(Reopening.opened_at), col(Reopening.id))).all()
    schedule = session.exec(select(FieldSchedule).where(col(FieldSchedule.assessment_id) == assessment.id)).first()
    activities = session.execute(sa_select(col(FieldActivity.on), col(FieldActivity.kind))
                              .where(col(FieldActivity.assessment_id) == assessment.id)
                              .order_by(col(FieldActivity.on), col(FieldActivity.id))).all()
    award = session.exec(select(Award).where(col(Award.assessment_id) == assessment.id)).first()

    ids = {c.user_id for c in changes} | {row[1] for row in decided} | {r.opened_by for r, _code in reopened}
    ids |= {schedule.scheduled_by} if schedule is not None else set()
    ids |= {award.decided_by} if award is not None else set()
    people = _people(session, ids)

    by_stage: dict[Stage, StageDecisions] = {}
    per_person: dict[tuple[Stage, int], int] = {}
    for stage, user_id, action, count, first, last in decided:
        entry = by_stage.setdefault(Stage(stage), StageDecisions(Stage(stage)))
        if action == ReviewAction.APPROVED:
            entry.approved += count
        else:
            entry.returned += count
        entry.first_at = first if entry.first_at is None else min(entry.first_at, first)
        entry.last_at = last if entry.last_at is None else max(entry.last_at, last)
        per_person[(Stage(stage), user_id)] = per_person.get((Stage(stage), user_id), 0) + count
    for (stage, user_id), count in per_person.items():
        by_stage[stage].deciders.append(Decider(people.get(user_id, UNKNOWN), count))
    for entry in by_stage.values():
        entry.deciders.sort(key=lambda d: (-d.decisions, d.by.name))

    field_part = None
    if schedule is not None or activities:
        field_part = FieldPart(
            starts_on=schedule.starts_on if schedule else None, ends_on=schedule.ends_on if schedule else None,
            mode=schedule.mode if schedule else None, scheduled_at=schedule.scheduled_at if schedule else None,
            scheduled_by=people.get(schedule.scheduled_by, UNKNOWN) if schedule else None,
            activities=[Activity(on, ActivityKind(kind)) for on, kind in activities])
    return Timeline(
        moves=[MoveEntry(c.at, Move(c.move), Stage(c.from_stage), Stage(c.to_stage), people.get(c.user_id, UNKNOWN),
                         c.note) for c in changes],
        # The cluster coordinators' check (issue 24) first: it comes before the DP3A's, on its own row.
        decisions=[by_stage[s] for s in (Stage.CLUSTER, *REVIEW_STAGES) if s in by_stage],
        reopenings=[ReopeningEntry(r.opened_at, Stage(r.stage), code, r.until, r.closed_at,
                                   people.get(r.opened_by, UNKNOWN)) for r, code in reopened],
        field=field_part,
        award=(AwardPart(award.decided_at, people.get(award.decided_by, UNKNOWN),
                         award.category if sees_fixed_awards(user, cycle) else None) if award is not None else None),
        published_at=cycle.published_at,
    )
