"""What the workbooks share: sheet names, the rekap columns, the category formula, cell helpers."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from indicators import Catalogue
from scoring import from_cents

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIB = ZoneInfo("Asia/Jakarta")

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

STAGE_LABELS = {
    "self": "Evaluasi mandiri (kab/kota)",
    "province": "Verifikasi provinsi",
    "ministry": "Reviu kementerian",
}
VERIFIED_LABELS = {"dp3a": "Verifikasi DP3A", "province": "Verifikasi provinsi"}

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
POINTS_FORMAT = "0.00"

_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


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
        expr = f"IF({total}{op}{_number(band.min)},{_string(band.name)},{expr})"
    if blank_if_empty:
        expr = f'IF({ref}="","",{expr})'
    return "=" + expr


def _string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _number(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def points(cents: int | None) -> float | None:
    """Cents as the number written into a cell (two decimals, exactly as the app shows it)."""
    return None if cents is None else float(from_cents(cents))


def clean_text(value: str | None) -> str:
    """Text a cell can hold: characters Excel refuses are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value or "")


def set_text(cell, value: str | None) -> None:
    """Write text that stays text even when it starts with '=' (a note, a file name)."""
    text = clean_text(value)
    cell.value = text or None
    if text.startswith("="):
        cell.data_type = "s"


def wib(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M") + " WIB"


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def style_header(worksheet, row: int, n_columns: int) -> None:
    for column in range(1, n_columns + 1):
        cell = worksheet.cell(row=row, column=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN


def print_setup(worksheet, title_rows: str) -> None:
    """A4 landscape, one page wide, the header row repeated on every page."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = worksheet.PAPERSIZE_A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.print_title_rows = title_rows
    worksheet.print_options.gridLines = True
