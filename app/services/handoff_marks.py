"""The "sudah diunggah" checklist of the hand-off to the ministry's application (evaluasikla.id) and
that application's own score (Nilai EM) per question, on `HandoffMark`.

The DP3A ticks a question once it has entered it there (one at a time, or a whole indicator or part),
and records the score the application gave it, one by one or pasted from a spreadsheet. This is the
DP3A's bookkeeping beside the season: allowed at any stage, since the application keeps its figures
after our stages, but not once the year's award list is published (`season.frozen`): then the year is
read-only. Every change is audited and idempotent (the same tick twice writes nothing the second time).

The comparison of our estimate with the official figures is pure (`scoring.calibration`); `compare`
feeds it the self-assessed answers and the recorded scores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.i18n import format_number
from app.i18n import gettext as _
from app.models import Assessment, Cycle, Role, User, saved_id, utcnow
from app.models.documents import HandoffMark
from app.refusals import Conflict, NotAllowed, Refusal
from app.services import audit, season
from app.services.answers import answer_rows, scored_answers
from indicators import Catalogue
from scoring import Scorer, to_cents
from scoring.answers import to_decimal
from scoring.calibration import Comparison, Observed, compare, observe

CENT = Decimal("0.01")
# Digits with one decimal comma or point, as a person or a spreadsheet writes a score (no "1e3", no "NaN").
_PLAIN_NUMBER = re.compile(r"^-?[0-9]{1,12}(?:[.,][0-9]{1,12})?$", re.ASCII)
MAX_PASTED_LINES = 2000  # a whole instrument is 274 lines; more is no spreadsheet of ours
MAX_PASTED_CHARS = 200_000


def check_may_record(cycle: Cycle) -> None:
    """Refuse once the year's award list is published: the year is read-only, the checklist too."""
    if season.frozen(cycle):
        raise NotAllowed(_("The award list of this year has been published: the year is read-only, so what was "
                           "entered in the ministry's application and its Nilai EM can no longer be changed here."),
                         code="frozen")


def marks_of(session: Session, assessment_id: int) -> dict[str, HandoffMark]:
    query = select(HandoffMark).where(HandoffMark.assessment_id == assessment_id)
    return {m.question_code: m for m in session.exec(query)}


def official_cents(marks: Iterable[HandoffMark]) -> dict[str, int]:
    """The recorded Nilai EM per question code, in cents."""
    return {m.question_code: to_cents(m.official_score) for m in marks if m.official_score is not None}


def _mark(session: Session, marks: dict[str, HandoffMark], assessment: Assessment, code: str) -> HandoffMark:
    mark = marks.get(code)
    if mark is None:
        mark = HandoffMark(assessment_id=saved_id(assessment.id), question_code=code)
        session.add(mark)
        marks[code] = mark
    return mark


