"""Putting files the store has accepted onto a question: one path for the plain upload form
(app.routes.evidence) and the resumable upload (app.tus, issue 25), so both refuse, attach and audit
alike. The caller has already checked the question (`questions.open_question`, `check_upload`) and
stored the bytes (`EvidenceStore`); the route commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from app.deps import Place
from app.evidence import EvidenceStore, RefusedFile, StoredFile, refusal_message
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import Answer, Document, User, saved_id
from app.services import answers as answer_service
from app.services import documents
from app.services import evidence as evidence_service
from app.services.evidence import EvidenceAccess, sensitive_refusal
from app.services.questions import assessment_id
from indicators import Catalogue


@dataclass
class Attached:
    """What attaching led to: the messages for the person (the first says how many were uploaded when
    any was), whether a file was attached now (`ok`), whether any file was acceptable at all
    (`accepted`: when none was, the answer is a refusal, 422), and the documents read from new files."""

    messages: list[str]
    ok: bool = False
    accepted: bool = False
    read: list[Document] = field(default_factory=list)

    @property
    def status(self) -> int:
        return 200 if self.accepted else 422


def refused_text(refused: RefusedFile, limit_mb: int) -> str:
    """Why the store refused a file, in the request's language."""
    return refusal_message(refused.code, current_language.get(), limit_mb=limit_mb, size_mb=f">{limit_mb}")


def answer_for_evidence(session: Session, place: Place, user: User, code: str, known: Answer | None) -> Answer:
    """Evidence hangs on an answer; attaching to an unanswered question starts an empty one.

    `known`: the answer `open_question` found (answers are never deleted); when there was none,
    look again, as someone may have started it since."""
    answer = known or answer_service.answer_at(session, assessment_id(place), code)
    if answer is not None:
        # The answer's row before the kab/kota's (which the audit entry bumps), in the order a
        # verifier's decision takes them: the opposite order could deadlock on PostgreSQL.
        answer_service.lock_answers(session, [answer])
    else:
        answer = Answer(assessment_id=assessment_id(place), question_code=code, updated_by=user.id)
        session.add(answer)
        session.flush()
    return answer


def _new_here(session: Session, answer: Answer, accepted: list[tuple[StoredFile, str]],
              messages: list[str]) -> list[tuple[StoredFile, str]]:
    """The uploaded files not yet attached to this answer (the same bytes twice in one upload, or
    a file it already holds, are attached once; the person is told)."""
    fresh, seen = [], set()
    for stored, name in accepted:
        if stored.sha256 in seen or evidence_service.already_attached(session, saved_id(answer.id), stored.sha256):
            messages.append(_("%(name)s is already attached to this question.") % {"name": name})
        else:
            seen.add(stored.sha256)
            fresh.append((stored, name))
    return fresh


def attach_uploads(session: Session, store: EvidenceStore, catalogue: Catalogue, place: Place, user: User,
                   code: str, known: Answer | None, accepted: list[tuple[StoredFile, str]],
                   messages: list[str]) -> Attached:
    """Attach the stored files `accepted` ((file, the name it was sent with)) to question `code`;
    `messages`: what was already said (files the store refused). Audited by `evidence_service.attach`."""
    # Bytes already stored as a sensitive file of this kab/kota stay off ordinary questions.
    evidence_access = EvidenceAccess.of(session, catalogue, user, place)
    refused = [(stored, name) for stored, name in accepted if not evidence_access.may_attach(stored.sha256, code)]
    messages.extend(f"{name}: {sensitive_refusal()}" for _stored, name in refused)
    accepted = [item for item in accepted if item not in refused]
    result = Attached(messages, accepted=bool(accepted))
    if accepted:  # an unanswered question gets its (empty) answer only once a file is really attached
        answer = answer_for_evidence(session, place, user, code, known)
        # A returned answer stays returned (and editable): the focal point fixes the answer, its note
        # and its files, then submits it (answer_submit).
        fresh = _new_here(session, answer, accepted, messages)
        for stored, name in fresh:  # each new file's document, its metadata read from the file (app.evidence.metadata)
            evidence = evidence_service.attach(session, place.assessment, answer, stored, name, user)
            document = documents.prefill_from_file(session, evidence.document_id, store.path_for(stored.sha256),
                                                   stored.kind)
            if document is not None:
                result.read.append(document)
        if fresh:
            # "Uploaded" (green) only when a file was attached now: files already there are told alike, not
            # the first of them in green and the rest in red.
            result.ok = True
            messages.insert(0, _("%(n)s file(s) uploaded.") % {"n": len(fresh)})
    return result
