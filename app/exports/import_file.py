"""Reading a filled-in rekap back: is it a plain .xlsx of the right kab/kota and instrument, and
what do its `Nilai EM` and `Catatan` cells hold, row by row (every unreadable cell a `CellProblem`).

The very hidden `_data` sheet holds, per question, the answer, its version and the points and
note as exported: what the cells are compared with (`app.exports.importer`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from sqlmodel import Session

from app.evidence import RefusedFile, sniff
from app.exports.common import (
    COL,
    DATA_SHEET,
    FORMAT_TAG,
    REKAP_COLUMNS,
    SUBTOTAL_LABEL,
    SUMMARY_SHEET,
    clean_text,
    part_sheet_titles,
)
from app.exports.import_report import CellProblem, ImportPlan, ImportRefused
from app.forms import MAX_NOTE
from app.i18n import format_cents, format_number
from app.i18n import gettext as _
from app.models import Assessment, Cycle, Regency
from indicators import Catalogue
from scoring import to_cents

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a filled rekap is ~50-150 KB
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ROWS_PER_SHEET = 2000
MAX_ERRORS = 200  # past this many, the file is plainly not a rekap: stop listing

Workbook = Any  # openpyxl's read-only workbook, sheets and cells (the library has no type information)
Sheet = Any
Cell = Any
Where = Callable[[int, int, str], None]  # report a problem at (row, column)


class _Invalid(Enum):
    CELL = "invalid"


INVALID = _Invalid.CELL  # a cell that was reported: its row is counted, not used


@dataclass
class Exported:
    """A question's row of `_data`: the answer and what the rekap showed when it was downloaded."""

    option: str | None
    value: str | None
    not_applicable: bool
    version: int
    points: int | None
    note: str


@dataclass
class FileRow:
    """A question's row on its part sheet: the points and the note as the file holds them now."""

    code: str
    sheet: str
    row: int
    points: int | None
    note: str


def check_file(path: Path) -> None:
    """Refuse anything that is not a plain .xlsx (by content, not by name), or too large."""
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise ImportRefused(too_large_message())
    try:
        kind = sniff(path, max_unzipped_bytes=MAX_UNZIPPED_BYTES).kind
    except RefusedFile as refused:
        if refused.code in ("zip_bomb", "corrupt") and zipfile.is_zipfile(path):
            raise ImportRefused(unreadable_message()) from None
        if refused.code in ("office_macros", "office_external", "office_embedded"):
            raise ImportRefused(active_content_message()) from None
        raise ImportRefused(not_xlsx_message()) from None
    if kind != "xlsx":
        raise ImportRefused(not_xlsx_message())


def too_large_message(limit: int = MAX_IMPORT_BYTES) -> str:
    megabytes = format_number(Decimal(limit) / (1024 * 1024))  # every limit is a whole number of bytes: exact
    return _("The file is larger than %(n)s MB: a kab/kota rekap is far smaller. Check that you chose the "
             "rekap downloaded from this page.") % {"n": megabytes}


def not_xlsx_message() -> str:
    return _("The file is not an Excel workbook (.xlsx). Download the rekap from this page, fill it in and "
             "upload it as .xlsx.")


def active_content_message() -> str:
    return _("The workbook contains macros or an embedded program object, or fetches data from outside the "
             "file (a link to a workbook on another computer, a data connection), and was refused for safety. "
             "Download the rekap again from this page and type or paste your changes into it as values.")


def unreadable_message() -> str:
    return _("The workbook cannot be read: it is damaged or was not saved as .xlsx. Open it in Excel or "
             "LibreOffice, save it again as .xlsx (Excel Workbook) and upload it again.")


def read_workbook(workbook: Workbook, session: Session, catalogue: Catalogue, assessment: Assessment,
                  plan: ImportPlan) -> tuple[dict[str, Exported], dict[str, FileRow]] | None:
    """The `_data` rows and the part sheets' rows by question code; None once `plan` has problems that
    make the rows unreadable (a sheet missing, another kab/kota's rekap)."""
    titles = part_sheet_titles(catalogue)
    names = list(workbook.sheetnames)
    missing = [t for t in (SUMMARY_SHEET, *titles.values()) if t not in names]
    for title in missing:
        plan.problems.append(CellProblem(None, None, _(
            "Sheet '%(sheet)s' is missing. Upload the rekap downloaded from this application, without "
            "renaming or deleting its sheets.") % {"sheet": title}))
    if DATA_SHEET not in names:
        plan.problems.append(CellProblem(None, None, _(
            "The hidden sheet '_data' is missing, so the rows cannot be matched to the answers safely. "
            "Download the rekap again from this page and copy your changes into it.")))
    if plan.problems:
        return None
    exported = _read_data(workbook[DATA_SHEET], session, catalogue, assessment, plan)
    if exported is None:
        return None
    found: dict[str, FileRow] = {}
    part_of = {title: code for code, title in titles.items()}
    for title in titles.values():
        _read_part(workbook[title], title, part_of[title], catalogue, exported, found, plan)
        if len(plan.problems) >= MAX_ERRORS:
            break
    return exported, found


