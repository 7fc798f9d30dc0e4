"""What the workbooks share: sheet names, the rekap columns, the category formula, cell helpers.

Why the exports are written with XlsxWriter and read back with openpyxl: a formula cell in an
.xlsx holds the formula and, beside it, the value it last computed. Excel and LibreOffice
recompute on opening, but many viewers do not (phone previews, mail and web previews, Python's
`openpyxl.load_workbook(data_only=True)`, pandas): they show the cached value, and a workbook
written by openpyxl has none, so every total and category showed blank there. openpyxl cannot
write a cached value; XlsxWriter can (`write_formula(..., value=)`), so every formula here is
written together with the value the app computed for it (the same number, to the cent, that
the formula gives: `tests/web/test_workbook_values.py` checks both ways). XlsxWriter is also the
faster, leaner writer for the national table (`constant_memory`: each row goes to disk as it is
written). It only writes; the import (`app.exports.importer`) keeps openpyxl, which reads.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from indicators import Catalogue
from scoring import Stage, from_cents
from scoring.categories import band_for, cent_bands

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Style = dict[str, Any]  # XlsxWriter format properties

# The ministry's "Rekap Penilaian Mandiri" layout: exactly these 11 columns, in this order.
REKAP_COLUMNS = (
    "Klaster",
    "Kode Indikator",
    "Nama Indikator",
    "Kode Pertanyaan",
    "Pertanyaan",
    "Nilai Maks",
    "Nilai EM",
    "Nilai Verifikasi",
    "Sumber Data",
    "Catatan",
    "Bukti Dukung",
)
COL = {name: index + 1 for index, name in enumerate(REKAP_COLUMNS)}  # 1-based column numbers

SUMMARY_SHEET = "Ringkasan"
DATA_SHEET = "_data"
FORMAT_TAG = "kla-rekap"
FORMAT_VERSION = 1
DATA_COLUMNS = ("Kode Pertanyaan", "Opsi", "Nilai", "Tidak Berlaku", "Versi", "Nilai EM (sen)", "Catatan")
SUBTOTAL_LABEL = "Jumlah"

# The workbooks are the ministry's documents: Indonesian whatever the UI language, in the wording of its
# rekap ("Evaluasi mandiri (kab/kota)", capitalised, naming who answers), not the UI's `stage_label`
# ("evaluasi mandiri"). So they keep names of their own, keyed by the one `Stage`.
STAGE_LABELS: dict[Stage, str] = {
    Stage.SELF: "Evaluasi mandiri (kab/kota)",
    Stage.PROVINCE: "Verifikasi provinsi",
    Stage.MINISTRY: "Reviu kementerian",
}
VERIFIED_LABELS: dict[Stage, str] = {Stage.DP3A: "Verifikasi DP3A", Stage.PROVINCE: "Verifikasi provinsi"}
VERIFIED_BY: dict[Stage, str] = {Stage.DP3A: "DP3A kab/kota", Stage.PROVINCE: "Provinsi"}  # national summary

POINTS_FORMAT = "0.00"
POINTS: Style = {"num_format": POINTS_FORMAT}
TITLE: Style = {"bold": True, "font_size": 14}
HEADER: Style = {"bold": True, "bg_color": "#DDE6F0", "text_wrap": True, "valign": "vcenter", "align": "center",
          "border": 1}
TOTAL: Style = {"bold": True, "bg_color": "#F2F2F2", "text_wrap": True, "valign": "top"}
WRAP_TOP: Style = {"text_wrap": True, "valign": "top"}
TOP: Style = {"valign": "top"}
LINK: Style = {"font_color": "#0563C1", "underline": 1}
LINE_HEIGHT = 15.0  # points per line of 11 pt text, as Excel and LibreOffice draw it

_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


def stage_text(stage: str) -> str:
    """An assessment's stage as the workbooks name it; an unknown value as it is."""
    try:
        return STAGE_LABELS.get(Stage(stage), stage)
    except ValueError:
        return stage


def verified_stage(assessment_stage: str) -> Stage:
    """The most advanced review stage reached: the province's once submitted, else the DP3A's."""
    return Stage.DP3A if assessment_stage == Stage.SELF else Stage.PROVINCE


