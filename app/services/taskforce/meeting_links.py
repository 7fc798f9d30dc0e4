"""A meeting's documents and the questions it serves, and what a question's card shows of them.

Linking a meeting to questions links each of its documents to each question's answer through the
library (`app.services.library.link_to`), so every rule of a link holds: the question's files may
change now (window, stage, reopening, a published year), a sensitive document goes onto sensitive
questions only, an agency links to its own questions. A document added later is linked to the
questions the meeting serves already. Unlinking removes the links the meeting made (those made at or
after the meeting was linked to that question, and not still wanted by another meeting linked there);
a file put on the question by hand before stays.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from fastapi import HTTPException
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app import sqlite_writer
from app.cache import RevisionCache
from app.clock import as_aware
from app.db import read_rows
from app.deps import Place
from app.i18n import N_
from app.i18n import gettext as _
from app.models import Answer, Assessment, AuditEntry, Document, Evidence, Reopening, saved_id, utcnow
from app.models.taskforce import Meeting, MeetingDocument, MeetingDocumentRole, MeetingQuestion
from app.refusals import NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit, library, questions, season
from app.services import evidence as evidence_service
from app.services.evidence import EvidenceAccess
from app.services.questions import assessment_id
from app.services.taskforce.meetings import MeetingView, kind_label

ROLE_LABELS: dict[MeetingDocumentRole, str] = {
    MeetingDocumentRole.MINUTES: N_("Minutes (notulen)"),
    MeetingDocumentRole.ATTENDANCE: N_("Attendance list (daftar hadir)"),
    MeetingDocumentRole.PHOTO: N_("Photo of the activity"),
    MeetingDocumentRole.INVITATION: N_("Invitation (undangan)"),
    MeetingDocumentRole.OTHER: N_("Other material"),
}


def role_label(role: str) -> str:
    try:
        return _(ROLE_LABELS[MeetingDocumentRole(role)])
    except (ValueError, KeyError):
        return str(role)


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, role_label(role)) for role in ROLE_LABELS]


def parse_role(raw: str) -> MeetingDocumentRole:
    try:
        return MeetingDocumentRole(raw.strip())
    except ValueError as exc:
        raise Refusal(_("Choose what the document is to the meeting.")) from exc


@dataclass
class Outcome:
    """What a link (or a document added) did: per question, which were linked now, which already, and
    which were refused with their reason (a document refused on one question names the document)."""

    linked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0  # evidence links made
    added: bool = False  # a document became the meeting's


def _meeting_documents(session: Session, meeting_id: int) -> list[int]:
    return list(session.exec(select(MeetingDocument.document_id).where(MeetingDocument.meeting_id == meeting_id)
                             .order_by(col(MeetingDocument.id))))


def _meeting_codes(session: Session, meeting_id: int) -> list[str]:
    return list(session.exec(select(MeetingQuestion.question_code).where(MeetingQuestion.meeting_id == meeting_id)
                             .order_by(col(MeetingQuestion.id))))


def hold(session: Session, meeting: Meeting) -> None:
    """Hold the meeting's row until the commit and read it as it is now (SQLite: the writer lock)."""
    query = sa_select(Meeting).where(col(Meeting.id) == meeting.id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(query.with_for_update()).all()
        return
    sqlite_writer.reserve(session.connection().connection.dbapi_connection)
    session.execute(query).all()


def still_live(session: Session, meeting: Meeting) -> None:
    """Review s31: a change read the meeting as live at its start; removed since (another tab), its
    links and documents would belong to a meeting no page shows, and nothing could take them out. Held
    after the answers (the app's order: answers, the meeting, the kab/kota) and checked again: refused."""
    hold(session, meeting)
    if meeting.removed_at is not None:
        raise NotAllowed(_("This meeting has been removed: nothing is changed."), code="meeting_removed")


def _ordinary_first(view: MeetingView, codes: list[str]) -> list[str]:
    """Ordinary questions before sensitive ones: a document's content enters the kab/kota on its first
    link, and one that entered on a sensitive question can go onto no ordinary one after."""
    order = {code: n for n, code in enumerate(view.catalogue.questions)}
    return sorted(codes, key=lambda c: (view.access.question_sensitive(c), order.get(c, len(order))))


def _link_documents(session: Session, view: MeetingView, document_ids: list[int], codes: list[str],
                    outcome: Outcome) -> None:
    """Link each document this user sees to each of `codes` through the library's rules."""
    if not codes:
        return
    for document_id in document_ids:
        try:
            entry = view.library.entry(document_id)
        except HTTPException:
            continue  # another agency's document not linked yet: its own agency or the DP3A links it
        result = library.link_to(session, view.library, entry, codes)
        outcome.files += len(result.linked)
        name = entry.document.title or entry.document.filename
        outcome.refused.extend((code, f"{name}: {why}") for code, why in result.refused)


def read_only_codes(session: Session, view: MeetingView, codes: list[str]) -> set[str]:
    """Of `codes`, those whose files this user may not change now (`questions.may_edit`, the rule `link`
    applies): the picker marks them, so nobody learns it only from the refusal."""
    if not codes:
        return set()
    if season.frozen(view.place.cycle):
        return set(codes)
    now = utcnow()
    rows = session.exec(select(Answer).where(Answer.assessment_id == assessment_id(view.place),
                                             col(Answer.question_code).in_(codes))).all()
    reopened = set(session.exec(select(Reopening.answer_id).where(
        col(Reopening.answer_id).in_([a.id for a in rows]), Reopening.open_at(now))))
    answers = {a.question_code: a for a in rows}
    return {code for code in codes
            if not questions.may_edit(view.place, view.user, answers.get(code),
                                      code in answers and answers[code].id in reopened)}


def link(session: Session, view: MeetingView, meeting: Meeting, codes: list[str]) -> Outcome:
    """Link the meeting to each of `codes` in one step: a `MeetingQuestion` row each, and each of its
    documents as evidence of that question's answer. A question linked already is skipped (the same
    form twice changes nothing); a question whose files may not change now is refused and not linked."""
    view.check_change(meeting)
    wanted = list(dict.fromkeys(code for code in codes if code))
    if not wanted:
        raise Refusal(_("Choose at least one question."))
    if len(wanted) > library.MAX_CODES_PER_LINK:
        raise Refusal(_("At most %(n)s questions at once.") % {"n": library.MAX_CODES_PER_LINK})
    if not set(wanted) <= set(view.linkable_codes()):
        raise HTTPException(404)  # not a question of this user's: as if it did not exist
    meeting_id, outcome = saved_id(meeting.id), Outcome()
    known = set(_meeting_codes(session, meeting_id))
    fresh: list[str] = []
    for code in _ordinary_first(view, wanted):
        if code in known:
            outcome.already.append(code)
            continue
        answer = answer_service.answer_at(session, assessment_id(view.place), code)
        try:
            questions.check_files_editable(view.place, view.user, answer,
                                           questions.is_reopened(session, answer) is not None)
        except Refusal as refusal:
            outcome.refused.append((code, refusal.message))
            continue
        session.add(MeetingQuestion(meeting_id=meeting_id, question_code=code, linked_by=saved_id(view.user.id)))
        fresh.append(code)
    session.flush()
    _link_documents(session, view, _meeting_documents(session, meeting_id), fresh, outcome)
    outcome.linked = fresh
    still_live(session, meeting)
    if fresh:
        audit.record(session, view.user, "meeting.link", "meeting", meeting_id, regency_code=view.place.regency.code,
                     after={"questions": fresh, "files": outcome.files})
    return outcome


def unlink(session: Session, view: MeetingView, meeting: Meeting, code: str) -> bool:
    """Unlink the meeting from one question and remove the evidence links it made there; False when
    it was not linked (a double click)."""
    view.check_change(meeting)
    if code not in set(view.linkable_codes()):
        raise HTTPException(404)
    meeting_id = saved_id(meeting.id)
    row = session.exec(select(MeetingQuestion).where(MeetingQuestion.meeting_id == meeting_id,
                                                     MeetingQuestion.question_code == code)).first()
    if row is None:
        return False
    answer = answer_service.answer_at(session, assessment_id(view.place), code)
    removed: list[str] = []
    if answer is not None:
        answer_service.lock_answers(session, [answer])
        questions.check_files_editable(view.place, view.user, answer,
                                       questions.is_reopened(session, answer) is not None, removing=True)
        for evidence in made_links(session, view, meeting_id, row, answer.id):
            evidence_service.remove(session, view.place.assessment, evidence, view.user)
            removed.append(evidence.filename)
    still_live(session, meeting)
    session.delete(row)
    audit.record(session, view.user, "meeting.unlink", "meeting", meeting_id, regency_code=view.place.regency.code,
                 before={"question": code, "files": removed})
    return True


def made_links(session: Session, view: MeetingView, meeting_id: int, row: MeetingQuestion, answer_id: int | None,
               documents: set[int] | None = None) -> list[Evidence]:
    """The current evidence links the meeting made on `row`'s question (of `documents` only, if given):
    per document, the first link there made since the meeting linked it (the later of the question's
    link and the document becoming the meeting's), if still current and if no link of it was current
    then, and not still wanted by another live meeting linked there. A link made by hand before, or made
    again by hand after the meeting's was removed, stays: it is not the meeting's (unlinking, removing a
    document or the meeting)."""
    if answer_id is None:
        return []
    # Documents another meeting linked to this question still wants stay linked.
    others = set(session.exec(select(MeetingDocument.document_id)
                              .join(MeetingQuestion, col(MeetingQuestion.meeting_id) == col(MeetingDocument.meeting_id))
                              .join(Meeting, col(Meeting.id) == col(MeetingDocument.meeting_id))
                              .where(MeetingQuestion.question_code == row.question_code,
                                     MeetingQuestion.meeting_id != meeting_id,
                                     Meeting.assessment_id == assessment_id(view.place),
                                     col(Meeting.removed_at).is_(None))))
    mine = set(_meeting_documents(session, meeting_id)) - others
    if documents is not None:
        mine &= documents
    if not mine:
        return []
    joined = _joined_at(session, meeting_id)
    history: dict[int, list[Evidence]] = defaultdict(list)
    for evidence in session.exec(select(Evidence).where(Evidence.answer_id == answer_id,
                                                        col(Evidence.document_id).in_(mine)).order_by(col(Evidence.id))):
        history[evidence.document_id or 0].append(evidence)
    found = []
    for document_id, rows in sorted(history.items()):
        # The moment the meeting linked this document here: when it was linked to the question, or
        # when the document became the meeting's, whichever is later.
        mark = max(as_aware(row.linked_at), joined.get(document_id, as_aware(row.linked_at)))
        # Review i24: linked already then (by hand, before), the meeting made nothing: that link stays.
        if any(as_aware(e.uploaded_at) < mark and (e.removed_at is None or as_aware(e.removed_at) > mark)
               for e in rows):
            continue
        # Review s31: the meeting's link is the first one made since; removed by hand, a later link of
        # the same document (made again by hand) is not the meeting's either, and stays.
        made = next((e for e in rows if as_aware(e.uploaded_at) >= mark), None)
        if made is not None and made.removed_at is None:
            found.append(made)
    return sorted(found, key=lambda e: e.id or 0)


def _joined_at(session: Session, meeting_id: int) -> dict[int, datetime]:
    """When each document became the meeting's (the "joined_at" its audit entry carries; a document
    added before that was recorded, or by the demo, has none: only the question's link time counts)."""
    joined: dict[int, datetime] = {}
    for after in session.exec(select(AuditEntry.after).where(
            AuditEntry.action == "meeting.document", AuditEntry.entity == "meeting",
            AuditEntry.entity_id == str(meeting_id)).order_by(col(AuditEntry.id))):  # a document added again: its latest
        if not after:
            continue
        try:
            joined[int(after["document"])] = as_aware(datetime.fromisoformat(after["joined_at"]))
        except (TypeError, KeyError, ValueError):
            continue
    return joined


def add_document(session: Session, view: MeetingView, meeting: Meeting, document_id: int,
                 role: MeetingDocumentRole) -> Outcome:
    """Make a library document (one this user sees) one of the meeting's, and link it to the questions
    the meeting serves already. The same document twice changes nothing."""
    view.check_change(meeting)
    entry = view.library.entry(document_id)  # 404 for a document this user does not see
    meeting_id, outcome = saved_id(meeting.id), Outcome()
    if session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id,
                                                  MeetingDocument.document_id == document_id)).first() is not None:
        return outcome
    joined_at = utcnow()  # before its links are made: `unlink` tells the meeting's links from older ones
    session.add(MeetingDocument(meeting_id=meeting_id, document_id=document_id, role=role))
    session.flush()
    own = set(view.linkable_codes())
    codes = _ordinary_first(view, [c for c in _meeting_codes(session, meeting_id) if c in own])
    editable = []
    for code in codes:
        answer = answer_service.answer_at(session, assessment_id(view.place), code)
        if questions.may_edit(view.place, view.user, answer, questions.is_reopened(session, answer) is not None):
            editable.append(code)
        else:
            outcome.refused.append((code, _("This answer is read-only: files cannot be added now.")))
    _link_documents(session, view, [document_id], editable, outcome)
    still_live(session, meeting)
    audit.record(session, view.user, "meeting.document", "meeting", meeting_id, regency_code=view.place.regency.code,
                 after={"document": document_id, "role": str(role), "file": entry.document.filename,
                        "questions": outcome.files, "joined_at": joined_at.isoformat()})
    outcome.added = True
    return outcome


