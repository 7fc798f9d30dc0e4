"""The demo's document library of Kota Palangka Raya (issue 23): every file of its 2024 self-assessment
described (kind, title, year), and a handful of documents that show what the library checks.

- A Perda KLA (Nomor 5 Tahun 2021) linked to three questions, a Perwal on the Gugus Tugas (2023) to
  two, an SK of the DP3A (2024, valid until 2026); PDFs with a text layer, so what the library read
  from the first page is kept (`Document.extracted`) and its hints show.
- What a reviewer would return: an SK no longer in force, a report dated three years before the
  cycle on a "tahun berjalan" question, a required scan with neither title nor year, an untitled photo.
- A report uploaded by the Dinas Kesehatan and not linked yet, a sensitive case recap on 22A.1 (never
  shown to an agency), and a title with odd characters (the hand-off's safe names).
- Some 2024 reports are dated 2023: fine in 2024, but once carried into 2025 they need a newer version.

Written as rows (the 2024 answers are past the stage where files change, and 2024 is published
before the demo ends): `build_past_library` before 2025 opens (its documents are carried with their
metadata), `build_next_library` on the 2025 cycle's answers.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.evidence import EvidenceStore
from app.evidence import metadata as file_metadata
from app.models import Answer, Assessment, Document, DocumentKind, Evidence, User, saved_id
from app.services import documents
from app.services.evidence import register
from indicators import Catalogue
from indicators.models import Period
from scoring.periods import STANDING_TYPES, question_period

SEED = 2023  # this module's own randomness: the season's stays as it was


@dataclass(frozen=True)
class Sample:
    """One document of the library: its first page's lines, what the focal point confirmed, and the
    evidence types of the questions it goes to (the first `links` answered ones, or `codes`)."""

    key: str
    filename: str
    kind: DocumentKind
    lines: tuple[str, ...] = ()
    title: str | None = None  # None: as read from the file
    year: int | None = None
    valid_until: date | None = None
    types: frozenset[str] = frozenset()
    codes: tuple[str, ...] = ()
    links: int = 1
    by_agency: bool = False  # uploaded by the Dinas Kesehatan, linked to nothing yet
    photo: bool = False
    described: bool = True  # False: nothing filled in (the flagged scan)
    current: bool = False  # else any answered question asking for "tahun berjalan" that requires evidence


def samples(year: int) -> list[Sample]:
    """The documents of the library of the cycle of `year` (dates relative to it where they age)."""
    return [
        Sample("perda", "perda-5-2021-kla.pdf", DocumentKind.PERDA, (
            "PERATURAN DAERAH KOTA PALANGKA RAYA", "NOMOR 5 TAHUN 2021", "TENTANG",
            "PENYELENGGARAAN KOTA LAYAK ANAK", "DENGAN RAHMAT TUHAN YANG MAHA ESA", "WALI KOTA PALANGKA RAYA,",
            "Ditetapkan di Palangka Raya", "pada tanggal 12 Juli 2021"), codes=("1.1", "1.2a", "1.2b"), links=3,
            types=frozenset({"regulasi"})),
        Sample("perwal", "perwal-14-2023-gugus-tugas.pdf", DocumentKind.PERKADA, (
            "PERATURAN WALI KOTA PALANGKA RAYA", "NOMOR 14 TAHUN 2023", "TENTANG",
            "GUGUS TUGAS KOTA LAYAK ANAK", "DENGAN RAHMAT TUHAN YANG MAHA ESA", "Ditetapkan di Palangka Raya",
            "pada tanggal 3 April 2023"), codes=("2.1", "1.4"), links=2,
            types=frozenset({"sk_gugus_tugas", "regulasi"})),
        Sample("sk", "sk-puspaga-2024.pdf", DocumentKind.SK, (
            "KEPUTUSAN KEPALA DINAS PENGENDALIAN PENDUDUK KOTA PALANGKA RAYA", "NOMOR 800/112/DPPKBPA3PM/2024",
            "TENTANG", "TIM PELAKSANA PUSAT PEMBELAJARAN KELUARGA (PUSPAGA)", "KEPALA DINAS,",
            "Ditetapkan pada tanggal 8 Februari 2024"), valid_until=date(2026, 12, 31),
            types=frozenset({"regulasi", "mou"}), codes=("10.1",)),
        Sample("expired", "sk-forum-anak-2021.pdf", DocumentKind.SK, (
            "KEPUTUSAN WALI KOTA PALANGKA RAYA", "NOMOR 188.45/210/HUK/2021", "TENTANG",
            "PENGURUS FORUM ANAK KOTA PALANGKA RAYA", "WALI KOTA PALANGKA RAYA,",
            "Ditetapkan pada tanggal 15 Maret 2021"), valid_until=date(year - 1, 6, 30), codes=("3.1a", "2.5"),
            types=frozenset({"regulasi"})),
        Sample("old_report", f"laporan-kegiatan-{year - 3}.pdf", DocumentKind.REPORT, (
            f"LAPORAN PELAKSANAAN KEGIATAN HARI ANAK NASIONAL TAHUN {year - 3}", "Kota Palangka Raya",
            "Dinas Pengendalian Penduduk, KB, PPPA dan PM", f"Palangka Raya, 30 Juli {year - 3}"),
            codes=("2.3", "8.5", "15.2"), current=True),
        Sample("scan", "scan0017.pdf", DocumentKind.OTHER, ("",), described=False, codes=("2.7", "3.1b", "1.2c"),
               current=True),
        Sample("photo", "IMG_20240612_093015.png", DocumentKind.PHOTO, photo=True, title="", year=year,
               codes=("7.3", "3.1c", "7.2"), types=frozenset({"foto"})),
        Sample("posyandu", f"laporan-posyandu-{year}.pdf", DocumentKind.REPORT, (
            f"LAPORAN KEGIATAN POSYANDU TAHUN {year}", "Dinas Kesehatan Kota Palangka Raya",
            f"Palangka Raya, 20 Januari {year}"), by_agency=True),
        Sample("sensitive", f"rekap-kasus-kekerasan-anak-{year}.pdf", DocumentKind.REPORT, (
            f"LAPORAN REKAPITULASI KASUS KEKERASAN TERHADAP ANAK TAHUN {year}", "UPTD PPA Kota Palangka Raya",
            "RAHASIA: memuat data pribadi anak", f"Palangka Raya, 5 Januari {year}"), codes=("22A.1", "22A.2")),
        Sample("odd", "ringkasan-perda.pdf", DocumentKind.REPORT, (
            "Ringkasan sosialisasi Perda KLA", "Kota Palangka Raya"), title='Perda No. 5/2021: "KLA"', year=year,
            codes=("1.5", "1.2d"), types=frozenset({"regulasi"})),
    ]


def build_past_library(session: Session, catalogue: Catalogue, store: EvidenceStore, assessment: Assessment,
                       year: int, dp3a: User, agency_user: User, uploaded_at: datetime) -> None:
    """The 2024 library: every file described, then the samples (before 2025 carries them over),
    uploaded at `uploaded_at` (before the reviews: a file added after a decision would reopen it)."""
    _describe_all(session, catalogue, assessment, year, random.Random(SEED))
    _add_samples(session, catalogue, store, assessment, year, dp3a, agency_user, uploaded_at)


def build_next_library(session: Session, catalogue: Catalogue, store: EvidenceStore, assessment: Assessment,
                       year: int, dp3a: User, agency_user: User) -> None:
    """The 2025 library: the samples on this cycle's answers (the carried ones keep their metadata)."""
    _add_samples(session, catalogue, store, assessment, year, dp3a, agency_user)