def sheet_title(text: str, taken: set[str]) -> str:
    """An Excel-safe sheet title (no []:*?/\\, at most 31 characters, unique ignoring case)."""
    base = _BAD_TITLE_CHARS.sub("-", text).strip().strip("'") or "Bagian"
    base = base[:31]
    title, n = base, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.casefold())
    return title


def part_sheet_titles(catalogue: Catalogue) -> dict[str, str]:
    """Part code -> sheet title, in catalogue order; the same for the export and the import."""
    taken = {SUMMARY_SHEET.casefold(), DATA_SHEET.casefold()}
    return {part.code: sheet_title(part.short_name, taken) for part in catalogue.data.parts}


def quoted(title: str) -> str:
    """A sheet name as a formula reference: 'Klaster I'."""
    return "'" + title.replace("'", "''") + "'"


def category_formula(catalogue: Catalogue, ref: str, *, blank_if_empty: bool = False) -> str:
    """A nested IF giving the category of the total in `ref`, from the catalogue's bands.

    The total is rounded to two decimals first, so that float sums land exactly on the
    boundaries the catalogue draws: 600.00 is Pratama, 600.01 Madya.
    """
    bands = catalogue.bands  # lowest first
    total = f"ROUND({ref},2)"
    expr = _string(bands[0].name)
    for band in bands[1:]:
        op = ">=" if band.includes_min else ">"
        expr = f"IF({total}{op}{plain_number(band.min)},{_string(band.name)},{expr})"
    if blank_if_empty:
        expr = f'IF({ref}="","",{expr})'
    return "=" + expr


def category_value(catalogue: Catalogue, cents: int | None) -> str:
    """What `category_formula` computes for a total of `cents` (no gates, like the formula)."""
    if cents is None:
        return ""
    return band_for(cent_bands(catalogue), cents).band.name


def _string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def plain_number(value: Decimal | float | int) -> str:
    """A number as a formula or a label writes it: "600", "12.5" (never "600.00" or "1E+2")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def points(cents: int | None) -> float | None:
    """Cents as the number written into a cell (two decimals, exactly as the app shows it)."""
    return None if cents is None else float(from_cents(cents))


def clean_text(value: str | None) -> str:
    """Text a cell can hold: characters Excel refuses are dropped."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", value or ""))


def is_formula_like(text: str) -> bool:
    """Text a spreadsheet would take for a formula if typed in: kept text with a quote prefix."""
    return text.startswith(("=", "+", "-", "@"))


def workbook_bytes(workbook: Any) -> bytes:  # noqa: ANN401 (an openpyxl Workbook, or bytes; no stubs)
    """An openpyxl workbook saved to bytes (tests build odd workbooks with it); the app's builders
    (XlsxWriter) return bytes already, which pass through as they are."""
    if isinstance(workbook, bytes):
        return workbook
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class Book:
    """An XlsxWriter workbook with formats made on demand (one per distinct set of properties).

    Strings are never turned into formulas, numbers or links behind the app's back: a note that
    starts with "=" is text; formulas are written only through `formula`, always with their value."""

    def __init__(self, target: str | Path | IO[bytes] | None = None, *, constant_memory: bool = False) -> None:
        self.buffer = io.BytesIO() if target is None else None
        self.workbook = xlsxwriter.Workbook(target if target is not None else self.buffer, {
            "constant_memory": constant_memory,
            "in_memory": not constant_memory,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        })
        self._formats: dict[tuple[tuple[str, Any], ...], Format] = {}

    def fmt(self, *layers: Style | None, **more: Any) -> Format | None:  # noqa: ANN401 (format properties)
        props: Style = {}
        for layer in (*layers, more):
            if layer:
                props.update(layer)
        if not props:
            return None
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    def sheet(self, title: str) -> Worksheet:
        return self.workbook.add_worksheet(title)

    def close(self) -> bytes:
        self.workbook.close()
        return self.buffer.getvalue() if self.buffer is not None else b""


