"""What the hand-off package of one kab/kota's assessment holds: per question of the instrument, in
its order, the answer as it is to be entered in the ministry's application, the note, the yearly
figures and the files with the path each gets inside the ZIP.

Who gets which file is `EvidenceAccess`'s rule (`app.services.evidence`), asked per file: a
sensitive file goes into the package only when it is built for the DP3A (`with_sensitive`), in its
own top folder (`SENSITIVE_FOLDER`); removed attachments never. Reading the database ends here: the
workbook and the ZIP (`workbook.py`, `stream.py`) work from this plan and the evidence store alone.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from app.evidence import EvidenceStore
from app.i18n import format_number
from app.models import (
    Answer,
    Assessment,
    Cycle,
    Document,
    DocumentKind,
    Evidence,
    Figure,
    Regency,
    Role,
    User,
    saved_id,
)
from app.services.answers import is_answered
from app.services.evidence import EvidenceAccess
from app.services.handoff.names import (
    MAX_FOLDER,
    extension_of,
    file_name,
    segment,
    title_of,
    unique,
    zip_path,
)
from indicators import Catalogue, NumberScale, OptionsScale, PercentScale
from scoring.figures import percent

SENSITIVE_FOLDER = "RAHASIA_data_anak"
NOT_APPLICABLE = "Tidak berlaku"

# The workbook is the ministry's document: Indonesian whatever the UI language.
KIND_LABELS: dict[DocumentKind, str] = {
    DocumentKind.PERDA: "Perda", DocumentKind.PERKADA: "Perbup/Perwal", DocumentKind.SK: "SK",
    DocumentKind.SURAT_EDARAN: "Surat Edaran", DocumentKind.SOP: "SOP", DocumentKind.REPORT: "Laporan",
    DocumentKind.MINUTES: "Notulen/Berita Acara", DocumentKind.PHOTO: "Foto", DocumentKind.MOU: "MoU/PKS",
    DocumentKind.BUDGET: "Potongan DPA/anggaran", DocumentKind.CERTIFICATE: "Sertifikat",
    DocumentKind.NEWS: "Kliping berita", DocumentKind.DATA: "Data/rekap", DocumentKind.OTHER: "Lainnya",
}


@dataclass(frozen=True)
class YearFigure:
    """One year's figure of a data question, with its percentage for a share."""

    year: int
    numerator: Decimal
    denominator: Decimal | None
    unit: str
    percentage: Decimal | None  # numerator / denominator x 100, two decimals; None for a count


@dataclass(frozen=True)
class PackedFile:
    evidence_id: int
    sha256: str
    size: int
    n: int  # from 1, in the order attached, among the files of its question the package holds
    path: str  # inside the ZIP
    title: str
    kind: str  # its label (`KIND_LABELS`)
    number: str
    year: int | None
    sensitive: bool


@dataclass
class PackedQuestion:
    code: str
    part_code: str
    part_name: str
    indicator_code: str
    indicator_name: str
    text: str
    answered: bool
    answer_text: str
    note: str
    folder: str  # "KL/1.2a" (its sensitive files under SENSITIVE_FOLDER/KL/1.2a)
    figures: list[YearFigure] = field(default_factory=list)
    files: list[PackedFile] = field(default_factory=list)
    withheld: int = 0  # sensitive files left out (a package not built for the DP3A)
    missing: int = 0  # files the store does not hold (a damaged store: `kla evidence verify`)


@dataclass
class Handoff:
    regency: Regency
    cycle: Cycle
    assessment: Assessment
    with_sensitive: bool
    questions: list[PackedQuestion]

    @property
    def stem(self) -> str:
        """`<regency>_<year>_serah_terima`: the workbook's and the ZIP's name."""
        name = segment(self.regency.name, 60, self.regency.code).replace(" ", "_")
        return f"{name}_{self.cycle.year}_serah_terima"

    @property
    def workbook_name(self) -> str:
        return f"{self.stem}.xlsx"

    @property
    def zip_name(self) -> str:
        return f"{self.stem}.zip"

    @property
    def answered(self) -> list[PackedQuestion]:
        return [q for q in self.questions if q.answered]

    @property
    def files(self) -> list[PackedFile]:
        return [f for q in self.questions for f in q.files]

    @property
    def sensitive_included(self) -> int:
        return sum(1 for f in self.files if f.sensitive)

    @property
    def sensitive_withheld(self) -> int:
        return sum(q.withheld for q in self.questions)

    @property
    def missing(self) -> int:
        return sum(q.missing for q in self.questions)

    @property
    def files_size(self) -> int:
        return sum(f.size for f in self.files)


def operator_access(session: Session, catalogue: Catalogue, assessment: Assessment, regency: Regency) -> EvidenceAccess:
    """The rule on sensitive files for the operator at the command line, who stands in for the DP3A
    (a user that is never saved: the command has no signed-in person)."""
    stand_in = User(username="kla-cli", full_name="kla", password_hash="-", role=Role.DP3A,
                    regency_code=regency.code)
    return EvidenceAccess(session, catalogue, stand_in, regency_code=regency.code,
                          province_code=regency.province_code, assessment_id=saved_id(assessment.id),
                          stage=assessment.stage)