def _read_data(sheet: Sheet, session: Session, catalogue: Catalogue, assessment: Assessment,
               plan: ImportPlan) -> dict[str, Exported] | None:
    damaged = CellProblem(DATA_SHEET, None, _(
        "the hidden sheet is damaged, so the rows cannot be matched to the answers safely. Download the "
        "rekap again from this page and copy your changes into it."))
    rows = sheet.iter_rows(values_only=True)
    head = next(rows, None)
    if not head or len(head) < 6 or head[0] != FORMAT_TAG:
        plan.problems.append(damaged)
        return None
    regency_code, year, instrument_version = str(head[2]), head[3], str(head[5])
    regency = session.get_one(Regency, assessment.regency_code)
    cycle = session.get_one(Cycle, assessment.cycle_id)
    if regency_code != regency.code or str(year) != str(cycle.year):
        plan.problems.append(CellProblem(None, None, _(
            "This rekap belongs to kab/kota %(region)s, year %(year)s, not to %(expected)s (%(code)s), year "
            "%(expected_year)s.") % {"region": regency_code, "year": year, "expected": regency.name,
                                     "code": regency.code, "expected_year": cycle.year}))
        return None
    if instrument_version != cycle.instrument_version:
        plan.problems.append(CellProblem(None, None, _(
            "This rekap was made for instrument version %(version)s; this assessment uses %(expected)s. "
            "Download the rekap again.") % {"version": instrument_version, "expected": cycle.instrument_version}))
        return None
    plan.exported_at = str(head[6]) if len(head) > 6 and head[6] else ""
    next(rows, None)  # the column names
    exported: dict[str, Exported] = {}
    try:
        for count, values in enumerate(rows):
            if count > MAX_ROWS_PER_SHEET:
                raise ValueError("too many rows")
            values = tuple(values) + (None,) * (7 - len(values))
            code = values[0]
            if code is None:
                continue
            if str(code) not in catalogue.questions:
                raise ValueError(code)
            cents = values[5]
            exported[str(code)] = Exported(
                option=None if values[1] is None else str(values[1]),
                value=None if values[2] is None else str(values[2]),
                not_applicable=bool(values[3]),
                version=int(values[4] or 0),
                points=None if cents is None else int(cents),
                note=note_text(values[6]),
            )
    except (TypeError, ValueError):
        plan.problems.append(damaged)
        return None
    return exported


