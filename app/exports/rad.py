"""The monitoring report of the action plan (RAD KLA) as a workbook: a sheet with one row per
activity and its latest report, and a summary per part of the instrument (cluster) whose figures
are formulas over that sheet, written with the values the app computed (`scoring.rad.summarise`),
so a viewer that does not recalculate shows the same numbers as the page.

In Bahasa Indonesia, as every workbook of the app: it goes to the kab/kota's offices and the province.
"""

from __future__ import annotations

from datetime import datetime

from xlsxwriter.worksheet import Worksheet

from app.clock import WIB, as_aware
from app.exports.common import (
    TITLE,
    TOTAL,
    WRAP_TOP,
    Book,
    Style,
    print_setup,
    quoted,
    set_widths,
    write_date,
    write_formula,
    write_header,
    write_number,
    write_text,
)
from app.models import Agency, RadActivity, RadReport, RadStatus, saved_id
from app.services.taskforce.rad import lines, part_of
from indicators import Catalogue
from scoring.rad import Progress, summarise

PLAN_SHEET = "RAD KLA"
SUMMARY_SHEET = "Ringkasan per klaster"
STATUS_WORDS = {RadStatus.PLANNED: "Direncanakan", RadStatus.ONGOING: "Berjalan", RadStatus.DONE: "Selesai",
                RadStatus.DELAYED: "Terlambat", RadStatus.CANCELLED: "Dibatalkan"}
PLAN_COLUMNS = ("No", "Bagian", "Klaster", "Indikator", "Nama indikator", "Kegiatan", "Target/keluaran", "OPD",
                "Tahun", "Anggaran (Rp)", "Status", "Capaian (%)", "Realisasi (Rp)", "Catatan laporan terakhir",
                "Tanggal laporan")
PLAN_WIDTHS = (5, 8, 14, 9, 30, 36, 22, 16, 7, 16, 13, 10, 16, 36, 12)
SUMMARY_COLUMNS = ("Bagian", "Klaster", "Kegiatan", "Selesai", "Berjalan", "Terlambat", "Dibatalkan",
                   "Rata-rata capaian (%)", "Anggaran (Rp)", "Realisasi (Rp)", "Realisasi anggaran (%)")
SUMMARY_WIDTHS = (8, 36, 10, 9, 9, 10, 11, 12, 18, 18, 12)
HEADER_ROW = 3  # 0-based: title, place, blank, then the header
RUPIAH: Style = {"num_format": "#,##0"}
ONE_DECIMAL: Style = {"num_format": "0.0"}


def build_rad_workbook(catalogue: Catalogue, regency_name: str, year: int, plan: list[RadActivity],
                       latest: dict[int, RadReport], agencies: dict[int | None, Agency]) -> bytes:
    book = Book()
    book.workbook.set_properties({"title": f"Monitoring RAD KLA {regency_name} {year}", "author": "KLA",
                                  "created": datetime(year, 1, 1)})
    _plan_sheet(book, catalogue, regency_name, year, plan, latest, agencies)
    by_part, total = summarise(lines(catalogue, plan, latest), catalogue.parts)
    _summary_sheet(book, catalogue, regency_name, year, len(plan), by_part, total)
    return book.close()


def _plan_sheet(book: Book, catalogue: Catalogue, regency_name: str, year: int, plan: list[RadActivity],
                latest: dict[int, RadReport], agencies: dict[int | None, Agency]) -> None:
    sheet = book.sheet(PLAN_SHEET)
    write_text(book, sheet, 0, 0, f"Rencana Aksi Daerah KLA: monitoring {regency_name} {year}", TITLE)
    write_text(book, sheet, 1, 0, "Satu baris per kegiatan dengan laporan kemajuan terakhirnya.")
    write_header(book, sheet, HEADER_ROW, PLAN_COLUMNS, PLAN_WIDTHS)
    set_widths(sheet, PLAN_WIDTHS)
    parts = part_of(catalogue)
    for index, activity in enumerate(plan, start=1):
        row = HEADER_ROW + index
        part = catalogue.parts.get(parts.get(activity.indicator_code, ""))
        indicator = catalogue.indicators.get(activity.indicator_code)
        agency = agencies.get(activity.agency_id)
        report = latest.get(saved_id(activity.id))
        write_number(book, sheet, row, 0, index, WRAP_TOP)
        texts = [part.code if part else "", part.short_name if part else "", activity.indicator_code,
                 indicator.name if indicator else "", activity.title, activity.target,
                 agency.short_name if agency else ""]
        for column, text in enumerate(texts, start=1):
            write_text(book, sheet, row, column, text, WRAP_TOP)
        write_number(book, sheet, row, 8, activity.year, WRAP_TOP)
        write_number(book, sheet, row, 9, float(activity.budget) if activity.budget is not None else None,
                     WRAP_TOP, RUPIAH)
        write_text(book, sheet, row, 10, STATUS_WORDS[RadStatus(activity.status)], WRAP_TOP)
        write_number(book, sheet, row, 11, activity.progress, WRAP_TOP)
        realised = report.realised if report is not None else None
        write_number(book, sheet, row, 12, float(realised) if realised is not None else None, WRAP_TOP, RUPIAH)
        write_text(book, sheet, row, 13, report.note if report is not None else "", WRAP_TOP)
        write_date(book, sheet, row, 14, as_aware(report.reported_at).astimezone(WIB).date() if report is not None else None,
                   WRAP_TOP)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    print_setup(sheet, HEADER_ROW)