def _describe_all(session: Session, catalogue: Catalogue, assessment: Assessment, year: int,
                  rng: random.Random) -> None:
    """Give every untitled document (the bulk-inserted sample files) a kind, a title and a year as a
    focal point would: a standing document of an earlier year, a photo or report of the year, data;
    about one report in five from the year before (it needs a newer version in the next cycle)."""
    rows = session.exec(select(Document, Answer.question_code)
                        .join(Evidence, col(Evidence.document_id) == col(Document.id))
                        .join(Answer, col(Answer.id) == col(Evidence.answer_id))
                        .where(Document.assessment_id == assessment.id, Document.title == "")
                        .order_by(col(Document.id), col(Answer.question_code))).all()
    seen: set[int] = set()
    for document, code in rows:
        if document.id in seen or code not in catalogue.questions:
            continue
        seen.add(saved_id(document.id))
        question = catalogue.questions[code].question
        types = set(question.evidence.types)
        if types & STANDING_TYPES and not types & {"foto", "laporan", "data_dua_tahun"}:
            kind, word, dated = DocumentKind.SK, "Keputusan", rng.choice((year - 3, year - 2, year - 1))
        elif "data_dua_tahun" in types or "matriks" in types:
            kind, word, dated = DocumentKind.DATA, "Data dan matriks", year
        elif "foto" in types:
            kind, word, dated = DocumentKind.PHOTO, "Dokumentasi kegiatan", year
        else:
            kind, word, dated = DocumentKind.REPORT, "Laporan", year - 1 if rng.random() < 0.2 else year
        document.kind, document.year, document.issuer = kind, dated, "Pemerintah Kota Palangka Raya"
        document.title = f"{word} {code}: {_short(question.text)}"
        session.add(document)
    session.flush()


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _add_samples(session: Session, catalogue: Catalogue, store: EvidenceStore, assessment: Assessment,
                 year: int, dp3a: User, agency_user: User, uploaded_at: datetime | None = None) -> None:
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    used: set[str] = set()
    for sample in samples(year):
        data = _png() if sample.photo else _pdf(sample.lines)
        stored = store.save_file(io.BytesIO(data))
        register(session, stored)
        uploader = agency_user if sample.by_agency else dp3a
        document = documents.library_document(session, saved_id(assessment.id), stored.sha256, sample.filename,
                                              uploader)
        if sample.described and not document.extracted and not sample.photo:
            documents.prefill(document, file_metadata.extract_pdf(data))
        if document.carried_from is None:
            if sample.title is not None:
                document.title = sample.title
            if sample.year is not None:
                document.year = sample.year
            document.kind = sample.kind if sample.described else DocumentKind.OTHER
            document.valid_until = sample.valid_until
        session.add(document)
        session.flush()
        if sample.by_agency:
            continue
        for code in _targets(catalogue, answers, sample, used):
            answer = answers[code]
            if not session.exec(select(Evidence.id).where(Evidence.answer_id == answer.id,
                                                          Evidence.sha256 == document.sha256)).first():
                evidence = documents.link(session, saved_id(answer.id), document, uploader)
                if uploaded_at is not None:
                    evidence.uploaded_at = uploaded_at
                    session.add(evidence)