def _read_part(sheet: Sheet, title: str, part_code: str, catalogue: Catalogue, exported: dict[str, Exported],
               found: dict[str, FileRow], plan: ImportPlan) -> None:
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=len(REKAP_COLUMNS) + 1, values_only=True), ())
    header = tuple(header) + (None,) * (len(REKAP_COLUMNS) + 1 - len(header))
    shifted = False
    for index, expected in enumerate(REKAP_COLUMNS):
        seen = header[index]
        if (str(seen).strip() if seen is not None else "") != expected:
            plan.problems.append(CellProblem(title, f"{get_column_letter(index + 1)}1", _(
                "the column should be '%(expected)s' but reads '%(found)s'. Columns were inserted, deleted "
                "or moved: download the rekap again and keep its columns as they are.") % {
                "expected": expected, "found": "" if seen is None else str(seen)[:60]}))
            shifted = True
            break
    if not shifted and header[len(REKAP_COLUMNS)] not in (None, ""):
        plan.problems.append(CellProblem(title, f"{get_column_letter(len(REKAP_COLUMNS) + 1)}1", _(
            "there is an extra column after 'Bukti Dukung'. Download the rekap again and keep its columns "
            "as they are.")))
        shifted = True
    if shifted:
        return  # every other cell would be read from the wrong column

    code_col, points_col, note_col = COL["Kode Pertanyaan"], COL["Nilai EM"], COL["Catatan"]
    for offset, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(REKAP_COLUMNS))):
        row = offset + 2
        if offset >= MAX_ROWS_PER_SHEET:
            plan.problems.append(CellProblem(title, None, _(
                "it has more than %(n)s rows: this is not a kab/kota rekap.") % {"n": MAX_ROWS_PER_SHEET}))
            return
        cells = tuple(cells) + (None,) * (len(REKAP_COLUMNS) - len(cells))
        code_cell, points_cell, note_cell = cells[code_col - 1], cells[points_col - 1], cells[note_col - 1]
        code = _value(code_cell)
        where = _where(title, plan)
        if code is None or (isinstance(code, str) and not code.strip()):
            label = _value(cells[0])
            if isinstance(label, str) and label.startswith(SUBTOTAL_LABEL):
                continue
            if _value(points_cell) not in (None, "") or _value(note_cell) not in (None, ""):
                where(row, code_col, _("a row without a question code holds points or a note. Fill in the "
                                       "question code or clear the row."))
            continue
        code = str(code).strip()
        if code not in catalogue.questions:
            where(row, code_col, _("question code '%(code)s' is not in the instrument.") % {"code": code[:40]})
            continue
        if catalogue.questions[code].part.code != part_code:
            where(row, code_col, _("question %(code)s belongs on another sheet (%(part)s).") % {
                "code": code, "part": catalogue.questions[code].part.short_name})
            continue
        if code in found:
            where(row, code_col, _("question %(code)s appears twice (also on sheet %(sheet)s, row %(row)s).") % {
                "code": code, "sheet": found[code].sheet, "row": found[code].row})
            continue
        if code not in exported:
            where(row, code_col, _("question %(code)s is missing from the hidden '_data' sheet. Download the "
                                   "rekap again.") % {"code": code})
            continue
        points = _read_points(points_cell, row, points_col, code, catalogue, where)
        note = _read_note(note_cell, row, note_col, where)
        if points is INVALID or note is INVALID:
            found[code] = FileRow(code, title, row, exported[code].points, exported[code].note)  # counted, not used
            continue
        found[code] = FileRow(code, title, row, points, note)


def _where(title: str, plan: ImportPlan) -> Where:
    def add(row: int, column: int, problem: str) -> None:
        plan.problems.append(CellProblem(title, f"{get_column_letter(column)}{row}", problem))

    return add


def _value(cell: Cell) -> Any:  # noqa: ANN401 (whatever the cell holds)
    return None if cell is None else cell.value


def _is_formula(cell: Cell) -> bool:
    """A formula cell (`<f>` in the file, whatever its text, also with a tab or space before "="):
    refused. A text cell is text, also when it begins with "=": the export writes such notes as text,
    so they come back as text (the cell's type decides, never its first character)."""
    if cell is None or cell.value is None:
        return False
    return getattr(cell, "data_type", None) == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula)


def _read_points(cell: Cell, row: int, column: int, code: str, catalogue: Catalogue,
                 where: Where) -> int | None | Literal[_Invalid.CELL]:
    if _is_formula(cell):
        where(row, column, _("a formula is not allowed here: type the points themselves."))
        return INVALID
    value = _value(cell)
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        where(row, column, _("'%(value)s' is text, not a number. Type the points as a number, e.g. 2.5.") % {
            "value": value.strip()[:40]})
        return INVALID
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        where(row, column, _("this cell must hold a number of points."))
        return INVALID
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        where(row, column, _("this cell must hold a number of points."))
        return INVALID
    maximum = catalogue.questions[code].question.max
    cents = to_cents(number)
    if cents < 0 or cents > to_cents(maximum):
        where(row, column, _("%(value)s is outside the range 0 to %(max)s of question %(code)s.") % {
            "value": format_number(number), "max": format_cents(to_cents(maximum)), "code": code})
        return INVALID
    return cents


def _read_note(cell: Cell, row: int, column: int, where: Where) -> str | Literal[_Invalid.CELL]:
    if _is_formula(cell):
        where(row, column, _("a formula is not allowed here: type the note itself."))
        return INVALID
    text = note_text(_value(cell))
    if len(text) > MAX_NOTE:
        where(row, column, _("the note is too long (at most %(n)s characters).") % {"n": MAX_NOTE})
        return INVALID
    return text


def note_text(value: object) -> str:
    """A note cell's value as the note it stands for (a number or a date typed into it, as text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return clean_text(str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()
