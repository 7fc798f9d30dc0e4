"""The award list of a year as a workbook: the list (as the page shows it, filters applied) and
Provila per province. Indonesian whatever the UI language: the ministry's document. Values only,
no formulas (the categories are fixed by the ministry, not computed from the totals)."""

from __future__ import annotations

from app.clock import local_time
from app.exports.common import (
    POINTS,
    TITLE,
    WRAP_TOP,
    Book,
    print_setup,
    set_widths,
    write_header,
    write_text,
)
from app.services.award import NO_AWARD, AwardList, AwardRow
from indicators import Catalogue

LIST_TITLE = "Penghargaan"
PROVILA_TITLE = "Provila"
COLUMNS = ("Provinsi", "Kabupaten/Kota", "Nilai Akhir", "Kategori")
WIDTHS = (28, 34, 12, 18)
PROVILA_COLUMNS = ("Provinsi", "Kab/Kota", "Berpenghargaan", "Provila", "Tertahan oleh")
PROVILA_WIDTHS = (28, 10, 15, 10, 60)
NO_AWARD_TEXT = "Tidak mendapat penghargaan"
DRAFT_TEXT = "DRAF: belum diterbitkan"
HEADER_ROW = 3  # 0-based: the title, the status line, a blank row, then the header


def category_text(catalogue: Catalogue, code: str) -> str:
    names = {b.code: b.name for b in catalogue.bands}
    return names.get(code, NO_AWARD_TEXT) if code != NO_AWARD else NO_AWARD_TEXT


def award_workbook(catalogue: Catalogue, listing: AwardList, rows: list[AwardRow]) -> bytes:
    book = Book()
    cycle = listing.cycle
    status = (f"Diterbitkan {local_time(cycle.published_at)}" if cycle.published_at is not None
              else DRAFT_TEXT)

    sheet = book.sheet(LIST_TITLE)
    set_widths(sheet, WIDTHS)
    sheet.write_string(0, 0, f"Penghargaan Kabupaten/Kota Layak Anak {cycle.year}", book.fmt(TITLE))
    sheet.write_string(1, 0, status)
    write_header(book, sheet, HEADER_ROW, COLUMNS, WIDTHS)
    for index, row in enumerate(rows, start=HEADER_ROW + 1):
        write_text(book, sheet, index, 0, row.province.name)
        write_text(book, sheet, index, 1, row.regency.name)
        sheet.write_number(index, 2, float(row.award.total), book.fmt(POINTS))
        write_text(book, sheet, index, 3, category_text(catalogue, row.award.category))
    print_setup(sheet, HEADER_ROW)
    sheet.set_portrait()

    provila = book.sheet(PROVILA_TITLE)
    set_widths(provila, PROVILA_WIDTHS)
    provila.write_string(0, 0, f"Provinsi Layak Anak (Provila) {cycle.year}", book.fmt(TITLE))
    provila.write_string(1, 0, "Provila: setiap kabupaten/kota di provinsi paling rendah Pratama. " + status)
    write_header(book, provila, HEADER_ROW, PROVILA_COLUMNS, PROVILA_WIDTHS)
    for index, item in enumerate(listing.provila, start=HEADER_ROW + 1):
        write_text(book, provila, index, 0, item.province.name)
        provila.write_number(index, 1, item.regions)
        provila.write_number(index, 2, item.awarded)
        write_text(book, provila, index, 3, "Ya" if item.status.qualifies else "Tidak")
        write_text(book, provila, index, 4, ", ".join(item.holding_back), WRAP_TOP)
    print_setup(provila, HEADER_ROW)
    return book.close()