def write_text(book: Book, sheet: Worksheet, row: int, column: int, value: str | None, *styles: Style | None) -> None:
    """Text that stays text even when it starts with '=' (a note, a file name): 0-based row and column."""
    text = clean_text(value)
    quote = {"quote_prefix": True} if is_formula_like(text) else None
    cell_format = book.fmt(*styles, quote)
    if text:
        sheet.write_string(row, column, text, cell_format)
    elif cell_format is not None:
        sheet.write_blank(row, column, None, cell_format)


def write_number(book: Book, sheet: Worksheet, row: int, column: int, value: float | None,
                 *styles: Style | None) -> None:
    cell_format = book.fmt(*styles)
    if value is None:
        if cell_format is not None:
            sheet.write_blank(row, column, None, cell_format)
    else:
        sheet.write_number(row, column, value, cell_format)


DATE: Style = {"num_format": "dd-mm-yyyy"}  # as the app writes dates (Indonesian order)


def write_date(book: Book, sheet: Worksheet, row: int, column: int, value: date | None, *styles: Style | None) -> None:
    """A date as a date cell (Excel sorts and filters it), shown dd-mm-yyyy; blank for none."""
    cell_format = book.fmt(*styles, DATE)
    if value is None:
        sheet.write_blank(row, column, None, cell_format)
    else:
        sheet.write_datetime(row, column, datetime(value.year, value.month, value.day), cell_format)


def write_formula(book: Book, sheet: Worksheet, row: int, column: int, formula: str, value: float | str | None,
                  *styles: Style | None) -> None:
    """A formula with the value the app computed for it, for viewers that do not recalculate."""
    sheet.write_formula(row, column, formula, book.fmt(*styles), "" if value is None else value)


def write_header(book: Book, sheet: Worksheet, row: int, labels: Iterable[str],
                 widths: Iterable[float] | None = None) -> None:
    """The header row; with the columns' `widths`, as tall as its wrapped labels need."""
    labels = list(labels)
    for column, label in enumerate(labels):
        sheet.write_string(row, column, label, book.fmt(HEADER))
    if widths is not None:
        sheet.set_row(row, row_height(zip(labels, widths, strict=True)))


def set_widths(sheet: Worksheet, widths: Iterable[float]) -> None:
    """Column widths from the first column on, in characters."""
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)


def fill_row(book: Book, sheet: Worksheet, row: int, columns: int, *styles: Style | None) -> None:
    """Style the first `columns` cells of a row (a total row's shading) before its values are written."""
    for column in range(columns):
        sheet.write_blank(row, column, None, book.fmt(*styles))


def text_lines(text: str | None, width: float) -> int:
    """Lines a wrapped cell of `width` characters needs for `text` (greedy word wrap, a little pessimistic:
    LibreOffice does not size the rows of a workbook it opens, so the row height is written)."""
    if not text:
        return 1
    room = max(1, int(width * 1.0) - 2)
    lines = 0
    for paragraph in text.split("\n"):
        used, count = 0, 1
        for word in paragraph.split():
            size = len(word)
            if used and used + 1 + size > room:
                count += 1
                used = 0
            if size > room:  # a long word (a file name, a link) breaks anywhere
                count += math.ceil(size / room) - 1
                size = size % room or room
            used = size if not used else used + 1 + size
        lines += count
    return lines


def row_height(texts_and_widths: Iterable[tuple[str | None, float]], *, minimum: int = 1) -> float:
    """The height in points a row needs so that every wrapped cell shows all its lines."""
    lines = max([minimum, *(text_lines(text, width) for text, width in texts_and_widths)])
    return lines * LINE_HEIGHT + 2


def print_setup(sheet: Worksheet, first_title_row: int, last_title_row: int | None = None, *, one_page_wide: bool = True) -> None:
    """A4 landscape, gridlines printed, the header rows (0-based) repeated on every page;
    `one_page_wide`: scaled to the page's width, as many pages down as needed (never to one page)."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.hide_gridlines(0)  # shown on screen and printed
    sheet.repeat_rows(first_title_row, last_title_row if last_title_row is not None else first_title_row)
    if one_page_wide:
        sheet.fit_to_pages(1, 0)
