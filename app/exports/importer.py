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
`app.services.answers.save_answer` (optimistic locking, audit log), one answer at a time, and
leaves the commit to the route (one unit of work per request).

The pieces: `import_file` reads the workbook, `scale_points` turns points into answers and
back, `import_report` holds what a plan and a report say.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from app.exports.common import COL
from app.exports.import_file import (
    MAX_IMPORT_BYTES,
    Exported,
    FileRow,
    check_file,
    note_text,
    read_workbook,
    too_large_message,
    unreadable_message,
)
from app.exports.import_report import (
    ApplyReport,
    CellProblem,
    Change,
    ImportPlan,
    ImportRefused,
    VersionConflict,
)
from app.exports.scale_points import OffScale, answer_for_points, describe, given_points, points_of
from app.i18n import gettext as _
from app.models import Answer, Assessment, User
from app.refusals import NotAllowed, Refusal
from app.services.answers import EDITABLE, AnswerConflict, AnswerInput, answers_of, save_answer
from indicators import Catalogue
from scoring import Scorer, Stage

__all__ = [  # what the route (and the tests) use
    "MAX_IMPORT_BYTES", "ApplyReport", "CellProblem", "ImportPlan", "ImportRefused", "VersionConflict",
    "apply_import", "check_file", "plan_import", "stage_closed_message", "too_large_message",
]


def plan_import(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    assessment: Assessment,
    path: Path,
) -> ImportPlan:
    """Read the workbook at `path` and compare it with the assessment; writes nothing."""
    plan = ImportPlan()
    if assessment.stage != Stage.SELF:
        plan.problems.append(CellProblem(None, None, stage_closed_message()))
        return plan
    check_file(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # hostile or broken input: any failure to open it means "unreadable"
        raise ImportRefused(unreadable_message()) from None
    try:
        rows = read_workbook(workbook, session, catalogue, assessment, plan)
    except ImportRefused:
        raise
    except Exception:
        raise ImportRefused(unreadable_message()) from None
    finally:
        workbook.close()
    if rows is None or plan.problems:
        return plan
    exported, found = rows
    assert assessment.id is not None  # a stored assessment
    current = answers_of(session, assessment.id, list(found))
    for code in catalogue.questions:  # catalogue order
        row = found.get(code)
        if row is not None:
            _compare(catalogue, scorer, exported[code], row, current.get(code), plan)
    return plan


def stage_closed_message() -> str:
    return _("The assessment has been submitted to the province: answers can no longer be imported.")


def _compare(catalogue: Catalogue, scorer: Scorer, before: Exported, row: FileRow, answer: Answer | None,
             plan: ImportPlan) -> None:
    """One question's row: unchanged, a conflict, a problem or a change, added to `plan`."""
    code = row.code
    edited_points = row.points != before.points
    edited_note = row.note != before.note
    if not edited_points and not edited_note:
        plan.unchanged += 1
        return
    version = answer.version if answer is not None else 0
    if version != before.version and _matches(scorer, code, answer, row):
        # The file already says what the app says (e.g. this very workbook imported before):
        # nothing to apply, so nothing to warn about either.
        plan.unchanged += 1
        return
    if version != before.version:
        plan.conflicts.append(VersionConflict(code, row.sheet, row.row, before.version, version))
        return
    points_cell = f"{get_column_letter(COL['Nilai EM'])}{row.row}"
    if answer is not None and answer.status not in EDITABLE:
        column = COL["Nilai EM"] if edited_points else COL["Catatan"]
        plan.problems.append(CellProblem(row.sheet, f"{get_column_letter(column)}{row.row}", _(
            "question %(code)s has been submitted or approved and is read-only: its change cannot be "
            "imported. Return it in the review first, then import again.") % {"code": code}))
        return
    option = answer.option if answer is not None else None
    value = Decimal(answer.value) if answer is not None and answer.value is not None else None
    not_applicable = bool(answer.not_applicable) if answer is not None else False
    old_text = describe(catalogue, code, option, value, not_applicable)
    if edited_points:
        if row.points is None:
            plan.problems.append(CellProblem(row.sheet, points_cell, _(
                "the points of question %(code)s were cleared: an answer cannot be deleted by import. Type "
                "its points again, or change the answer in the app.") % {"code": code}))
            return
        try:
            mapped = answer_for_points(scorer, code, row.points, answer)
        except OffScale as refusal:
            plan.problems.append(CellProblem(row.sheet, points_cell, refusal.message))
            return
        option, value, not_applicable = mapped.option, mapped.value, False
    old_note = answer.note if answer is not None else ""
    note = row.note if edited_note else old_note
    given = AnswerInput(option=option, value=value, note=note, not_applicable=not_applicable)
    old_points, new_points = points_of(scorer, code, answer), given_points(scorer, code, given)
    new_text = describe(catalogue, code, option, value, not_applicable)
    if new_points == old_points and new_text == old_text and note == old_note:
        plan.unchanged += 1
        return
    text = " ".join(catalogue.questions[code].question.text.split())
    plan.changes.append(Change(code, row.sheet, row.row, given, version, old_points, new_points,
                               old_text, new_text, old_note, note,
                               question=text if len(text) <= 140 else text[:139] + "…"))


def _matches(scorer: Scorer, code: str, answer: Answer | None, row: FileRow) -> bool:
    """Whether the row's points and note are what the app holds now."""
    current_note = note_text(answer.note) if answer is not None else ""
    return row.points == points_of(scorer, code, answer) and row.note == current_note


# -- applying ----------------------------------------------------------------------------------


def apply_import(
    session: Session,
    scorer: Scorer,
    assessment: Assessment,
    plan: ImportPlan,
    user: User,
) -> ApplyReport:
    """Save every planned change through `save_answer`; conflicts found now are reported, not applied.

    Does not commit: the route commits the whole import once (see docs/architecture.md)."""
    report = ApplyReport(conflicts=list(plan.conflicts))
    if not plan.ok or assessment.stage != Stage.SELF:
        return report
    for change in plan.changes:
        try:
            save_answer(session, assessment, change.code, change.given, change.expected_version, user, scorer)
        except AnswerConflict as stale:
            now = stale.current.version if stale.current is not None else 0
            report.conflicts.append(VersionConflict(change.code, change.sheet, change.row, change.expected_version,
                                                    now))
            if stale.rolled_back:  # the answers saved before this one went with it
                report.saved.clear()
                report.failed.append(_("Someone else saved an answer of this kab/kota at the same moment: nothing "
                                       "from this file was saved. Upload the rekap again."))
                return report
        except NotAllowed:
            report.failed.append(_("Question %(code)s has been submitted or approved in the meantime and is "
                                   "read-only: not changed.") % {"code": change.code})
        except Refusal as refusal:
            report.failed.append(_("Question %(code)s could not be saved: %(problem)s") % {
                "code": change.code, "problem": refusal.message})
        else:
            report.saved.append(change.code)
    return report

