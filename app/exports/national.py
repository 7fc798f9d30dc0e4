"""The nation in one table: one row per kab/kota x question, written in streaming mode.

Memory stays bounded whatever the number of regions: openpyxl's write-only workbook sends
each row to a temporary file as it is appended, and the assessments are read one at a time
(two queries each: its answers, and the decisions of the stage its verified score comes
from), never the whole nation's answers at once.

Kab/kota without an assessment for the year are left out (the `Keterangan` sheet says how
many). Per-question points are the question's own: an indicator the catalogue caps at its
official maximum is capped only in the totals, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from sqlmodel import Session, select

from app.exports.common import clean_text, wib
from app.exports.rekap import verified_stage
from app.models import Answer, Assessment, Cycle, Province, Regency, ReviewEvent
from indicators import Catalogue
from scoring import Answer as ScoredAnswer
from scoring import ReviewStatus, Scorer, Verdict

SHEET_TITLE = "Nasional"
COLUMNS = ("Provinsi", "Kode Kab/Kota", "Kabupaten/Kota", "Bagian", "Indikator", "Kode Pertanyaan",
           "Nilai Maks", "Nilai EM", "Nilai Verifikasi")


@dataclass
class NationalReport:
    regions: int  # kab/kota written
    rows: int  # data rows (regions x questions)
    skipped: int  # kab/kota without an assessment for the year (not written)
    skipped_unsubmitted: int = 0  # left out by `submitted_only`


def count_assessments(session: Session, year: int, *, submitted_only: bool = False) -> int:
    query = select(Assessment.id).join(Cycle, Cycle.id == Assessment.cycle_id).where(Cycle.year == year)
    if submitted_only:
        query = query.where(Assessment.stage != "self")
    return len(session.exec(query).all())


def write_national_workbook(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    year: int,
    target: str | Path | BinaryIO,
    *,
    submitted_only: bool = False,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> NationalReport:
    """Write the national workbook to `target` (a path or a binary file); `progress(1)` after each region."""
    now = now or datetime.now(UTC)
    regions = session.exec(
        select(Regency.code, Regency.name, Province.name, Assessment.id, Assessment.stage)
        .join(Province, Province.code == Regency.province_code)
        .outerjoin(Cycle, Cycle.year == year)
        .outerjoin(Assessment, (Assessment.regency_code == Regency.code) & (Assessment.cycle_id == Cycle.id))
        .order_by(Regency.code)
    ).all()
    fixed = [
        (ref.question.code, ref.part.short_name, ref.indicator.code, float(ref.question.max))
        for ref in catalogue.iter_questions()
    ]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (24, 12, 30, 14, 10, 12, 10, 10, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(list(COLUMNS))
    report = NationalReport(0, 0, 0)
    for regency_code, regency_name, province_name, assessment_id, stage in regions:
        if assessment_id is None:
            report.skipped += 1
            continue
        if submitted_only and stage == "self":
            report.skipped_unsubmitted += 1
            if progress:
                progress(1)
            continue
        em, verified = _region_points(session, scorer, assessment_id, verified_stage(stage))
        province_name, regency_name = clean_text(province_name), clean_text(regency_name)
        for code, part, indicator, maximum in fixed:
            points = em.get(code)
            checked = verified.get(code)
            sheet.append([province_name, regency_code, regency_name, part, indicator, code, maximum,
                          None if points is None else points / 100,
                          None if checked is None else checked / 100])
        report.regions += 1
        report.rows += len(fixed)
        if progress:
            progress(1)

    info = workbook.create_sheet("Keterangan")
    capped = ", ".join(code for code, indicator in catalogue.indicators.items() if indicator.capped) or "–"
    notes = [
        ["Rekap nasional KLA", year],
        ["Diekspor", wib(now)],
        ["Kab/kota dalam tabel", report.regions],
        ["Kab/kota tanpa penilaian tahun ini (tidak ditulis)", report.skipped],
        ["Nilai Verifikasi", "verifikasi provinsi bila penilaian sudah dikirim ke provinsi, selain itu "
                             "verifikasi DP3A"],
        ["Catatan", f"nilai per pertanyaan; indikator yang dibatasi nilai maksimumnya ({capped}) hanya "
                    "dibatasi pada jumlahnya"],
    ]
    if submitted_only:
        notes.insert(4, ["Kab/kota belum mengirim (tidak ditulis)", report.skipped_unsubmitted])
    for row in notes:
        info.append(row)
    workbook.save(target)
    return report


def _region_points(session: Session, scorer: Scorer, assessment_id: int, stage: str):
    """Self-assessed and verified points (cents) per question of one assessment: two queries."""
    answers: dict[str, ScoredAnswer] = {}
    codes: dict[int, str] = {}
    for answer_id, code, option, value, not_applicable in session.exec(
        select(Answer.id, Answer.question_code, Answer.option, Answer.value, Answer.not_applicable)
        .where(Answer.assessment_id == assessment_id)
    ):
        codes[answer_id] = code
        if code not in scorer.questions:
            continue
        if not_applicable:
            answers[code] = ScoredAnswer(not_applicable=True)
        elif option is not None:
            answers[code] = ScoredAnswer(option=option)
        elif value is not None:
            answers[code] = ScoredAnswer(value=Decimal(value))
    verdicts: dict[str, Verdict] = {}
    for answer_id, action, score in session.exec(
        select(ReviewEvent.answer_id, ReviewEvent.action, ReviewEvent.score)
        .join(Answer, Answer.id == ReviewEvent.answer_id)
        .where(Answer.assessment_id == assessment_id, ReviewEvent.stage == stage,
               ReviewEvent.action.in_(("approved", "returned")))
        .order_by(ReviewEvent.id)
    ):
        code = codes.get(answer_id)
        if code is not None:
            verdicts[code] = Verdict(ReviewStatus(action), score)
    em = scorer.score(answers).questions
    verified = dict(scorer.verified(answers, verdicts).questions)
    for code, verdict in verdicts.items():
        if verdict.status is ReviewStatus.RETURNED and code in answers:
            verified.setdefault(code, 0)
    return em, verified