# -- on a question's card ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Brief:
    """A meeting as a question's card lists it."""

    id: int
    title: str
    kind: str
    held_on: date
    sensitive_links: bool  # linked to some sensitive question: the DP3A's only
    shas: tuple[str, ...]  # its documents' contents (a sensitive one: the DP3A's only)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


_cache = RevisionCache(size=64)


def by_question(session: Session, assessment: Assessment, sensitive: frozenset[str]) -> dict[str, list[Brief]]:
    """Every live meeting of the assessment by the questions it serves, newest first (two reads,
    cached per revision: linking, unlinking and adding a document are audited, which bumps it)."""
    key = (assessment.id, assessment.revision, hash(sensitive))
    return _cache.get(session.get_bind(), key, lambda: _read(session, saved_id(assessment.id), sensitive))


def _read(session: Session, assessment_id: int, sensitive: frozenset[str]) -> dict[str, list[Brief]]:
    rows = read_rows(session, sa_select(col(MeetingQuestion.question_code), col(Meeting.id), col(Meeting.title),
                                        col(Meeting.kind), col(Meeting.held_on))
                     .join(Meeting, col(Meeting.id) == col(MeetingQuestion.meeting_id))
                     .where(col(Meeting.assessment_id) == assessment_id, col(Meeting.removed_at).is_(None))
                     .order_by(col(Meeting.held_on).desc(), col(Meeting.id).desc())).all()
    shas: dict[int, list[str]] = defaultdict(list)
    for meeting_id, sha256 in read_rows(session, sa_select(col(MeetingDocument.meeting_id), col(Document.sha256))
                                        .join(Document, col(Document.id) == col(MeetingDocument.document_id))
                                        .join(Meeting, col(Meeting.id) == col(MeetingDocument.meeting_id))
                                        .where(col(Meeting.assessment_id) == assessment_id)).all():
        shas[meeting_id].append(sha256)
    linked_sensitive = {meeting_id for code, meeting_id, *_rest in rows if code in sensitive}
    found: dict[str, list[Brief]] = defaultdict(list)
    for code, meeting_id, title, kind, held_on in rows:
        found[code].append(Brief(meeting_id, title, str(kind), held_on, meeting_id in linked_sensitive,
                                 tuple(shas.get(meeting_id, ()))))
    return dict(found)


def on_card(session: Session, place: Place, access: EvidenceAccess, code: str) -> list[Brief]:
    """The meetings a question's card lists for this user: those it may open (`MeetingView`'s rule)."""
    sensitive = frozenset(c for c, ref in access.catalogue.questions.items() if ref.question.sensitive)
    found = by_question(session, place.assessment, sensitive).get(code, [])
    if access.sees_sensitive:
        return found
    return [b for b in found if not b.sensitive_links and not any(access.content_sensitive(s) for s in b.shas)]