def _targets(catalogue: Catalogue, answers: dict[str, Answer], sample: Sample, used: set[str]) -> list[str]:
    """The answered questions a sample goes to: its named codes, else those of its evidence types."""
    chosen = [code for code in sample.codes if code in answers and code not in used]
    if len(chosen) < sample.links and sample.types:
        chosen += [code for code, ref in catalogue.questions.items()
                   if code in answers and code not in used and code not in chosen
                   and set(ref.question.evidence.types) & sample.types
                   and not ref.question.sensitive][: sample.links - len(chosen)]
    if len(chosen) < sample.links and sample.current:
        chosen += [code for code, ref in catalogue.questions.items()
                   if code in answers and code not in used and code not in chosen and ref.question.evidence.required
                   and question_period(ref.question) == Period.CURRENT and not ref.question.sensitive
                   ][: sample.links - len(chosen)]
    chosen = chosen[: sample.links]
    used.update(chosen)
    return chosen


def _pdf(lines: tuple[str, ...]) -> bytes:
    from app.services.demo import sample_pdf  # the demo's PDF writer (no dev dependency)

    head, body, *more = (*lines, "", "")[: max(2, len(lines))]
    return sample_pdf(head, body, *more)


def _png(width: int = 48, height: int = 32) -> bytes:
    """A small photo-like PNG (a gradient), written without an imaging library."""
    raw = b"".join(b"\x00" + b"".join(bytes((x * 5 % 256, y * 7 % 256, 120)) for x in range(width))
                   for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