def _flush(session: Session) -> None:
    """Write the marks; two first ticks of one question at the same moment: one wins, the other is
    told to look again (its request writes nothing)."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(_("Someone recorded this question at the same moment: reload the page and check it."),
                       code="concurrent") from None


# -- sudah diunggah -----------------------------------------------------------------------------


def set_entered(session: Session, user: User, assessment: Assessment, cycle: Cycle, catalogue: Catalogue,
                codes: list[str], entered: bool) -> list[str]:
    """Tick (or un-tick) these questions as entered in the ministry's application; the codes that
    changed (none: nothing written, nothing audited). Unknown codes are refused."""
    check_may_record(cycle)
    unknown = [code for code in codes if code not in catalogue.questions]
    if unknown:
        raise Refusal(_("Question %(code)s is not in the instrument.") % {"code": unknown[0][:40]},
                      code="unknown_question")
    marks = marks_of(session, saved_id(assessment.id))
    changed = [code for code in dict.fromkeys(codes) if (marks[code].entered if code in marks else False) != entered]
    if not changed:
        return []
    now = utcnow()
    for code in changed:
        mark = _mark(session, marks, assessment, code)
        mark.entered = entered
        mark.entered_by, mark.entered_at = (saved_id(user.id), now) if entered else (None, None)
    _flush(session)
    audit.record(session, user, "handoff.entered" if entered else "handoff.not_entered", "assessment",
                 assessment.id, regency_code=assessment.regency_code,
                 before={"entered": not entered, "questions": changed}, after={"entered": entered, "questions": changed})
    return changed


def codes_of(catalogue: Catalogue, *, indicator: str = "", part: str = "") -> list[str]:
    """The questions of one indicator or one part, in instrument order (a `Refusal` if it is none)."""
    if indicator:
        found = catalogue.indicators.get(indicator)
        if found is None:
            raise Refusal(_("Indicator %(code)s is not in the instrument.") % {"code": indicator[:40]},
                          code="unknown_indicator")
        return [q.code for q in found.questions]
    chosen = catalogue.parts.get(part)
    if chosen is None:
        raise Refusal(_("Choose an indicator or a part."), code="no_group")
    return [q.code for i in chosen.indicators for q in i.questions]


# -- Nilai EM -----------------------------------------------------------------------------------


def parse_official(raw: str, code: str, catalogue: Catalogue) -> Decimal | None:
    """A Nilai EM as typed: a number with at most 2 decimals (87.5 or 87,5) from 0 to the question's
    maximum; None for an empty field (no figure recorded). A `Refusal` says what is wrong."""
    text = raw.strip()
    if not text:
        return None
    value = to_decimal(text) if _PLAIN_NUMBER.match(text) else None
    if value is None:
        raise Refusal(_("'%(value)s' is not a number. Write the Nilai EM with digits, e.g. 12,5.")
                      % {"value": text[:40]}, code="not_a_number")
    maximum = catalogue.questions[code].question.max
    if not 0 <= value <= maximum:
        raise Refusal(_("The Nilai EM of %(code)s must be between 0 and %(max)s (its maximum); %(value)s is not.")
                      % {"code": code, "max": format_number(maximum), "value": text[:40]}, code="out_of_range")
    if value != value.quantize(CENT):
        raise Refusal(_("Write the Nilai EM with at most 2 decimals: %(value)s has more.") % {"value": text[:40]},
                      code="too_many_decimals")
    return value.quantize(CENT)


def record_official(session: Session, user: User, assessment: Assessment, cycle: Cycle, catalogue: Catalogue,
                    code: str, raw: str) -> bool:
    """Record (or clear, with an empty field) the Nilai EM of one question; False when unchanged."""
    check_may_record(cycle)
    if code not in catalogue.questions:
        raise Refusal(_("Question %(code)s is not in the instrument.") % {"code": code[:40]}, code="unknown_question")
    value = parse_official(raw, code, catalogue)
    return bool(_store_official(session, user, assessment, {code: value}))


def _store_official(session: Session, user: User, assessment: Assessment,
                    values: dict[str, Decimal | None]) -> dict[str, tuple[str | None, str | None]]:
    """Write the figures that differ from the stored ones, audited in one entry; what changed."""
    marks = marks_of(session, saved_id(assessment.id))
    changes: dict[str, tuple[str | None, str | None]] = {}
    now = utcnow()
    for code, value in values.items():
        current = marks[code].official_score if code in marks else None
        if current == value or (current is not None and value is not None and Decimal(current) == value):
            continue
        mark = _mark(session, marks, assessment, code)
        mark.official_score = value
        mark.official_by, mark.official_at = (saved_id(user.id), now) if value is not None else (None, None)
        changes[code] = (None if current is None else str(current), None if value is None else str(value))
    if changes:
        _flush(session)
        audit.record(session, user, "handoff.official_score", "assessment", assessment.id,
                     regency_code=assessment.regency_code,
                     before={code: old for code, (old, _new) in changes.items()},
                     after={code: new for code, (_old, new) in changes.items()})
    return changes


# -- pasted from a spreadsheet ------------------------------------------------------------------


@dataclass
class PastedLine:
    number: int  # 1-based, as the person sees the pasted text
    text: str
    code: str = ""
    value: Decimal | None = None
    problem: str = ""  # empty: taken


@dataclass
class PasteReport:
    lines: list[PastedLine] = field(default_factory=list)
    saved: int = 0  # figures that changed (the rest were already so)

    @property
    def bad(self) -> list[PastedLine]:
        return [line for line in self.lines if line.problem]

    @property
    def good(self) -> list[PastedLine]:
        return [line for line in self.lines if not line.problem]


_SPLIT = re.compile(r"\t|;")


def read_pasted(text: str, catalogue: Catalogue) -> PasteReport:
    """Two columns copied from a spreadsheet, code and Nilai EM, tab- or semicolon-separated, one
    question a line; blank lines and a heading line (no known code, no number) are skipped. Each
    line is taken or says why not; nothing is written here."""
    if len(text) > MAX_PASTED_CHARS:
        raise Refusal(_("The pasted text is too long (at most %(n)s characters).") % {"n": MAX_PASTED_CHARS},
                      code="too_long")
    rows = text.splitlines()
    if len(rows) > MAX_PASTED_LINES:
        raise Refusal(_("Too many lines (at most %(n)s).") % {"n": MAX_PASTED_LINES}, code="too_many_lines")
    report = PasteReport()
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        line = PastedLine(number, row.strip()[:200])
        cells = [cell.strip() for cell in _SPLIT.split(row)]
        while len(cells) > 2 and not cells[-1]:
            cells.pop()  # trailing empty cells of a wider selection
        if len(cells) != 2:
            line.problem = _("Expected two columns, the code and the Nilai EM, separated by a tab or a semicolon.")
        else:
            code, raw = cells
            line.code = code[:40]
            if code not in catalogue.questions:
                if not report.lines and to_decimal(raw) is None:
                    continue  # a heading line ("Kode", "Nilai EM")
                line.problem = _("Question %(code)s is not in the instrument.") % {"code": code[:40]}
            elif code in seen:
                line.problem = _("%(code)s is already on line %(line)s.") % {"code": code, "line": seen[code]}
            elif not raw:
                line.problem = _("No Nilai EM on this line.")
            else:
                try:
                    line.value = parse_official(raw, code, catalogue)
                except Refusal as refusal:
                    line.problem = refusal.message
                seen[code] = number
        report.lines.append(line)
    if not report.lines:
        raise Refusal(_("Nothing to read: paste the two columns, the code and the Nilai EM."), code="empty")
    return report


def import_official(session: Session, user: User, assessment: Assessment, cycle: Cycle, catalogue: Catalogue,
                    text: str) -> PasteReport:
    """Read the pasted lines and, only if every one is good, record them all (nothing half-saved:
    with a bad line nothing is written and the report lists what to fix)."""
    check_may_record(cycle)
    report = read_pasted(text, catalogue)
    if not report.bad:
        report.saved = len(_store_official(session, user, assessment, {line.code: line.value for line in report.lines}))
    return report


# -- the comparison -------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What the checklist, the dashboard and the calibration report show of one assessment."""

    marks: dict[str, HandoffMark]
    answers: dict[str, Any]  # rows of the stored answers by code (option, value, not_applicable)
    observed: list[Observed]  # every question in instrument order
    comparison: Comparison


