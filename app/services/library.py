"""The document library of one assessment as one user sees it: which documents, linked to which of
its questions, searched by kind, year and text; linking a document to questions, unlinking it,
and uploading one straight into the library (the rules of the documents themselves:
`app.services.documents`).

Who sees a document is `EvidenceAccess`'s rule over its links (each a current `Evidence` row): it
is visible when one of its links is, or, with no current link, to the DP3A and to its uploader's
agency (unless one of its earlier links was on a sensitive question). A focal point never sees a
sensitive one. Links a user may not see are neither named nor counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException
from sqlmodel import Session, col, select

from app.deps import Place
from app.evidence import StoredFile, safe_filename
from app.i18n import gettext as _
from app.models import Answer, Document, Evidence, Role, User, saved_id
from app.refusals import Conflict, NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit, documents, questions, season
from app.services import evidence as evidence_service
from app.services.evidence import EvidenceAccess, sensitive_refusal
from app.services.locks import hold
from app.services.questions import assessment_id
from indicators import Catalogue

MAX_CODES_PER_LINK = 60


@dataclass
class Link:
    """A current link of a document that this user may see: the file on one question."""

    evidence: Evidence
    code: str


@dataclass
class Entry:
    document: Document
    links: list[Link] = field(default_factory=list)  # the visible current links, in catalogue order
    all_links: int = 0  # every current link, visible or not (never shown: only for the rules)
    kind_label: str = ""

    @property
    def codes(self) -> list[str]:
        return [link.code for link in self.links]


class LibraryView:
    """What one user sees of one assessment's library (`EvidenceAccess` decides for each link)."""

    def __init__(self, session: Session, catalogue: Catalogue, user: User, place: Place) -> None:
        self.session, self.catalogue, self.user, self.place = session, catalogue, user, place
        self.access = EvidenceAccess.of(session, catalogue, user, place)

    def _documents(self, document_id: int | None = None) -> list[Document]:
        query = select(Document).where(Document.assessment_id == assessment_id(self.place),
                                       col(Document.removed_at).is_(None))
        if document_id is not None:
            query = query.where(Document.id == document_id)
        return list(self.session.exec(query.order_by(col(Document.id).desc())))

    def _links(self, ids: list[int]) -> dict[int, list[tuple[Evidence, str]]]:
        """Every link (current and removed) of these documents, with its question's code."""
        found: dict[int, list[tuple[Evidence, str]]] = defaultdict(list)
        if not ids:
            return found
        rows = self.session.exec(select(Evidence, Answer.question_code)
                                 .join(Answer, col(Answer.id) == col(Evidence.answer_id))
                                 .where(col(Evidence.document_id).in_(ids),
                                        Answer.assessment_id == assessment_id(self.place)))
        for evidence, code in rows:
            found[saved_id(evidence.document_id)].append((evidence, code))
        return found

    def _entry(self, document: Document, links: list[tuple[Evidence, str]]) -> Entry | None:
        current = [(e, code) for e, code in links if e.removed_at is None]
        order = {code: index for index, code in enumerate(self.catalogue.questions)}
        visible = sorted((Link(e, code) for e, code in current if self.access.may_see(e, code)),
                         key=lambda link: order.get(link.code, len(order)))
        entry = Entry(document, visible, len(current), documents.kind_label(document.kind))
        if visible:
            return entry
        if current or self.user.role not in (Role.OPD, Role.DP3A):
            return None  # linked, but to nothing this user may see
        if self.user.role == Role.DP3A:
            return entry
        if document.agency_id != self.user.agency_id or self.access.content_sensitive(document.sha256):
            return None
        if any(self.access.question_sensitive(code) for _e, code in links):
            return None  # it was on a sensitive question: it may name a child
        return entry

    def entries(self, *, kind: str | None = None, year: int | None = None, text: str = "") -> list[Entry]:
        """The documents this user sees, newest first, filtered by kind, year and text (in the
        title, number, issuer or file name)."""
        docs = self._documents()
        links = self._links([saved_id(d.id) for d in docs])
        needle = " ".join(text.split()).casefold()
        result = []
        for document in docs:
            if kind and document.kind != kind:
                continue
            if year is not None and document.year != year:
                continue
            if needle and needle not in " ".join((document.title, document.number, document.issuer,
                                                  document.filename)).casefold():
                continue
            entry = self._entry(document, links.get(saved_id(document.id), []))
            if entry is not None:
                result.append(entry)
        return result

    def entry(self, document_id: int) -> Entry:
        """One document this user sees; any other id (another kab/kota's, a sensitive one, none)
        is the same 404, naming nothing."""
        docs = self._documents(document_id) if 0 < document_id <= 2**31 - 1 else []
        entry = self._entry(docs[0], self._links([document_id]).get(document_id, [])) if docs else None
        if entry is None:
            raise HTTPException(404, _("There is no such document here."))
        return entry

    def years(self) -> list[int]:
        return sorted({e.document.year for e in self.entries() if e.document.year is not None}, reverse=True)

    def may_change(self, entry: Entry) -> bool:
        """Whether its metadata may change now: the answers of its questions may (a document with no
        link: while this user may answer at all); never in a year whose award list is published."""
        if season.frozen(self.place.cycle):
            return False
        if not entry.links:
            return self.may_upload()
        for link in entry.links:
            answer = self.session.get(Answer, link.evidence.answer_id)
            if questions.may_edit(self.place, self.user, answer, questions.is_reopened(self.session, answer) is not None):
                return True
        return False

    def may_upload(self) -> bool:
        """Whether documents may be added to the library now: while this user may answer questions."""
        return not season.frozen(self.place.cycle) and questions.may_edit(self.place, self.user, None)

    def own_codes(self) -> list[str]:
        """The questions this user may link documents to, in catalogue order."""
        if self.user.role == Role.DP3A:
            return list(self.catalogue.questions)
        mine = questions.assigned_codes(self.session, assessment_id(self.place), self.user.agency_id)
        return [code for code in self.catalogue.questions if code in mine]


