"""The list of a Kelana/Dekela question's kecamatan or desa/kelurahan, attached as its evidence when
the records are applied (`app.services.areas.apply`): every area of the kab/kota with whether it
meets the criterion, the qualifying ones first in the count, so a verifier sees the numerator and
the denominator behind the percentage.

The bytes depend only on what they show (a fixed creation date): applying twice with nothing
changed gives the same file, which is then not attached again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import xlsxwriter

from app.exports.common import clean_text
from scoring.areas import AreaShare, VillageKind, village_kind

KIND_WORDS = {VillageKind.KELURAHAN: "Kelurahan", VillageKind.DESA: "Desa", VillageKind.OTHER: "Desa/Kelurahan"}


@dataclass(frozen=True)
class AreaLine:
    code: str
    name: str
    kecamatan: str  # a desa's kecamatan ("" for a kecamatan)
    meets: bool | None  # None: not recorded (counted as not meeting)
    note: str = ""


def area_list_workbook(title: str, question_text: str, criterion: str, desa: bool, share: AreaShare,
                       lines: list[AreaLine], year: int) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": title[:250], "author": "KLA", "created": datetime(year, 1, 1)})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Daftar")
    word = "desa/kelurahan" if desa else "kecamatan"
    sheet.write_string(0, 0, clean_text(title), bold)
    sheet.write_string(1, 0, clean_text(question_text))
    sheet.write_string(2, 0, f"Kriteria: {clean_text(criterion)}")
    sheet.write_string(3, 0, f"{share.meeting} dari {share.total} {word} memenuhi kriteria"
                             f" ({format(share.percent or 0, 'f').replace('.', ',')}%)"
                             + (f"; {share.unrecorded} belum dicatat (dihitung tidak memenuhi)" if share.unrecorded
                                else ""))
    columns = ["No", "Kode", "Kecamatan"] + (["Desa/Kelurahan", "Jenis"] if desa else []) + ["Memenuhi", "Catatan"]
    for column, label in enumerate(columns):
        sheet.write_string(5, column, label, head)
    for index, line in enumerate(lines, start=1):
        row = 5 + index
        values = [str(index), line.code]
        values += [line.kecamatan, line.name, KIND_WORDS[village_kind(line.code)]] if desa else [line.name]
        values += ["Ya" if line.meets else ("Belum dicatat" if line.meets is None else "Tidak"), clean_text(line.note)]
        for column, value in enumerate(values):
            sheet.write_string(row, column, value, cell)
    widths = [5, 16, 24] + ([28, 12] if desa else []) + [14, 40]
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(6, 0)
    book.close()
    return buffer.getvalue()
