"""The demo's meetings of the Gugus Tugas of Kota Palangka Raya in 2025 (issue 24, item 2): a coordination
meeting of the task force and a coordination meeting on preventing TPPO and protecting children with
Polres, Kejaksaan, Pengadilan Agama, Forum Anak and TP-PKK, each with its minutes and attendance list
(PDFs with a text layer) and, for the second, a photo, linked to the questions they serve: their
documents are those questions' evidence, and the meetings show on the questions' cards.

Written as rows by the DP3A, as `meeting_links.link` would write them (a `MeetingQuestion` per question,
an evidence link per document and question through `documents.link`), without the answering rules: the
demo's 2025 answers stand wherever the season left them. Ordinary questions only, so every agency of
the kab/kota sees both meetings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.deps import Place
from app.evidence import EvidenceStore
from app.models import Agency, Answer, DocumentKind, User, saved_id
from app.models.taskforce import (
    Meeting,
    MeetingAgency,
    MeetingDocument,
    MeetingDocumentRole,
    MeetingKind,
    MeetingQuestion,
)
from app.services import audit, documents
from app.services.answers import EDITABLE
from app.services.demo_documents import _png
from app.services.evidence import already_attached, register
from indicators import Catalogue


@dataclass(frozen=True)
class Spec:
    title: str
    kind: MeetingKind
    held_on: date
    place: str
    agencies: tuple[str, ...]  # role codes of the kab/kota's agencies
    outside: tuple[str, ...]
    agenda: str
    summary: str
    codes: tuple[str, ...]  # the questions it may serve: the first LINKS of them whose files may change
    photo: bool = False


LINKS = 3  # questions per meeting
MEETINGS = (
    Spec("Rapat Koordinasi Gugus Tugas KLA", MeetingKind.COORDINATION, date(2025, 2, 18), "Aula Bappeda Kota Palangka Raya",
         ("BAPPEDA", "DP3A", "DINKES", "DISDIK", "DINSOS", "DUKCAPIL"), (),
         "1. Persiapan evaluasi KLA 2025\n2. Pembagian tugas pengisian per klaster\n3. Rencana Aksi Daerah KLA",
         "Setiap klaster melengkapi data dukung sebelum akhir Maret; Bappeda memasukkan anggaran rapat koordinasi "
         "Gugus Tugas dalam APBD perubahan.",
         ("2.1", "2.3", "1.3a", "2.2", "3.3", "3.2", "1.3b", "6.6")),
    Spec("Rapat Koordinasi Pencegahan TPPO dan Perlindungan Anak", MeetingKind.TPPO, date(2025, 5, 20),
         "Ruang Rapat DP3APPKB", ("DP3A", "DINSOS", "DISNAKER", "UPTD_PPA"),
         ("Polres Palangka Raya", "Kejaksaan Negeri Palangka Raya", "Pengadilan Agama Palangka Raya", "Forum Anak",
          "TP-PKK Kota Palangka Raya"),
         "1. Situasi perdagangan orang dan eksploitasi anak\n2. Alur rujukan kasus anak\n3. Sosialisasi di sekolah",
         "Sepakat membentuk alur rujukan terpadu antara UPTD PPA, Polres dan Kejaksaan; Forum Anak ikut sosialisasi "
         "pencegahan TPPO di sekolah.",
         ("21A.3", "21A.1", "21A.2", "21A.6", "21A.8", "21A.5", "21C.3", "1.3y", "1.3z"), photo=True),
)


def _pdf(*lines: str) -> bytes:
    from app.services.demo import sample_pdf  # the demo's PDF writer (no import cycle at load time)

    head, body, *more = lines
    return sample_pdf(head, body, *more)


def _files(spec: Spec) -> list[tuple[MeetingDocumentRole, str, DocumentKind, str, bytes]]:
    stamp = spec.held_on.strftime("%Y%m%d")
    found = [
        (MeetingDocumentRole.MINUTES, f"notulen-{stamp}.pdf", DocumentKind.MINUTES, f"Notulen {spec.title}",
         _pdf("NOTULEN", spec.title, f"Tanggal {spec.held_on.strftime('%d-%m-%Y')}", f"Tempat {spec.place}",
              *spec.agenda.splitlines())),
        (MeetingDocumentRole.ATTENDANCE, f"daftar-hadir-{stamp}.pdf", DocumentKind.MINUTES,
         f"Daftar Hadir {spec.title}",
         _pdf("DAFTAR HADIR", spec.title, *spec.agencies, *spec.outside)),
    ]
    if spec.photo:
        found.append((MeetingDocumentRole.PHOTO, f"foto-rapat-{stamp}.png", DocumentKind.PHOTO,
                      f"Foto {spec.title}", _png(64, 40)))
    return found


def build_meetings(session: Session, catalogue: Catalogue, store: EvidenceStore, place: Place, dp3a: User) -> None:
    """The two meetings, their documents in the library and their links (run once, on a fresh 2025)."""
    assessment_id = saved_id(place.assessment.id)
    agencies = {a.role_code: saved_id(a.id) for a in session.exec(
        select(Agency).where(Agency.regency_code == place.regency.code, col(Agency.area_code).is_(None)))}
    for spec in MEETINGS:
        meeting = Meeting(assessment_id=assessment_id, title=spec.title, kind=spec.kind, held_on=spec.held_on,
                          place=spec.place, agenda=spec.agenda, summary=spec.summary,
                          outside_participants="\n".join(spec.outside), created_by=saved_id(dp3a.id))
        session.add(meeting)
        session.flush()
        meeting_id = saved_id(meeting.id)
        for role_code in spec.agencies:
            if role_code in agencies:
                session.add(MeetingAgency(meeting_id=meeting_id, agency_id=agencies[role_code]))
        docs = []
        for role, filename, kind, title, data in _files(spec):
            stored = store.save_file(io.BytesIO(data))
            register(session, stored)
            document = documents.library_document(session, assessment_id, stored.sha256, filename, dp3a)
            document.kind, document.title, document.year, document.issued_on = kind, title, 2025, spec.held_on
            session.add(document)
            session.add(MeetingDocument(meeting_id=meeting_id, document_id=saved_id(document.id), role=role))
            docs.append(document)
        # Questions whose files may change (no answer yet, a draft, a returned one): a link to a submitted
        # or approved answer is refused in the app, so the demo skips those for the next candidate.
        answers = {a.question_code: a for a in session.exec(select(Answer).where(
            Answer.assessment_id == assessment_id, col(Answer.question_code).in_(spec.codes)))}
        linked = [code for code in spec.codes if code in catalogue.questions and
                  (code not in answers or answers[code].status in EDITABLE)][:LINKS]
        for code in linked:
            session.add(MeetingQuestion(meeting_id=meeting_id, question_code=code, linked_by=saved_id(dp3a.id)))
            answer = answers.get(code) or Answer(assessment_id=assessment_id, question_code=code, updated_by=dp3a.id)
            if answer.id is None:  # as the app's link makes it: an answer with files, not answered yet
                session.add(answer)
                session.flush()
            for document in docs:
                if already_attached(session, saved_id(answer.id), document.sha256) is None:
                    documents.link(session, saved_id(answer.id), document, dp3a)
        audit.record(session, dp3a, "meeting.create", "meeting", meeting_id, regency_code=place.regency.code,
                     after={"title": spec.title, "kind": str(spec.kind), "questions": linked})
    session.flush()
