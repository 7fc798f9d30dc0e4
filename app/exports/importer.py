"""Read back a kab/kota rekap filled in offline, say what would change, and save it when confirmed.

What the DP3A may edit in the workbook: `Nilai EM` (the points, as the ministry's rekap
sheets record them) and `Catatan` (the note). Everything else is for reading.

How an edit is recognised: the very hidden `_data` sheet holds, per question, the points
and the note as exported and the answer's version. A cell that differs from what was
exported is an edit; a cell that still holds the exported value is not, even when the
answer has changed in the app since (the app's newer answer is kept). An edit to an answer
whose version moved since the export is a conflict: reported, never applied.

Points become an answer the scale can give: the option worth exactly those points; for a
percentage, the value that gives them; for a count, the smallest threshold that does.
Points no answer can give are refused with the allowed values.

Nothing is written by `plan_import`; `apply_import` saves through
`app.services.answers.save_answer` (optimistic locking, audit log), one answer at a time.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import load_workbook
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
from app.i18n import decimal_mark, pick
from app.i18n import gettext as _
from app.models import Answer, Assessment, Cycle, Regency, User
from app.refusals import NotAllowed, Refusal
from app.services.answers import EDITABLE, AnswerConflict, AnswerInput, answers_of, save_answer, scored
from indicators import Catalogue, NumberScale, OptionsScale, PercentScale
from scoring import Answer as ScoredAnswer
from scoring import AnswerError, Scorer, format_points, to_cents

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a filled rekap is ~50-150 KB
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ROWS_PER_SHEET = 2000
MAX_NOTE = 4000
MAX_ERRORS = 200  # past this many, the file is plainly not a rekap: stop listing


class ImportRefused(Exception):
    """The file as a whole cannot be imported; `message` says why, in the UI language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CellProblem:
    sheet: str | None
    cell: str | None  # "G12"; None for the whole sheet or the whole file
    problem: str

    def message(self) -> str:
        if self.sheet and self.cell:
            return _("Sheet %(sheet)s, cell %(cell)s: %(problem)s") % {
                "sheet": self.sheet, "cell": self.cell, "problem": self.problem}
        if self.sheet:
            return _("Sheet %(sheet)s: %(problem)s") % {"sheet": self.sheet, "problem": self.problem}
        return self.problem


@dataclass
class Change:
    code: str
    sheet: str
    row: int
    given: AnswerInput  # what will be saved
    expected_version: int  # the version the workbook was exported from (0: no answer yet)
    old_points: int | None
    new_points: int | None
    old_answer: str
    new_answer: str
    old_note: str
    new_note: str
    question: str = ""  # the question's text, shortened, for the preview

    @property
    def answer_changed(self) -> bool:
        return self.old_points != self.new_points or self.old_answer != self.new_answer

    @property
    def note_changed(self) -> bool:
        return self.old_note != self.new_note


@dataclass
class Conflict:
    code: str
    sheet: str
    row: int
    exported_version: int
    current_version: int

    def message(self) -> str:
        return _("Question %(code)s was changed in the app after this rekap was downloaded (version "
                 "%(old)s, now %(new)s): its change in the file is not applied. Download the rekap again "
                 "to edit it.") % {"code": self.code, "old": self.exported_version, "new": self.current_version}


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    unchanged: int = 0
    exported_at: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def messages(self) -> list[str]:
        return [p.message() for p in self.problems]


@dataclass
class ApplyReport:
    saved: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # messages


@dataclass
class _Exported:
    option: str | None
    value: str | None
    not_applicable: bool
    version: int
    points: int | None
    note: str


@dataclass
class _Row:
    code: str
    sheet: str
    row: int
    points: int | None
    note: str


# -- the file -------------------------------------------------------------------------------


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
    megabytes = f"{limit / (1024 * 1024):g}".replace(".", decimal_mark())
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


# -- planning ---------------------------------------------------------------------------------