def load(session: Session, assessment: Assessment, scorer: Scorer) -> Loaded:
    """Our self-assessed estimate per question against the recorded Nilai EM."""
    assessment_id = saved_id(assessment.id)
    marks = marks_of(session, assessment_id)
    rows = answer_rows(session, assessment_id, columns=("id", "question_code", "option", "value", "not_applicable"))
    observed = observe(scorer, scored_answers(rows), official_cents(marks.values()))
    return Loaded(marks, rows, observed, compare(observed))


def has_official(session: Session, assessment_id: int) -> bool:
    """Whether any Nilai EM is recorded (the dashboard shows its comparison only then)."""
    return session.exec(select(HandoffMark.id).where(
        col(HandoffMark.assessment_id) == assessment_id, col(HandoffMark.official_score).is_not(None))).first() \
        is not None


def dashboard_context(session: Session, assessment: Assessment, scorer: Scorer, user: User,
                      catalogue: Catalogue) -> dict[str, Any]:
    """What the dashboard's include `dashboard/_official.html` shows: the comparison once a Nilai EM
    is recorded (None before: nothing is computed), and whether to link the checklist (the DP3A)."""
    recorded = has_official(session, saved_id(assessment.id))
    return {"official": load(session, assessment, scorer).comparison if recorded else None,
            "official_link": user.role == Role.DP3A, "catalogue": catalogue}
