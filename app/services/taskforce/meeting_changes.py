"""Changing a recorded meeting: its fields, taking a document out of it, removing it.

Who: `MeetingView.check_change`'s rule, the same as linking (the kab/kota's DP3A any meeting, an agency
those its agency recorded; never in a published year). Every change is audited and idempotent.

- Editing checks the values as recording does (`meetings.check`). Two tabs: the form carries the
  meeting's stamp (when it was last changed) and a save made from an older stamp is refused
  (`MeetingConflict`) unless it asks for what is stored already; saving unchanged values writes nothing.
- Taking a document out: the document stays in the library; the evidence links the meeting made from it
  on the questions it serves go (`meeting_links.made_links`: never a link made by hand).
- Removing a meeting is a soft delete, as for the RAD's activities: the row, its participants, its
  documents and the questions it served stay (the audit entries point at them), and every read skips
  it; the evidence links it made go, its documents stay in the library. It is refused, naming them,
  while a question it made links on may not have its files changed by this user (read-only, another
  agency's): the same rule as unlinking.

Locks, in the app's order: the answers concerned, then the meeting's row, then (the audit entry) the
kab/kota.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlmodel import Session, col, select

from app.clock import as_aware
from app.i18n import gettext as _
from app.models import (
    Answer,
    Evidence,
    Meeting,
    MeetingAgency,
    MeetingDocument,
    MeetingQuestion,
    User,
    saved_id,
    utcnow,
)
from app.refusals import Conflict, NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit, questions
from app.services import evidence as evidence_service
from app.services.questions import assessment_id
from app.services.taskforce.meeting_links import hold as _hold
from app.services.taskforce.meeting_links import made_links
from app.services.taskforce.meetings import MeetingInput, MeetingView, check

FIELDS = ("title", "kind", "held_on", "place", "agenda", "summary", "outside_participants", "agencies")


def stamp(meeting: Meeting) -> str:
    """When the meeting was last changed, as the edit form carries it ("" : never since recorded)."""
    if meeting.updated_at is None:
        return ""
    return as_aware(meeting.updated_at).isoformat(timespec="microseconds")


def as_input(session: Session, meeting: Meeting) -> MeetingInput:
    """The stored meeting as its edit form shows it."""
    return MeetingInput(title=meeting.title, kind=str(meeting.kind), held_on=meeting.held_on.isoformat(),
                        place=meeting.place, agenda=meeting.agenda, summary=meeting.summary,
                        outside=meeting.outside_participants,
                        agency_ids=[str(i) for i in _agency_ids(session, saved_id(meeting.id))])


def _agency_ids(session: Session, meeting_id: int) -> list[int]:
    return sorted(session.exec(select(MeetingAgency.agency_id).where(MeetingAgency.meeting_id == meeting_id)))


def _values(session: Session, meeting: Meeting) -> dict[str, object]:
    return {"title": meeting.title, "kind": str(meeting.kind), "held_on": meeting.held_on.isoformat(),
            "place": meeting.place, "agenda": meeting.agenda, "summary": meeting.summary,
            "outside_participants": meeting.outside_participants,
            "agencies": _agency_ids(session, saved_id(meeting.id))}


class MeetingConflict(Conflict):
    """Someone saved the meeting since the form was opened: `current` is what is stored now, `by`
    who saved it."""

    def __init__(self, current: Meeting, by: User | None) -> None:
        who = by.full_name or by.username if by is not None else _("someone")
        super().__init__(_("%(who)s changed this meeting while you were editing it: your changes are not saved. "
                           "What is saved now is shown above the form; check your changes and save again.")
                         % {"who": who})
        self.current, self.by = current, by


def edit(session: Session, view: MeetingView, meeting: Meeting, data: MeetingInput, seen: str) -> bool:
    """Save the meeting's fields as the form sent them (checked as recording checks them); False when
    they are what is stored (a double click, an unchanged form: no audit entry). `seen`: the stamp the
    form was opened with; another save since then is a `MeetingConflict`."""
    view.check_change(meeting)
    # Review s31: an agency closed since it took part is not offered by the form (the active ones are):
    # it stays a participant, and a stale form that still sends it is not refused for it.
    active = {saved_id(a.id) for a in view.agencies()}
    closed = {str(i) for i in _agency_ids(session, saved_id(meeting.id)) if i not in active}
    values = check(view, replace(data, agency_ids=[i for i in data.agency_ids if i.strip() not in closed]))
    _hold(session, meeting)
    if meeting.removed_at is not None:
        raise NotAllowed(_("This meeting has been removed: your changes are not saved."))
    before = _values(session, meeting)
    agencies = sorted({*values.agency_ids, *(i for i in _agency_ids(session, saved_id(meeting.id)) if i not in active)})
    after = {"title": values.title, "kind": str(values.kind), "held_on": values.held_on.isoformat(),
             "place": values.place, "agenda": values.agenda, "summary": values.summary,
             "outside_participants": values.outside_participants,
             "agencies": agencies}
    if before == after:
        return False
    if seen.strip() != stamp(meeting):
        raise MeetingConflict(meeting, session.get(User, meeting.updated_by) if meeting.updated_by else None)
    meeting.title, meeting.kind, meeting.held_on = values.title, values.kind, values.held_on
    meeting.place, meeting.agenda, meeting.summary = values.place, values.agenda, values.summary
    meeting.outside_participants = values.outside_participants
    meeting.updated_by, meeting.updated_at = saved_id(view.user.id), utcnow()
    session.add(meeting)
    meeting_id = saved_id(meeting.id)
    old, new = set(_agency_ids(session, meeting_id)), set(agencies)
    for row in session.exec(select(MeetingAgency).where(MeetingAgency.meeting_id == meeting_id,
                                                        col(MeetingAgency.agency_id).in_(old - new))):
        session.delete(row)
    for agency_id in sorted(new - old):
        session.add(MeetingAgency(meeting_id=meeting_id, agency_id=agency_id))
    audit.record(session, view.user, "meeting.edit", "meeting", meeting_id, regency_code=view.place.regency.code,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return True


# -- what goes with a document or the meeting ----------------------------------------------------------


@dataclass
class Plan:
    """What taking a document out, or removing the meeting, does: per question the evidence links it
    removes, and the questions where it may not (with the reason)."""

    codes: list[str] = field(default_factory=list)  # the questions the meeting serves
    links: dict[str, list[Evidence]] = field(default_factory=dict)  # per question, the links that go
    refused: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def files(self) -> int:
        return sum(len(found) for found in self.links.values())


def plan(session: Session, view: MeetingView, meeting: Meeting, documents: set[int] | None = None) -> Plan:
    """The links the meeting made (from `documents` only, if given) on each question it serves, and
    the questions whose files this user may not change now (read-only, or not its own)."""
    meeting_id, found = saved_id(meeting.id), Plan()
    rows = list(session.exec(select(MeetingQuestion).where(MeetingQuestion.meeting_id == meeting_id)))
    order = {code: n for n, code in enumerate(view.catalogue.questions)}
    rows.sort(key=lambda r: order.get(r.question_code, len(order)))
    own = set(view.linkable_codes())
    for row in rows:
        code = row.question_code
        found.codes.append(code)
        answer = answer_service.answer_at(session, assessment_id(view.place), code)
        links = made_links(session, view, meeting_id, row, answer.id if answer else None, documents)
        if not links or answer is None:
            continue
        found.answers[code] = answer
        if code not in own:
            found.refused.append((code, _("Only the DP3A can remove files from this question.")))
            continue
        try:
            questions.check_files_editable(view.place, view.user, answer,
                                           questions.is_reopened(session, answer) is not None, removing=True)
        except Refusal as refusal:
            found.refused.append((code, refusal.message))
            continue
        found.links[code] = links
    return found


class Blocked(Refusal):
    """The change would leave links it may not remove: `plan.refused` says where and why."""

    status = 409

    def __init__(self, message: str, found: Plan) -> None:
        super().__init__(message)
        self.plan = found


def _locked_plan(session: Session, view: MeetingView, meeting: Meeting, documents: set[int] | None) -> Plan:
    """The answers' rows, then the meeting's, held; the plan read again under them."""
    first = plan(session, view, meeting, documents)
    answer_service.lock_answers(session, list(first.answers.values()))
    _hold(session, meeting)
    return plan(session, view, meeting, documents) if meeting.removed_at is None else first


def _drop(session: Session, view: MeetingView, found: Plan) -> dict[str, list[str]]:
    removed: dict[str, list[str]] = {}
    for code, links in found.links.items():
        for evidence in links:
            evidence_service.remove(session, view.place.assessment, evidence, view.user)
            removed.setdefault(code, []).append(evidence.filename)
    return removed


def remove_document(session: Session, view: MeetingView, meeting: Meeting, document_id: int) -> bool:
    """Take a document out of the meeting: it stays in the library; the evidence links the meeting made
    from it go. False when it is not the meeting's (taken out already: a double click)."""
    view.check_change(meeting)
    meeting_id = saved_id(meeting.id)
    row = session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id,
                                                     MeetingDocument.document_id == document_id)).first()
    if row is None:
        return False
    view.library.entry(document_id)  # 404 for a document this user does not see
    found = _locked_plan(session, view, meeting, {document_id})
    if meeting.removed_at is not None:  # by another tab meanwhile (review s31: said, not a bare 404)
        raise NotAllowed(_("This meeting has been removed: nothing is changed."), code="meeting_removed")
    if found.refused:
        raise Blocked(_("The document cannot be taken out of the meeting now: its files on these questions "
                        "cannot be removed."), found)
    # Still the meeting's under the locks? (a second request waited for the first)
    if session.exec(select(MeetingDocument.id).where(MeetingDocument.id == row.id)).first() is None:
        return False
    removed = _drop(session, view, found)
    session.delete(row)
    audit.record(session, view.user, "meeting.document_remove", "meeting", meeting_id,
                 regency_code=view.place.regency.code,
                 before={"document": document_id, "role": str(row.role), "links": removed})
    return True


def remove(session: Session, view: MeetingView, meeting: Meeting) -> Plan | None:
    """Remove the meeting (a soft delete: see the module's text) and the evidence links it made; None
    when it was removed already (a second click, another tab)."""
    view.check_change(meeting)
    found = _locked_plan(session, view, meeting, None)
    if meeting.removed_at is not None:
        return None
    if found.refused:
        raise Blocked(_("The meeting cannot be removed now: its files on these questions cannot be removed."), found)
    removed = _drop(session, view, found)
    meeting.removed_at, meeting.removed_by = utcnow(), saved_id(view.user.id)
    session.add(meeting)
    audit.record(session, view.user, "meeting.remove", "meeting", saved_id(meeting.id),
                 regency_code=view.place.regency.code,
                 before={"title": meeting.title, "held_on": meeting.held_on.isoformat(), "questions": found.codes,
                         "links": removed})
    return found
