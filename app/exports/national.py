"""The nation in one table: one row per kab/kota x question, written in streaming mode,
and a summary a person reads first.

Sheets: `Ringkasan` (one row per kab/kota: province, kab/kota, stage, EM and verified totals and
their categories, from the scoring engine, as on the app's pages), `Nasional` (one row per
kab/kota x question, with the question's text and, for an answer marked not applicable or
missing, "tidak berlaku" or "belum dijawab": a not-applicable answer scores 0 like a "no"),
`Keterangan` (what the columns mean).

Memory stays bounded whatever the number of regions: XlsxWriter's constant_memory mode sends
each row to a temporary file once the next one starts, and the assessments are read one at a time
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
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.clock import local_time
from app.exports.common import (
    POINTS,
    VERIFIED_BY,
    Book,
    clean_text,
    print_setup,
    set_widths,
    stage_text,
    verified_stage,
    write_header,
)
from app.exports.stages import STILL_VERIFYING, write_stage_sheet
from app.models import Answer, Assessment, Cycle, Province, Regency, ReviewAction, ReviewEvent
from app.services.answers import SCORED_COLUMNS, answer_rows, scored_answers
from app.services.overview import region_rows
from indicators import Catalogue
from scoring import Answer as ScoredAnswer
from scoring import ReviewStatus, Scorer, ScoreSheet, Stage, Verdict, category_for, season_scores

SHEET_TITLE = "Nasional"
SUMMARY_TITLE = "Ringkasan"
NOTES_TITLE = "Keterangan"
COLUMNS = ("Provinsi", "Kode Kab/Kota", "Kabupaten/Kota", "Bagian", "Indikator", "Kode Pertanyaan",
           "Pertanyaan", "Nilai Maks", "Nilai EM", "Nilai Verifikasi", "Keterangan Jawaban")
SUMMARY_COLUMNS = ("Provinsi", "Kode Kab/Kota", "Kabupaten/Kota", "Tahap", "Total EM", "Kategori EM",
                   "Total Verifikasi", "Kategori Verifikasi", "Verifikasi oleh", "Tidak Berlaku", "Belum Dijawab")
NOT_APPLICABLE = "tidak berlaku"
UNANSWERED = "belum dijawab"


@dataclass
class NationalReport:
    regions: int  # kab/kota written
    rows: int  # data rows (regions x questions)
    skipped: int  # kab/kota without an assessment for the year (not written)
    skipped_unsubmitted: int = 0  # left out by `submitted_only`


def count_assessments(session: Session, year: int, *, submitted_only: bool = False) -> int:
    query = select(Assessment.id).join(Cycle, col(Cycle.id) == Assessment.cycle_id).where(Cycle.year == year)
    if submitted_only:
        query = query.where(Assessment.stage != Stage.SELF)
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
    regions = session.execute(
        sa_select(col(Regency.code), col(Regency.name), col(Province.name), col(Assessment.id),
                  col(Assessment.stage))
        .join(Province, col(Province.code) == Regency.province_code)
        .outerjoin(Cycle, col(Cycle.year) == year)
        .outerjoin(Assessment, (col(Assessment.regency_code) == Regency.code)
                   & (col(Assessment.cycle_id) == Cycle.id))
        .order_by(col(Regency.code))
    ).all()
    fixed = [
        (ref.question.code, ref.part.short_name, ref.indicator.code, clean_text(ref.question.text),
         float(ref.question.max))
        for ref in catalogue.iter_questions()
    ]

    book = Book(target, constant_memory=True)
    points_format = book.fmt(POINTS)
    highlight = book.fmt({"font_color": "#9C0006", "bg_color": "#FFC7CE"})  # "tidak berlaku" stands out
    summary = book.sheet(SUMMARY_TITLE)
    write_header(book, summary, 0, SUMMARY_COLUMNS)
    for column, width in enumerate((22, 11, 28, 18, 10, 11, 11, 11, 18, 9, 9)):
        summary.set_column(column, column, width, points_format if column in (4, 6) else None)
    summary.set_row(0, 30)
    summary.freeze_panes(1, 3)
    print_setup(summary, 0)
    sheet = book.sheet(SHEET_TITLE)
    sheet.freeze_panes(1, 0)
    for column, width in enumerate((20, 10, 24, 12, 9, 11, 60, 8, 8, 10, 14)):
        sheet.set_column(column, column, width, points_format if column in (7, 8, 9) else None)
    write_header(book, sheet, 0, COLUMNS)
    sheet.set_row(0, 30)
    print_setup(sheet, 0)
    report = NationalReport(0, 0, 0)
    row = summary_row = 0
    for regency_code, regency_name, province_name, assessment_id, stage in regions:
        if assessment_id is None:
            report.skipped += 1
            continue
        if submitted_only and stage == Stage.SELF:
            report.skipped_unsubmitted += 1
            if progress:
                progress(1)
            continue
        checked_by = verified_stage(stage)
        answers, em_sheet, verified_sheet, undecided = _region_points(session, scorer, assessment_id, checked_by)
        em, verified = em_sheet.questions, verified_sheet.questions
        province_name, regency_name = clean_text(province_name), clean_text(regency_name)
        not_applicable = unanswered = 0
        for code, part, indicator, text, maximum in fixed:
            row += 1
            points = em.get(code)
            checked = verified.get(code)
            given = answers.get(code)
            remark = None
            if given is None:
                remark, unanswered = UNANSWERED, unanswered + 1
            elif given.not_applicable:
                remark, not_applicable = NOT_APPLICABLE, not_applicable + 1
            sheet.write_row(row, 0, (province_name, regency_code, regency_name, part, indicator, code, text,
                                     maximum))
            if points is not None:
                sheet.write_number(row, 8, points / 100)
            if checked is not None:
                sheet.write_number(row, 9, checked / 100)
            if remark == NOT_APPLICABLE:
                sheet.write_string(row, 10, remark, highlight)
            elif remark:
                sheet.write_string(row, 10, remark)
        summary_row += 1
        summary.write_row(summary_row, 0, (
            province_name, regency_code, regency_name, stage_text(stage),
            em_sheet.total / 100, category_for(scorer, em_sheet).name,
            verified_sheet.total / 100,
            # No category while the stage has not decided everything (the pages' rule).
            STILL_VERIFYING if undecided else category_for(scorer, verified_sheet).name,
            VERIFIED_BY[checked_by], not_applicable, unanswered))
        report.regions += 1
        report.rows += len(fixed)
        if progress:
            progress(1)
    if summary_row:
        summary.autofilter(0, 0, summary_row, len(SUMMARY_COLUMNS) - 1)
    if row:
        sheet.autofilter(0, 0, row, len(COLUMNS) - 1)

    # Scores per stage from the pages' own figures (cached per revision: no second pass over the answers).
    write_stage_sheet(book, catalogue, region_rows(session, scorer, year))

    info = book.sheet(NOTES_TITLE)
    set_widths(info, (48, 100))
    capped = ", ".join(code for code, indicator in catalogue.indicators.items() if indicator.capped) or "–"
    notes: list[tuple[str, str | int]] = [
        ("Rekap nasional KLA", year),
        ("Diekspor", local_time(now)),
        ("Kab/kota dalam tabel", report.regions),
        ("Kab/kota tanpa penilaian tahun ini (tidak ditulis)", report.skipped),
        ("Nilai Verifikasi", "verifikasi provinsi bila penilaian sudah dikirim ke provinsi, selain itu "
                             "verifikasi DP3A"),
        ("Catatan", f"nilai per pertanyaan; indikator yang dibatasi nilai maksimumnya ({capped}) hanya "
                    "dibatasi pada jumlahnya"),
        ("Ringkasan", "total dan kategori per kab/kota dihitung oleh aplikasi (termasuk batas indikator dan "
                      "aturan gerbang kategori), sama dengan yang tampil di aplikasi"),
        ("Keterangan Jawaban", f"\"{NOT_APPLICABLE}\": dijawab tidak berlaku (nilai 0); \"{UNANSWERED}\": "
                               "belum ada jawaban"),
    ]
    if submitted_only:
        notes.insert(4, ("Kab/kota belum mengirim (tidak ditulis)", report.skipped_unsubmitted))
    write_header(book, info, 0, ("Keterangan", ""))
    for r, (label, value) in enumerate(notes, start=1):
        info.write_string(r, 0, label, book.fmt({"bold": True}))
        if isinstance(value, str):
            info.write_string(r, 1, value)
        else:
            info.write_number(r, 1, value)
    book.close()
    return report


def _region_points(session: Session, scorer: Scorer, assessment_id: int,
                   stage: Stage) -> tuple[dict[str, ScoredAnswer], ScoreSheet, ScoreSheet, int]:
    """The answers, the self-assessed and verified score sheets of one assessment, and how many answers
    `stage` has not decided yet: two queries."""
    # Only the columns scoring reads: 140,000 answers over 514 kab/kota, where every column (notes,
    # times) costs a second more.
    rows = answer_rows(session, assessment_id, columns=SCORED_COLUMNS)
    codes = {row.id: code for code, row in rows.items()}
    answers = {code: given for code, given in scored_answers(rows).items() if code in scorer.questions}
    # Both review stages' decisions in the one query: the province's approvals are capped by the DP3A's
    # (the season's rules, `scoring.season_scores`, as the pages and the other workbooks show them).
    verdicts: dict[Stage, dict[str, Verdict]] = {Stage.DP3A: {}, Stage.PROVINCE: {}}
    for answer_id, decided_at, action, score in session.exec(
        select(col(ReviewEvent.answer_id), col(ReviewEvent.stage), col(ReviewEvent.action), col(ReviewEvent.score))
        .join(Answer, col(Answer.id) == ReviewEvent.answer_id)
        .where(Answer.assessment_id == assessment_id, col(ReviewEvent.stage).in_(tuple(verdicts)),
               col(ReviewEvent.action).in_((ReviewAction.APPROVED, ReviewAction.RETURNED)))
        .order_by(col(ReviewEvent.id))
    ):
        code = codes.get(answer_id)
        if code is not None:
            verdicts[Stage(decided_at)][code] = Verdict(ReviewStatus(action), score)
    season = season_scores(scorer, answers, verdicts, (Stage.DP3A, Stage.PROVINCE) if stage == Stage.PROVINCE
                           else (Stage.DP3A,))
    em, verified = season.self_assessed, season.sheets[stage]
    return answers, em, verified, season.totals[stage].undecided
