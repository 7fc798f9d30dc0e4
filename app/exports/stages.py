"""The `Tahapan` sheet of the workbooks: per kab/kota the score at every stage reached, with the
questions each stage has not decided yet (issue 22). A stage that has not decided every answered
question has no category here either: its points are "verified so far", not its score.

Only totals and counts: no answer, note or file, so nothing sensitive is written (the sensitive
evidence rules of the other sheets are untouched)."""

from __future__ import annotations

from collections.abc import Iterable

from app.exports.common import (
    POINTS,
    TOP,
    WRAP_TOP,
    Book,
    points,
    print_setup,
    row_height,
    set_widths,
    write_header,
    write_number,
    write_text,
)
from app.services.overview import RegionRow, scores_shown
from app.services.stage_scores import SHOWN_STAGES
from indicators import Catalogue

STAGES_SHEET = "Tahapan"
# The ministry's words for every stage (the workbooks speak Indonesian whatever the UI language).
STAGE_NAMES = {
    "self": "Evaluasi mandiri", "dp3a": "Pemeriksaan DP3A", "province": "Verifikasi provinsi",
    "ministry": "Reviu kementerian", "field": "Verifikasi lapangan", "final": "Verifikasi final",
}
STILL_VERIFYING = "masih diverifikasi"
FIXED_COLUMNS = ("Kode", "Kabupaten/Kota", "Tahap")


def still_verifying_formula(category: str, undecided_ref: str) -> str:
    """`category` (a formula, "=…") unless the cell `undecided_ref` counts undecided answers: then
    "masih diverifikasi", as the pages show a stage that has not decided everything (no category)."""
    return f'=IF(N({undecided_ref})>0,"{STILL_VERIFYING}",{category.removeprefix("=")})'

PER_STAGE = ("Nilai", "Belum diputuskan (soal)", "Belum diputuskan (maks. nilai)", "Kategori")
# Narrow columns under wrapped headers, so that half the sheet fits one A4 landscape page.
FIXED_WIDTHS = (7, 18, 12)
STAGE_WIDTHS = (8, 10, 10, 11)
AWARD_WIDTH = 12
SECOND_PAGE = "ministry"  # the first stage printed on the second page
PRINT_SCALE = 65  # percent: each half (about 155 characters) fits A4 landscape's width


def stage_columns() -> list[str]:
    """The header: the kab/kota, then four columns per stage (points so far, undecided, up to, category)."""
    columns = list(FIXED_COLUMNS)
    for stage in SHOWN_STAGES:
        columns += [f"{STAGE_NAMES[stage]} – {label}" for label in PER_STAGE]
    return [*columns, "Kategori penghargaan"]


def write_stage_sheet(book: Book, catalogue: Catalogue, rows: Iterable[RegionRow], *, own: bool = False) -> None:
    """One row per submitted kab/kota (`own`: the kab/kota's own rekap, submitted or not); a stage not
    reached stays blank."""
    names = {b.code: b.name for b in catalogue.bands}
    sheet = book.sheet(STAGES_SHEET)
    columns = stage_columns()
    widths = [*FIXED_WIDTHS, *(STAGE_WIDTHS * len(SHOWN_STAGES)), AWARD_WIDTH]
    write_header(book, sheet, 0, columns, widths)  # the stage's name and the column's on wrapped lines
    set_widths(sheet, widths)
    sheet.freeze_panes(1, 2)
    # Printed on two A4 landscape pages across, never squeezed onto one (28 columns would print at
    # 4 pt): the self-assessment to the province on the first, the ministry to the award on the
    # second, each with the kab/kota's code and name.
    print_setup(sheet, 0, one_page_wide=False)
    sheet.set_print_scale(PRINT_SCALE)
    sheet.repeat_columns(0, 1)
    sheet.set_v_pagebreaks([len(FIXED_COLUMNS) + SHOWN_STAGES.index(SECOND_PAGE) * len(PER_STAGE)])
    r = 0
    for row in rows:
        scores = row.scores
        if scores is None or not (own or scores_shown(row)):
            continue
        r += 1
        stage = STAGE_NAMES.get(scores.latest, str(scores.stage))
        texts = [(row.regency.name, FIXED_WIDTHS[1]), (stage, FIXED_WIDTHS[2])]
        write_text(book, sheet, r, 0, row.regency.code, TOP)
        write_text(book, sheet, r, 1, row.regency.name, WRAP_TOP)
        write_text(book, sheet, r, 2, stage, WRAP_TOP)
        for line in scores.rows():
            c = len(FIXED_COLUMNS) + SHOWN_STAGES.index(line.stage) * len(PER_STAGE)
            category = names[line.category] if line.category else STILL_VERIFYING
            write_number(book, sheet, r, c, points(line.total.points), TOP, POINTS)
            write_number(book, sheet, r, c + 1, line.total.undecided, TOP)
            write_number(book, sheet, r, c + 2, points(line.total.undecided_cents), TOP, POINTS)
            write_text(book, sheet, r, c + 3, category, WRAP_TOP)
            texts.append((category, STAGE_WIDTHS[3]))
        if scores.award is not None:
            award = names.get(scores.award, "tanpa penghargaan")
            write_text(book, sheet, r, len(columns) - 1, award, WRAP_TOP)
            texts.append((award, AWARD_WIDTH))
        sheet.set_row(r, row_height(texts))  # every wrapped cell shows all its lines, on screen and on paper
