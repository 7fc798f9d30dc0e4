"""The `Tahapan` sheet of the workbooks: per kab/kota the score at every stage reached, with the
questions each stage has not decided yet (issue 22). A stage that has not decided every answered
question has no category here either: its points are "verified so far", not its score.

Only totals and counts: no answer, note or file, so nothing sensitive is written (the sensitive
evidence rules of the other sheets are untouched)."""

from __future__ import annotations

from collections.abc import Iterable

from app.exports.common import (
    HEADER,
    POINTS,
    TOP,
    Book,
    points,
    print_setup,
    set_widths,
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
PER_STAGE = ("Nilai", "Belum diputuskan (soal)", "Belum diputuskan (maks. nilai)", "Kategori")


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
    header = book.fmt(HEADER)
    for c, label in enumerate(columns):
        sheet.write_string(0, c, label, header)
    set_widths(sheet, [9, 28, 22, *([12] * (len(columns) - 4)), 18])
    sheet.set_row(0, 60)  # the stage's name and the column's on wrapped lines
    print_setup(sheet, 0)
    r = 0
    for row in rows:
        scores = row.scores
        if scores is None or not (own or scores_shown(row)):
            continue
        r += 1
        write_text(book, sheet, r, 0, row.regency.code, TOP)
        write_text(book, sheet, r, 1, row.regency.name, TOP)
        write_text(book, sheet, r, 2, STAGE_NAMES.get(scores.latest, str(scores.stage)), TOP)
        for line in scores.rows():
            c = len(FIXED_COLUMNS) + SHOWN_STAGES.index(line.stage) * len(PER_STAGE)
            write_number(book, sheet, r, c, points(line.total.points), TOP, POINTS)
            write_number(book, sheet, r, c + 1, line.total.undecided, TOP)
            write_number(book, sheet, r, c + 2, points(line.total.undecided_cents), TOP, POINTS)
            write_text(book, sheet, r, c + 3, names[line.category] if line.category else STILL_VERIFYING, TOP)
        if scores.award is not None:
            write_text(book, sheet, r, len(columns) - 1, names.get(scores.award, "tanpa penghargaan"), TOP)
