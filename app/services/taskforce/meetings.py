"""Meetings and activities of the Gugus Tugas (rapat koordinasi, sosialisasi, pelatihan KHA ...): who
sees and records which, and recording one. Their documents and the questions they serve:
`app.services.taskforce.meeting_links`.

Who: the kab/kota's DP3A records and changes any meeting; an agency (OPD) records meetings and
changes those its agency recorded; every account of the kab/kota reads them. A meeting linked to a
sensitive question, or holding a document whose content is sensitive (`EvidenceAccess`: it can name
child victims), is the DP3A's only: an agency neither sees it nor learns it exists.

A published year (`cycle.published_at`) is read-only here too: its meetings are the evidence the
award was given on, and linking them would change answers the award list stands on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from fastapi import HTTPException
from sqlmodel import Session, col, select

from app.deps import Place
from app.i18n import N_
from app.i18n import gettext as _
from app.models import Agency, Document, Role, User, saved_id, utcnow
from app.models.taskforce import Meeting, MeetingAgency, MeetingDocument, MeetingKind, MeetingQuestion
from app.refusals import NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit, documents, season
from app.services.evidence import EvidenceAccess
from app.services.library import Entry, LibraryView
from app.services.questions import assessment_id
from indicators import Catalogue

KIND_LABELS: dict[MeetingKind, str] = {
    MeetingKind.COORDINATION: N_("Coordination meeting of the Gugus Tugas"),
    MeetingKind.TPPO: N_("Coordination meeting on preventing TPPO and protecting children"),
    MeetingKind.SOCIALISATION: N_("Socialisation (sosialisasi)"),
    MeetingKind.TRAINING: N_("KHA training (pelatihan KHA)"),
    MeetingKind.MONITORING: N_("Monitoring and evaluation"),
    MeetingKind.CHILD_FORUM: N_("Consultation with children / Forum Anak"),
    MeetingKind.OTHER: N_("Other activity"),
}
# Bodies outside the kab/kota's agencies that take part most often (the list): offered as
# suggestions, never required.
OUTSIDE_SUGGESTIONS = ("Polres", "Kejaksaan Negeri", "Pengadilan Agama", "Forum Anak", "TP-PKK",
                       "Kantor Kementerian Agama", "Lembaga masyarakat / LSM", "Dunia usaha")
LIMITS = {"title": 300, "place": 200, "agenda": 4000, "summary": 4000, "outside": 2000}
EARLIEST = date(2000, 1, 1)


def kind_label(kind: str) -> str:
    try:
        return _(KIND_LABELS[MeetingKind(kind)])
    except (ValueError, KeyError):
        return str(kind)


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, kind_label(kind)) for kind in MeetingKind]


# -- what one user sees ------------------------------------------------------------------------------


@dataclass
class Record:
    """A meeting as a page shows it: its agencies, the documents this user sees (with their role), how
    many it does not, and the questions it serves."""

    meeting: Meeting
    agencies: list[Agency] = field(default_factory=list)
    documents: list[tuple[Entry, str]] = field(default_factory=list)  # (library entry, MeetingDocumentRole)
    unseen_documents: int = 0  # documents this user does not see (another agency's, not linked yet)
    codes: list[str] = field(default_factory=list)  # in catalogue order

    @property
    def kind_label(self) -> str:
        return kind_label(self.meeting.kind)

    @property
    def outside(self) -> list[str]:
        return [line for line in self.meeting.outside_participants.splitlines() if line.strip()]


class MeetingView:
    """The meetings of one assessment as one user (of the kab/kota: the route's guard) sees them."""

    def __init__(self, session: Session, catalogue: Catalogue, user: User, place: Place) -> None:
        self.session, self.catalogue, self.user, self.place = session, catalogue, user, place
        self.library = LibraryView(session, catalogue, user, place)
        self.access: EvidenceAccess = self.library.access

    def _rows(self, meeting_id: int | None = None, *, removed: bool = False) -> list[Meeting]:
        query = select(Meeting).where(Meeting.assessment_id == assessment_id(self.place),
                                      col(Meeting.removed_at).is_not(None) if removed else col(Meeting.removed_at).is_(None))
        if meeting_id is not None:
            query = query.where(Meeting.id == meeting_id)
        return list(self.session.exec(query.order_by(col(Meeting.held_on).desc(), col(Meeting.id).desc())))

    def _codes(self, ids: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for meeting_id, code in self.session.exec(select(MeetingQuestion.meeting_id, MeetingQuestion.question_code)
                                                      .where(col(MeetingQuestion.meeting_id).in_(ids))):
                found[meeting_id].append(code)
        order = {code: n for n, code in enumerate(self.catalogue.questions)}
        return {i: sorted(codes, key=lambda c: order.get(c, len(order))) for i, codes in found.items()}

    def _shas(self, ids: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for meeting_id, sha256 in self.session.exec(
                    select(MeetingDocument.meeting_id, Document.sha256)
                    .join(Document, col(Document.id) == col(MeetingDocument.document_id))
                    .where(col(MeetingDocument.meeting_id).in_(ids))):
                found[meeting_id].append(sha256)
        return found

    def _visible(self, codes: list[str], shas: list[str]) -> bool:
        if self.access.sees_sensitive:
            return True
        return not any(self.access.question_sensitive(c) for c in codes) and not any(
            self.access.content_sensitive(s) for s in shas)

    def meetings(self, *, kind: str | None = None, year: int | None = None) -> list[Record]:
        """The meetings this user sees, newest first, by kind and by the year they were held."""
        rows = [m for m in self._rows() if (kind is None or m.kind == kind) and (year is None or m.held_on.year == year)]
        ids = [saved_id(m.id) for m in rows]
        codes, shas = self._codes(ids), self._shas(ids)
        return [Record(m, codes=codes[saved_id(m.id)]) for m in rows
                if self._visible(codes[saved_id(m.id)], shas[saved_id(m.id)])]

    def years(self) -> list[int]:
        """The years of the meetings this user sees (a meeting hidden from it names no year either)."""
        return sorted({r.meeting.held_on.year for r in self.meetings()}, reverse=True)

    def record(self, meeting_id: int) -> Record:
        """One meeting with its agencies, documents and questions; any other id (another kab/kota's,
        one linked to a sensitive question for an agency, none) is the same 404."""
        rows = self._rows(meeting_id) if 0 < meeting_id <= 2**31 - 1 else []
        if not rows:
            raise HTTPException(404, _("There is no such meeting here."))
        meeting = rows[0]
        codes = self._codes([meeting_id])[meeting_id]
        if not self._visible(codes, self._shas([meeting_id])[meeting_id]):
            raise HTTPException(404, _("There is no such meeting here."))
        found = Record(meeting, codes=codes)
        self._fill(found)
        return found

    def sees(self, meeting: Meeting) -> bool:
        """Whether this user may know of the meeting (`_visible` on its questions and documents)."""
        meeting_id = saved_id(meeting.id)
        return self._visible(self._codes([meeting_id])[meeting_id], self._shas([meeting_id])[meeting_id])

    def removed(self, meeting_id: int) -> Meeting | None:
        """A removed meeting of this kab/kota this user could see when it was live (its rows stay:
        `meeting_changes.remove`); None for any other id, so a second removal says "already removed"
        to those it may tell and a 404 to anyone else."""
        rows = self._rows(meeting_id, removed=True) if 0 < meeting_id <= 2**31 - 1 else []
        return rows[0] if rows and self.sees(rows[0]) else None

    def _fill(self, found: Record) -> None:
        meeting_id = saved_id(found.meeting.id)
        found.agencies = list(self.session.exec(
            select(Agency).join(MeetingAgency, col(MeetingAgency.agency_id) == col(Agency.id))
            .where(MeetingAgency.meeting_id == meeting_id).order_by(Agency.short_name)))
        for link in self.session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id)
                                      .order_by(col(MeetingDocument.id))):
            try:
                found.documents.append((self.library.entry(link.document_id), str(link.role)))
            except HTTPException:
                found.unseen_documents += 1

    # -- rights --------------------------------------------------------------------------------------

    def may_record(self) -> bool:
        return not season.frozen(self.place.cycle) and self.user.role in (Role.DP3A, Role.OPD)

    def may_change(self, meeting: Meeting) -> bool:
        """Add documents, link and unlink: the DP3A any meeting, an agency those its agency recorded."""
        if not self.may_record():
            return False
        if self.user.role == Role.DP3A:
            return True
        author = self.session.get(User, meeting.created_by)
        return author is not None and author.agency_id is not None and author.agency_id == self.user.agency_id

    def check_change(self, meeting: Meeting) -> None:
        answer_service.check_not_frozen(self.place.cycle)
        if not self.may_change(meeting):
            raise NotAllowed(_("Only the DP3A and the agency that recorded this meeting can change it."))

    def linkable_codes(self) -> list[str]:
        """The questions this user may link meetings to: the DP3A any; an agency its own questions,
        except sensitive ones (never named to an agency: the meeting would then vanish for it)."""
        return [code for code in self.library.own_codes()
                if self.user.role == Role.DP3A or not self.access.question_sensitive(code)]

    def agencies(self) -> list[Agency]:
        """The kab/kota's active agencies, for the participants' checkboxes."""
        return list(self.session.exec(select(Agency).where(Agency.regency_code == self.place.regency.code,
                                                           col(Agency.active).is_(True)).order_by(Agency.short_name)))


# -- recording ---------------------------------------------------------------------------------------


@dataclass
class MeetingInput:
    """The form as typed: `create` checks it."""

    title: str = ""
    kind: str = MeetingKind.COORDINATION.value
    held_on: str = ""
    place: str = ""
    agenda: str = ""
    summary: str = ""
    outside: str = ""
    agency_ids: list[str] = field(default_factory=list)


def latest_date() -> date:
    """The latest date a meeting may bear: today in Indonesia's easternmost zone (WIT, UTC+9), so a
    meeting held this morning in Jayapura is not refused. A meeting is recorded once held: it is
    evidence of what happened, and a planned one belongs to the RAD KLA."""
    return (utcnow() + timedelta(hours=9)).date()


def _text(value: str, limit: int, label: str, *, lines: bool = False) -> str:
    text = "\n".join(" ".join(line.split()) for line in value.splitlines()).strip() if lines else " ".join(value.split())
    if len(text) > limit:
        raise Refusal(_("%(field)s is too long: at most %(n)s characters.") % {"field": label, "n": limit})
    return text


@dataclass(frozen=True)
class Checked:
    """The meeting's values as `check` accepted them."""

    title: str
    kind: MeetingKind
    held_on: date
    place: str
    agenda: str
    summary: str
    outside_participants: str
    agency_ids: list[int]


def check(view: MeetingView, data: MeetingInput) -> Checked:
    """The meeting's values, or a `Refusal` saying what is wrong (the form comes back with it)."""
    title = _text(data.title, LIMITS["title"], _("The title"))
    if not title:
        raise Refusal(_("Write the meeting's title."))
    try:
        kind = MeetingKind(data.kind.strip())
    except ValueError as exc:
        raise Refusal(_("Choose the kind of meeting from the list.")) from exc
    if not data.held_on.strip():
        raise Refusal(_("Write the date the meeting was held."))
    held_on = documents.parse_date(data.held_on, _("The meeting's date"))
    assert held_on is not None  # not empty
    if held_on < EARLIEST:
        raise Refusal(_("The meeting's date cannot be before %(year)s.") % {"year": EARLIEST.year})
    if held_on > latest_date():
        raise Refusal(_("The meeting's date is in the future: record a meeting once it has been held."))
    own = {saved_id(a.id) for a in view.agencies()}
    chosen = {int(i) for i in data.agency_ids if i.isascii() and i.isdigit() and len(i) < 10}
    if not chosen <= own:
        raise Refusal(_("Choose the agencies from the list."))
    outside = list(dict.fromkeys(line for line in _text(data.outside, LIMITS["outside"], _("Other participants"),
                                                         lines=True).splitlines() if line))
    return Checked(title=title, kind=kind, held_on=held_on,
                   place=_text(data.place, LIMITS["place"], _("The place")),
                   agenda=_text(data.agenda, LIMITS["agenda"], _("The agenda"), lines=True),
                   summary=_text(data.summary, LIMITS["summary"], _("The summary"), lines=True),
                   outside_participants="\n".join(outside), agency_ids=sorted(chosen))


def create(session: Session, view: MeetingView, data: MeetingInput) -> Meeting:
    """Record a meeting. The same form sent twice (a double click) is one meeting: a meeting of this
    kab/kota with the same title, kind and date recorded by the same user is returned as it is."""
    answer_service.check_not_frozen(view.place.cycle)
    if not view.may_record():
        raise NotAllowed(_("Only the DP3A and the agencies of the kab/kota record meetings."))
    values = check(view, data)
    agency_ids = values.agency_ids
    same = session.exec(select(Meeting).where(
        Meeting.assessment_id == assessment_id(view.place), Meeting.title == values.title,
        Meeting.kind == values.kind, Meeting.held_on == values.held_on, Meeting.created_by == view.user.id,
        col(Meeting.removed_at).is_(None))).first()
    if same is not None and view.sees(same):  # one hidden from this user since is not named to it: a new one
        return same
    meeting = Meeting(assessment_id=assessment_id(view.place), created_by=saved_id(view.user.id), title=values.title,
                      kind=values.kind, held_on=values.held_on, place=values.place, agenda=values.agenda,
                      summary=values.summary, outside_participants=values.outside_participants)
    session.add(meeting)
    session.flush()
    for agency_id in agency_ids:
        session.add(MeetingAgency(meeting_id=saved_id(meeting.id), agency_id=agency_id))
    audit.record(session, view.user, "meeting.create", "meeting", meeting.id, regency_code=view.place.regency.code,
                 after={"title": meeting.title, "kind": str(meeting.kind), "held_on": meeting.held_on.isoformat(),
                        "agencies": agency_ids})
    return meeting


def outside_suggestions(view: MeetingView) -> list[str]:
    """The usual outside bodies, then those written on the kab/kota's meetings this user sees (a
    meeting hidden from an agency must not name its participants to it, nor a removed one)."""
    written = [line.strip() for record in view.meetings() for line in record.outside]
    return list(dict.fromkeys([*OUTSIDE_SUGGESTIONS, *sorted(written)]))[:40]
