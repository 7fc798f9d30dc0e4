"""The hand-off package of one kab/kota's assessment for the ministry's application (issue 23, item 8):
`plan` (what it holds, who gets which file), `names` (names safe on Windows), `workbook` (the
workbook and README), `stream` (the ZIP, streamed)."""

from app.services.handoff.plan import (
    NOT_APPLICABLE,
    SENSITIVE_FOLDER,
    Handoff,
    PackedFile,
    PackedQuestion,
    YearFigure,
    operator_access,
    plan_handoff,
)
from app.services.handoff.stream import README_NAME, Package, build_package

__all__ = ["NOT_APPLICABLE", "README_NAME", "SENSITIVE_FOLDER", "Handoff", "Package", "PackedFile",
           "PackedQuestion", "YearFigure", "build_package", "operator_access", "plan_handoff"]