def plan_import(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    assessment: Assessment,
    path: Path,
) -> ImportPlan:
    """Read the workbook at `path` and compare it with the assessment; writes nothing."""
    plan = ImportPlan()
    if assessment.stage != "self":
        plan.problems.append(CellProblem(None, None, stage_closed_message()))
        return plan
    check_file(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # hostile or broken input: any failure to open it means "unreadable"
        raise ImportRefused(unreadable_message()) from None
    try:
        rows = _read(workbook, session, catalogue, assessment, plan)
    except ImportRefused:
        raise
    except Exception:
        raise ImportRefused(unreadable_message()) from None
    finally:
        workbook.close()
    if rows is None:
        return plan
    exported, found = rows
    _compare(session, catalogue, scorer, assessment, exported, found, plan)
    return plan


def stage_closed_message() -> str:
    return _("The assessment has been submitted to the province: answers can no longer be imported.")


def _read(workbook, session, catalogue, assessment, plan):
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
    found: dict[str, _Row] = {}
    part_of = {title: code for code, title in titles.items()}
    for title in titles.values():
        _read_part(workbook[title], title, part_of[title], catalogue, exported, found, plan)
        if len(plan.problems) >= MAX_ERRORS:
            break
    return exported, found


def _read_data(sheet, session, catalogue, assessment, plan) -> dict[str, _Exported] | None:
    damaged = CellProblem(DATA_SHEET, None, _(
        "the hidden sheet is damaged, so the rows cannot be matched to the answers safely. Download the "
        "rekap again from this page and copy your changes into it."))
    rows = sheet.iter_rows(values_only=True)
    head = next(rows, None)
    if not head or len(head) < 6 or head[0] != FORMAT_TAG:
        plan.problems.append(damaged)
        return None
    regency_code, year, instrument_version = str(head[2]), head[3], str(head[5])
    regency = session.get(Regency, assessment.regency_code)
    cycle = session.get(Cycle, assessment.cycle_id)
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
    exported: dict[str, _Exported] = {}
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
            exported[str(code)] = _Exported(
                option=None if values[1] is None else str(values[1]),
                value=None if values[2] is None else str(values[2]),
                not_applicable=bool(values[3]),
                version=int(values[4] or 0),
                points=None if cents is None else int(cents),
                note=_note_text(values[6]),
            )
    except (TypeError, ValueError):
        plan.problems.append(damaged)
        return None
    return exported


def _read_part(sheet, title, part_code, catalogue, exported, found, plan) -> None:
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
        if points is _INVALID or note is _INVALID:
            found[code] = _Row(code, title, row, exported[code].points, exported[code].note)  # counted, not used
            continue
        found[code] = _Row(code, title, row, points, note)


_INVALID = object()


def _where(title, plan):
    def add(row: int, column: int, problem: str) -> None:
        plan.problems.append(CellProblem(title, f"{get_column_letter(column)}{row}", problem))

    return add


def _value(cell):
    return None if cell is None else cell.value


def _is_formula(cell) -> bool:
    """A formula cell (`<f>` in the file, whatever its text, also with a tab or space before "="):
    refused. A text cell is text, also when it begins with "=": the export writes such notes as text,
    so they come back as text (the cell's type decides, never its first character)."""
    if cell is None or cell.value is None:
        return False
    return getattr(cell, "data_type", None) == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula)


def _read_points(cell, row, column, code, catalogue, where):
    if _is_formula(cell):
        where(row, column, _("a formula is not allowed here: type the points themselves."))
        return _INVALID
    value = _value(cell)
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        where(row, column, _("'%(value)s' is text, not a number. Type the points as a number, e.g. 2.5.") % {
            "value": value.strip()[:40]})
        return _INVALID
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        where(row, column, _("this cell must hold a number of points."))
        return _INVALID
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        where(row, column, _("this cell must hold a number of points."))
        return _INVALID
    maximum = catalogue.questions[code].question.max
    cents = to_cents(number)
    if cents < 0 or cents > to_cents(maximum):
        where(row, column, _("%(value)s is outside the range 0 to %(max)s of question %(code)s.") % {
            "value": _number_text(number), "max": _points_text(to_cents(maximum)), "code": code})
        return _INVALID
    return cents


def _read_note(cell, row, column, where):
    if _is_formula(cell):
        where(row, column, _("a formula is not allowed here: type the note itself."))
        return _INVALID
    text = _note_text(_value(cell))
    if len(text) > MAX_NOTE:
        where(row, column, _("the note is too long (at most %(n)s characters).") % {"n": MAX_NOTE})
        return _INVALID
    return text