# -- linking -----------------------------------------------------------------------------------------


@dataclass
class LinkResult:
    linked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (code, why)


def link_to(session: Session, view: LibraryView, entry: Entry, codes: list[str]) -> LinkResult:
    """Link a document to each of `codes` (the user's own questions), skipping those it is already
    on; a question whose files may not change, or a sensitive document on an ordinary question,
    is refused with its reason, and the others are linked."""
    place, user = view.place, view.user
    answer_service.check_not_frozen(place.cycle)
    wanted = list(dict.fromkeys(code for code in codes if code))
    if not wanted:
        raise Refusal(_("Choose at least one question."))
    if len(wanted) > MAX_CODES_PER_LINK:
        raise Refusal(_("At most %(n)s questions at once.") % {"n": MAX_CODES_PER_LINK})
    own = set(view.own_codes())
    if any(code not in own for code in wanted):
        raise HTTPException(404)  # not a question of this user's: as if it did not exist
    document = entry.document
    result = LinkResult()
    existing = {code: answer_service.answer_at(session, assessment_id(place), code) for code in wanted}
    answer_service.lock_answers(session, [a for a in existing.values() if a is not None])
    for code in wanted:
        answer = existing[code]
        if not view.access.may_attach(document.sha256, code):
            result.refused.append((code, sensitive_refusal()))
            continue
        try:
            questions.check_files_editable(place, user, answer, questions.is_reopened(session, answer) is not None)
        except Refusal as refusal:
            result.refused.append((code, refusal.message))
            continue
        if answer is None:
            answer = Answer(assessment_id=assessment_id(place), question_code=code, updated_by=user.id)
            session.add(answer)
            session.flush()
        if evidence_service.already_attached(session, saved_id(answer.id), document.sha256):
            result.already.append(code)
            continue
        evidence = documents.link(session, saved_id(answer.id), document, user)
        view.access.attached()  # a first link to a sensitive question makes the content sensitive
        audit.record(session, user, "document.link", "evidence", evidence.id, regency_code=place.regency.code,
                     after={"question": code, "document": document.id, "file": evidence.filename})
        result.linked.append(code)
    return result


def unlink(session: Session, view: LibraryView, entry: Entry, evidence_id: int) -> str | None:
    """Remove one link of this document (as `evidence.remove` does: the row stays, marked removed);
    the question's code, or None when it was removed already (a double click)."""
    place, user = view.place, view.user
    found = next((link for link in entry.links if link.evidence.id == evidence_id), None)
    if found is None:
        evidence = session.get(Evidence, evidence_id) if 0 < evidence_id <= 2**31 - 1 else None
        if evidence is not None and evidence.document_id == entry.document.id and evidence.removed_at is not None:
            answer = session.get(Answer, evidence.answer_id)
            if answer is not None and view.access.may_see(evidence, answer.question_code):
                return None
        raise HTTPException(404, _("There is no such evidence file here."))
    answer = session.get(Answer, found.evidence.answer_id)
    assert answer is not None  # a foreign key
    answer_service.lock_answers(session, [answer])
    questions.check_files_editable(place, user, answer, questions.is_reopened(session, answer) is not None,
                                   removing=True)
    evidence_service.remove(session, place.assessment, found.evidence, user)
    return found.code


# -- uploading into the library ---------------------------------------------------------------------


def upload(session: Session, view: LibraryView, stored: StoredFile, original_name: str, path: Path) -> Document:
    """A file uploaded straight into the library: its document (the same content twice is one),
    with its metadata read from the file, linked to nothing yet."""
    place, user = view.place, view.user
    answer_service.check_not_frozen(place.cycle)
    if not questions.may_edit(place, user, None):
        raise NotAllowed(_("The answering window is closed. Ask your DP3A to reopen it."))
    if user.role == Role.OPD and view.access.content_sensitive(stored.sha256):
        raise Refusal(sensitive_refusal())
    evidence_service.register(session, stored)
    filename = safe_filename(original_name, stored.extension)
    hold(session, place.assessment)  # two uploads of one file at once: the second finds the first's document
    known = documents.live_document(session, assessment_id(place), stored.sha256)
    document = known or documents.library_document(session, assessment_id(place), stored.sha256, filename, user)
    try:
        view.entry(saved_id(document.id))
    except HTTPException as exc:  # the same bytes are a document this user does not see (another agency's)
        raise Conflict(_("This file is in the library already, as a document of the DP3A or of another agency: "
                         "ask your DP3A to link it where you need it.")) from exc
    if known is not None:
        return document  # the same content uploaded again: it is that document, nothing changed
    documents.prefill_from_file(session, document.id, path, stored.kind)
    audit.record(session, user, "document.upload", "document", document.id, regency_code=place.regency.code,
                 after={"file": filename, "sha256": stored.sha256, "size": stored.size})
    return document
