"""What an import says: the plan shown before anything is saved, and the report after.

`CellProblem` is a line of the report (a cell that cannot be read, a row that cannot be applied),
not a refusal: a plan lists all of them at once. `ImportRefused` is a refusal: the file as a
whole cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.i18n import gettext as _
from app.refusals import Refusal
from app.services.answers import AnswerInput


class ImportRefused(Refusal):
    """The file as a whole cannot be imported; `message` says why, in the UI language."""


@dataclass(frozen=True)
class CellProblem:
    """One thing wrong in the file, where it is."""

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
class VersionConflict:
    """An edit in the file to an answer saved in the app since the export: reported, never applied."""

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
    conflicts: list[VersionConflict] = field(default_factory=list)
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
    conflicts: list[VersionConflict] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # messages