def _ranges(count: int) -> dict[str, str]:
    """The plan sheet's columns as absolute ranges over its activity rows (1-based rows)."""
    first, last = HEADER_ROW + 2, HEADER_ROW + 1 + count
    sheet = quoted(PLAN_SHEET)
    return {name: f"{sheet}!${letter}${first}:${letter}${last}"
            for name, letter in (("part", "B"), ("budget", "J"), ("status", "K"), ("progress", "L"), ("realised", "M"))}


def _summary_sheet(book: Book, catalogue: Catalogue, regency_name: str, year: int, count: int,
                   by_part: dict[str, Progress], total: Progress) -> None:
    sheet = book.sheet(SUMMARY_SHEET)
    write_text(book, sheet, 0, 0, f"Kemajuan RAD KLA per klaster: {regency_name} {year}", TITLE)
    write_text(book, sheet, 1, 0, "Kegiatan yang dibatalkan tidak dihitung dalam rata-rata capaian dan anggaran.")
    write_header(book, sheet, HEADER_ROW, SUMMARY_COLUMNS, SUMMARY_WIDTHS)
    set_widths(sheet, SUMMARY_WIDTHS)
    ranges = _ranges(count) if count else None
    row = HEADER_ROW
    for part in catalogue.parts.values():
        row += 1
        write_text(book, sheet, row, 0, part.code, WRAP_TOP)
        write_text(book, sheet, row, 1, part.name, WRAP_TOP)
        _figures(book, sheet, row, by_part[part.code], ranges, f"A{row + 1}", WRAP_TOP)
    first, last = HEADER_ROW + 2, row + 1
    row += 1
    write_text(book, sheet, row, 0, "", TOTAL)
    write_text(book, sheet, row, 1, "Jumlah", TOTAL)
    _figures(book, sheet, row, total, ranges, None, TOTAL, sums=(first, last))
    print_setup(sheet, HEADER_ROW)


def _figures(book: Book, sheet: Worksheet, row: int, progress: Progress, ranges: dict[str, str] | None,
             part_ref: str | None, style: Style, sums: tuple[int, int] | None = None) -> None:
    """Columns C..K of a summary row: formulas over the plan sheet (a part's row) or sums of the
    parts' rows (the total row), each with its value; plain values when the plan is empty."""
    here = row + 1
    counts = (progress.count, progress.done, progress.ongoing, progress.delayed, progress.cancelled)
    statuses = (None, RadStatus.DONE, RadStatus.ONGOING, RadStatus.DELAYED, RadStatus.CANCELLED)
    average, budget, realised = float(progress.average), float(progress.budget), float(progress.realised)
    share = progress.realised_share
    values: list[tuple[str | None, float | str, Style | None]] = []
    for column, (count, status) in enumerate(zip(counts, statuses, strict=True)):
        letter = "CDEFG"[column]
        if ranges is None:
            formula = None
        elif sums is not None:
            formula = f"=SUM({letter}{sums[0]}:{letter}{sums[1]})"
        elif status is None:
            formula = f"=COUNTIF({ranges['part']},{part_ref})"
        else:
            formula = f'=COUNTIFS({ranges["part"]},{part_ref},{ranges["status"]},"{STATUS_WORDS[status]}")'
        values.append((formula, count, None))
    if ranges is None:
        values += [(None, average, ONE_DECIMAL), (None, budget, RUPIAH), (None, realised, RUPIAH)]
    else:
        where = f"{ranges['part']},{part_ref}," if part_ref else ""
        kept = f'{ranges["status"]},"<>{STATUS_WORDS[RadStatus.CANCELLED]}"'
        values.append((f"=IF(C{here}-G{here}=0,0,ROUND(SUMIFS({ranges['progress']},{where}{kept})/(C{here}-G{here}),1))",
                       average, ONE_DECIMAL))
        values.append((f"=SUMIFS({ranges['budget']},{where}{kept})", budget, RUPIAH))
        realised_formula = (f"=SUMIFS({ranges['realised']},{ranges['part']},{part_ref})" if part_ref
                            else f"=SUM({ranges['realised']})")
        values.append((realised_formula, realised, RUPIAH))
    values.append((f'=IF(I{here}=0,"",ROUND(J{here}/I{here}*100,1))' if ranges is not None else None,
                   float(share) if share is not None else "", ONE_DECIMAL))
    for column, (formula, value, number_format) in enumerate(values, start=2):
        if formula is not None:
            write_formula(book, sheet, row, column, formula, value, style, number_format)
        elif isinstance(value, str):
            write_text(book, sheet, row, column, value, style)
        else:
            write_number(book, sheet, row, column, value, style, number_format)