def answer_text(catalogue: Catalogue, code: str, answer: Answer | None) -> str:
    """The answer as it is entered in the ministry's application: the option's label, the number or
    percentage with its unit (Indonesian decimal comma), or "Tidak berlaku"; "" when unanswered."""
    if answer is None:
        return ""
    if answer.not_applicable:
        return NOT_APPLICABLE
    scale = catalogue.scale_of(catalogue.questions[code].question)
    if answer.option is not None and isinstance(scale, OptionsScale):
        return next((o.label for o in scale.options if o.code == answer.option), answer.option)
    if answer.value is not None:
        text = format_number(answer.value, language="id")
        if isinstance(scale, PercentScale):
            return f"{text}%"
        if isinstance(scale, NumberScale):
            return f"{text} {scale.unit}"
        return text
    return ""


def yearly_figures(session: Session, answer_ids: list[int]) -> dict[int, list[YearFigure]]:
    """The `Figure` rows of these answers, oldest year first, with each share's percentage as the card
    computes it (`scoring.figures.percent`: half up to two decimals; none for a count or a zero whole)."""
    found: dict[int, list[YearFigure]] = defaultdict(list)
    if not answer_ids:
        return found
    rows = session.exec(select(Figure).where(col(Figure.answer_id).in_(answer_ids))
                        .order_by(col(Figure.answer_id), col(Figure.year))).all()
    for row in rows:
        numerator = Decimal(row.numerator)
        denominator = None if row.denominator is None else Decimal(row.denominator)
        share = percent(numerator, denominator) if denominator is not None else None
        found[row.answer_id].append(YearFigure(row.year, numerator, denominator, row.unit, share))
    return found


def plan_handoff(session: Session, catalogue: Catalogue, store: EvidenceStore, assessment: Assessment,
                 evidence_access: EvidenceAccess, *, with_sensitive: bool) -> Handoff:
    """The package of `assessment`. `with_sensitive`: built for the DP3A (or the operator who says so),
    whose sensitive files it holds in their own folder; refused for anyone `evidence_access` does not
    let see them. Files a reader may not see at all are never listed."""
    if with_sensitive and not evidence_access.sees_sensitive:
        raise PermissionError("sensitive files are packed for the DP3A only")
    regency = session.get_one(Regency, assessment.regency_code)
    cycle = session.get_one(Cycle, assessment.cycle_id)
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    answer_ids = [saved_id(a.id) for a in answers.values()]
    figures = yearly_figures(session, answer_ids)
    links: dict[int, list[tuple[Evidence, Document | None]]] = defaultdict(list)
    if answer_ids:
        query = (select(Evidence, Document).join(Document, col(Document.id) == col(Evidence.document_id), isouter=True)
                 .where(col(Evidence.answer_id).in_(answer_ids), col(Evidence.removed_at).is_(None))
                 .order_by(col(Evidence.id)))  # the order attached
        for evidence, document in session.exec(query):
            links[evidence.answer_id].append((evidence, document))

    questions: list[PackedQuestion] = []
    for part in catalogue.data.parts:
        part_folder = segment(part.code, MAX_FOLDER, "bagian")
        for indicator in part.indicators:
            for question in indicator.questions:
                code = question.code
                answer = answers.get(code)
                folder = f"{part_folder}/{segment(code, MAX_FOLDER, 'soal')}"
                packed = PackedQuestion(
                    code=code, part_code=part.code, part_name=part.name, indicator_code=indicator.code,
                    indicator_name=indicator.name, text=question.text, answered=is_answered(answer),
                    answer_text=answer_text(catalogue, code, answer) if is_answered(answer) else "",
                    note=answer.note if answer is not None else "", folder=folder,
                    figures=figures.get(saved_id(answer.id), []) if answer is not None else [])
                if answer is not None and packed.answered:
                    _pack_files(packed, links.get(saved_id(answer.id), []), store, evidence_access, with_sensitive)
                questions.append(packed)
    return Handoff(regency, cycle, assessment, with_sensitive, questions)


def _pack_files(packed: PackedQuestion, links: list[tuple[Evidence, Document | None]], store: EvidenceStore,
                evidence_access: EvidenceAccess, with_sensitive: bool) -> None:
    taken: set[str] = set()
    n = 0
    for evidence, document in links:
        if not evidence_access.may_see(evidence, packed.code):
            continue
        sensitive = evidence_access.is_sensitive(evidence, packed.code)
        if sensitive and not with_sensitive:
            packed.withheld += 1
            continue
        try:
            size = os.stat(store.path_for(evidence.sha256)).st_size
        except (OSError, ValueError):
            packed.missing += 1
            continue
        n += 1
        title = title_of(document.title if document is not None else "", evidence.filename)
        name = unique(file_name(packed.code, n, title, extension_of(evidence.filename)), taken)
        top = (SENSITIVE_FOLDER, packed.folder) if sensitive else (packed.folder,)
        packed.files.append(PackedFile(
            evidence_id=saved_id(evidence.id), sha256=evidence.sha256, size=size, n=n, path=zip_path(*top, name),
            title=title, kind=KIND_LABELS.get(document.kind, "") if document is not None else KIND_LABELS[DocumentKind.OTHER],
            number=document.number if document is not None else "",
            year=document.year if document is not None else None, sensitive=sensitive))