def _note_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return clean_text(str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()


# -- comparing with the database -------------------------------------------------------------


def _compare(session, catalogue, scorer, assessment, exported, found, plan) -> None:
    if plan.problems:
        return
    current = answers_of(session, assessment.id, list(found))
    for code in catalogue.questions:  # catalogue order
        row = found.get(code)
        if row is None:
            continue
        before = exported[code]
        edited_points = row.points != before.points
        edited_note = row.note != before.note
        if not edited_points and not edited_note:
            plan.unchanged += 1
            continue
        answer = current.get(code)
        version = answer.version if answer is not None else 0
        if version != before.version and _matches(scorer, code, answer, row):
            # The file already says what the app says (e.g. this very workbook imported before):
            # nothing to apply, so nothing to warn about either.
            plan.unchanged += 1
            continue
        if version != before.version:
            plan.conflicts.append(Conflict(code, row.sheet, row.row, before.version, version))
            continue
        points_cell = f"{get_column_letter(COL['Nilai EM'])}{row.row}"
        if answer is not None and answer.status not in EDITABLE:
            column = COL["Nilai EM"] if edited_points else COL["Catatan"]
            plan.problems.append(CellProblem(row.sheet, f"{get_column_letter(column)}{row.row}", _(
                "question %(code)s has been submitted or approved and is read-only: its change cannot be "
                "imported. Return it in the review first, then import again.") % {"code": code}))
            continue
        old_points = _points_of(scorer, code, answer)
        option = answer.option if answer is not None else None
        value = Decimal(answer.value) if answer is not None and answer.value is not None else None
        not_applicable = bool(answer.not_applicable) if answer is not None else False
        if edited_points:
            if row.points is None:
                plan.problems.append(CellProblem(row.sheet, points_cell, _(
                    "the points of question %(code)s were cleared: an answer cannot be deleted by import. Type "
                    "its points again, or change the answer in the app.") % {"code": code}))
                continue
            mapped = answer_for_points(scorer, code, row.points, answer)
            if isinstance(mapped, str):
                plan.problems.append(CellProblem(row.sheet, points_cell, mapped))
                continue
            option, value, not_applicable = mapped.option, mapped.value, False
        note = row.note if edited_note else (answer.note if answer is not None else "")
        given = AnswerInput(option=option, value=value, note=note, not_applicable=not_applicable)
        new_points = _given_points(scorer, code, given)
        old_text = describe(catalogue, code, answer.option if answer else None,
                            Decimal(answer.value) if answer is not None and answer.value is not None else None,
                            bool(answer and answer.not_applicable))
        new_text = describe(catalogue, code, option, value, not_applicable)
        old_note = answer.note if answer is not None else ""
        if new_points == old_points and new_text == old_text and note == old_note:
            plan.unchanged += 1
            continue
        text = " ".join(catalogue.questions[code].question.text.split())
        plan.changes.append(Change(code, row.sheet, row.row, given, version, old_points, new_points,
                                   old_text, new_text, old_note, note,
                                   question=text if len(text) <= 140 else text[:139] + "…"))


def _matches(scorer: Scorer, code: str, answer: Answer | None, row) -> bool:
    """Whether the row's points and note are what the app holds now."""
    current_note = _note_text(answer.note) if answer is not None else ""
    return row.points == _points_of(scorer, code, answer) and row.note == current_note


def _points_of(scorer: Scorer, code: str, answer: Answer | None) -> int | None:
    given = scored(answer) if answer is not None else None
    if given is None:
        return None
    try:
        return scorer.question_points(code, given)
    except AnswerError:
        return None


def _given_points(scorer: Scorer, code: str, given: AnswerInput) -> int | None:
    if given.not_applicable:
        return 0
    if given.option is not None:
        return scorer.question_points(code, ScoredAnswer(option=given.option))
    if given.value is not None:
        return scorer.question_points(code, ScoredAnswer(value=given.value))
    return None


def answer_for_points(scorer: Scorer, code: str, cents: int, current: Answer | None = None):
    """The answer giving exactly `cents` on question `code`'s scale, or a message naming the allowed points.

    The current answer is kept when it already gives those points.
    """
    if current is not None and not current.not_applicable and _points_of(scorer, code, current) == cents:
        value = Decimal(current.value) if current.value is not None else None
        return ScoredAnswer(option=current.option, value=value)
    catalogue = scorer.catalogue
    scale = catalogue.scale_of(catalogue.questions[code].question)
    compiled = scorer.questions[code]
    if isinstance(scale, OptionsScale):
        for option in scale.options:
            if compiled.option_cents[option.code] == cents:
                return ScoredAnswer(option=option.code)
        allowed = sorted(set(compiled.option_cents.values()))
        return _not_on_scale(code, cents, allowed)
    if isinstance(scale, PercentScale):
        max_cents = compiled.max_cents
        share = Fraction(cents, max_cents) if max_cents else Fraction(0)
        if scale.lower_is_better:
            share = 1 - share
        exact = Decimal(share.numerator * 100) / Decimal(share.denominator)
        start = exact.quantize(Decimal("0.01"))
        for step in (0, 1, -1, 2, -2, 3, -3):
            value = start + Decimal(step) / 100
            if Decimal(0) <= value <= Decimal(100) and \
                    scorer.question_points(code, ScoredAnswer(value=value)) == cents:
                return ScoredAnswer(value=value)
        return _("question %(code)s cannot score exactly %(points)s points; try a value 0.01 higher or "
                 "lower.") % {"code": code, "points": _points_text(cents)}
    assert isinstance(scale, NumberScale)
    reachable = sorted(((minimum, worth) for minimum, worth in compiled.thresholds if worth == cents),
                       key=lambda item: item[0])
    if reachable:
        return ScoredAnswer(value=reachable[0][0])
    if cents == 0:
        return ScoredAnswer(value=Decimal(0))
    allowed = sorted({worth for _minimum, worth in compiled.thresholds} | {0})
    return _not_on_scale(code, cents, allowed)


def _not_on_scale(code: str, cents: int, allowed: list[int]) -> str:
    return _("question %(code)s cannot score %(points)s points on its answer scale. Allowed points: "
             "%(allowed)s.") % {"code": code, "points": _points_text(cents),
                                "allowed": "; ".join(_points_text(c) for c in allowed)}


def describe(catalogue: Catalogue, code: str, option: str | None, value: Decimal | None,
             not_applicable: bool) -> str:
    """An answer in words: the option's label, the percentage or count, or "not applicable"."""
    if not_applicable:
        return _("not applicable")
    scale = catalogue.scale_of(catalogue.questions[code].question)
    if option is not None and isinstance(scale, OptionsScale):
        for candidate in scale.options:
            if candidate.code == option:
                return pick(candidate.label, candidate.label_en)
        return option
    if value is not None:
        text = _number_text(value)
        if isinstance(scale, PercentScale):
            return f"{text} %"
        if isinstance(scale, NumberScale):
            return f"{text} {pick(scale.unit, scale.unit_en)}"
        return text
    return "–"


def _points_text(cents: int) -> str:
    return format_points(cents, decimal_mark())


def _number_text(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", decimal_mark())


# -- applying ----------------------------------------------------------------------------------


def apply_import(
    session: Session,
    scorer: Scorer,
    assessment: Assessment,
    plan: ImportPlan,
    user: User,
) -> ApplyReport:
    """Save every planned change through `save_answer`; conflicts found now are reported, not applied."""
    report = ApplyReport(conflicts=list(plan.conflicts))
    if not plan.ok or assessment.stage != "self":
        return report
    for change in plan.changes:
        try:
            save_answer(session, assessment, change.code, change.given, change.expected_version, user, scorer)
        except AnswerConflict as stale:
            now = stale.current.version if stale.current is not None else 0
            report.conflicts.append(Conflict(change.code, change.sheet, change.row, change.expected_version, now))
        except NotAllowed:
            report.failed.append(_("Question %(code)s has been submitted or approved in the meantime and is "
                                   "read-only: not changed.") % {"code": change.code})
        except Refusal as refusal:
            report.failed.append(_("Question %(code)s could not be saved: %(problem)s") % {
                "code": change.code, "problem": refusal.message})
        else:
            report.saved.append(change.code)
    return report
