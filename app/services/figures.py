"""The yearly figures of a data question (`Question.figures`): reading a form of them, saving them under
the answer's rules, and what they compute (`scoring.figures`).

The figures belong to the answer (`Figure.answer_id`): a first save of figures creates the answer
(empty, or with its computed value). They change under the same rules as the answer: the answering
window, a verifier's reopening, a submitted answer being read-only, a published year being frozen
(`questions.check_answer_editable`). On a percent scale the latest year's percentage is the answer's
value: saved through `answers.save_answer` in the same unit of work, with the answer's version (a
colleague's save in between is a conflict), so the score follows. On other scales the figures only
suggest an option, which the card shows; the person keeps choosing it.

The years are those before the cycle's (`scoring.figures.evaluated_years`: cycle 2025 asks for 2023 and
2024, the evaluated years that are over); the documents may be dated up to the cycle's year.

Nothing here commits. Every save is audited (`figures.save`) and idempotent (the same figures twice
write nothing the second time).

For other modules (the hand-off workbook, the exports): `figures_by_answer` reads the stored rows of
many answers at once, `summary_of` computes a question's rows, trend and suggestion from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.deps import Place
from app.i18n import format_number
from app.i18n import gettext as _
from app.models import Answer, User, saved_id, utcnow
from app.models.documents import Figure
from app.refusals import Refusal
from app.services import answers as answer_service
from app.services import audit, questions
from app.services.answers import AnswerInput
from indicators import Catalogue, Figures, Measure, OptionsScale, PercentScale
from scoring import Scorer
from scoring.answers import to_decimal
from scoring.figures import FigureSummary, YearFigure, evaluated_years, summarise

MAX_FIGURE = Decimal(10) ** 11  # Numeric(16, 4): far past any count of children or households


@dataclass(frozen=True)
class FiguresForm:
    """What a figures form sent, checked: per evaluated year its figure, or None for a blank year."""

    years: dict[int, YearFigure | None]
    version: int  # the answer's version the form started from (0: no answer yet)


@dataclass
class FiguresOutcome:
    answer: Answer
    written: bool  # False: the figures were already stored as sent
    value_changed: bool = False  # the answer's value was recomputed from them


def declared(catalogue: Catalogue, code: str) -> Figures | None:
    ref = catalogue.questions.get(code)
    return ref.question.figures if ref is not None else None


def field_names(year: int) -> tuple[str, str]:
    return f"numerator_{year}", f"denominator_{year}"


def parse_figures_form(form: FormData, figures: Figures, cycle_year: int) -> FiguresForm:
    """The figures of the evaluated years, or a `Refusal` (422) naming the year and what is wrong."""
    raw_version = str(form.get("version") or form.get("figures_version") or "0").strip()
    version = int(raw_version) if raw_version.isascii() and raw_version.isdigit() and len(raw_version) < 10 else -1
    years: dict[int, YearFigure | None] = {}
    for year in evaluated_years(cycle_year, figures.years):
        top_field, bottom_field = field_names(year)
        top = _number(form.get(top_field), year)
        bottom = _number(form.get(bottom_field), year) if figures.measure is Measure.SHARE else None
        if top is None and bottom is None:
            years[year] = None
            continue
        if top is None:
            raise Refusal(_("Year %(year)s: write the number counted, not only the total.") % {"year": year},
                          code="figures_incomplete")
        if figures.measure is Measure.SHARE:
            if bottom is None:
                raise Refusal(_("Year %(year)s: write the total (denominator) as well.") % {"year": year},
                              code="figures_incomplete")
            if top > bottom:
                raise Refusal(_("Year %(year)s: the number counted (%(top)s) cannot exceed the total (%(bottom)s).")
                              % {"year": year, "top": _shown(top), "bottom": _shown(bottom)},
                              code="figures_over_total")
        years[year] = YearFigure(year, top, bottom)
    return FiguresForm(years, version)


def _number(raw: object, year: int) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    value = to_decimal(text.replace(".", "") if _grouped(text) else text)
    if value is None:
        raise Refusal(_("Year %(year)s: '%(value)s' is not a number. Write digits, e.g. 1250.")
                      % {"year": year, "value": text[:40]}, code="not_a_number")
    if value < 0:
        raise Refusal(_("Year %(year)s: the figures must be 0 or more.") % {"year": year}, code="negative")
    if value > MAX_FIGURE:
        raise Refusal(_("Year %(year)s: %(value)s is too large.") % {"year": year, "value": text[:40]},
                      code="too_large")
    if value != value.to_integral_value():
        raise Refusal(_("Year %(year)s: write whole numbers (children, households, facilities are counted).")
                      % {"year": year}, code="not_whole")
    return value.quantize(Decimal(1))


def _grouped(text: str) -> bool:
    """'12.500' or '1.250.000' as Indonesians group thousands (a whole count has no decimals)."""
    parts = text.split(".")
    return len(parts) > 1 and all(p.isdigit() for p in parts) and all(len(p) == 3 for p in parts[1:])


def _shown(value: Decimal) -> str:
    return format_number(value, grouping=True)


# -- reading ------------------------------------------------------------------------------------


def figures_of(session: Session, answer_id: int | None) -> dict[int, YearFigure]:
    """The stored figures of one answer, by year."""
    if answer_id is None:
        return {}
    return figures_by_answer(session, [answer_id]).get(answer_id, {})


def figures_by_answer(session: Session, answer_ids: Iterable[int]) -> dict[int, dict[int, YearFigure]]:
    """The stored figures of many answers (one query): answer id -> year -> figure. For the exports and
    the hand-off workbook (with `summary_of` for the percentages and the trend)."""
    ids = sorted(set(answer_ids))
    result: dict[int, dict[int, YearFigure]] = {}
    for start in range(0, len(ids), 500):
        rows = session.exec(select(Figure).where(col(Figure.answer_id).in_(ids[start:start + 500])))
        for row in rows:
            result.setdefault(row.answer_id, {})[row.year] = YearFigure(
                row.year, Decimal(row.numerator),
                None if row.denominator is None else Decimal(row.denominator))
    return result


def summary_of(catalogue: Catalogue, code: str, cycle_year: int, entered: Mapping[int, YearFigure],
               current_option: str | None = None) -> FigureSummary | None:
    """The rows of the evaluated years, the trend and what the figures suggest (None: not a data question)."""
    figures = declared(catalogue, code)
    if figures is None:
        return None
    scale = catalogue.scales[catalogue.questions[code].question.scale]
    return summarise(figures, scale, cycle_year, entered, current_option)


# -- saving -------------------------------------------------------------------------------------


def save_figures(session: Session, place: Place, user: User, catalogue: Catalogue, scorer: Scorer,
                 question: questions.QuestionAt, form: FiguresForm) -> FiguresOutcome:
    """Store the figures of the evaluated years (a blank year removes its figure) and, on a percent
    scale, the answer's value computed from them. Raises `NotAllowed` (read-only, frozen),
    `AnswerConflict` (the answer changed since `form.version`) or `Refusal`."""
    code = question.ref.question.code
    figures = question.ref.question.figures
    if figures is None:
        raise Refusal(_("This question is not answered with yearly figures."), code="no_figures")
    questions.check_answer_editable(place, user, question)
    answer = question.answer
    if answer is not None and answer.version != form.version:
        raise answer_service.AnswerConflict(answer)
    scale = catalogue.scales[question.ref.question.scale]
    stored = {year: figure for year, figure in figures_of(session, answer.id if answer else None).items()
              if year in form.years}
    wanted = {year: figure for year, figure in form.years.items() if figure is not None}
    unit = figures.unit
    value_changed = False
    if isinstance(scale, PercentScale):
        summary = summarise(figures, scale, place.cycle.year, wanted)
        value = summary.suggestion.value
        current_value = None if answer is None or answer.value is None else Decimal(answer.value)
        if value is not None and (current_value != value or (answer is not None and answer.not_applicable)):
            note = answer.note if answer is not None else ""
            saved = answer_service.save_answer(session, place.assessment, code, AnswerInput(value=value, note=note),
                                               form.version, user, scorer, reopened=question.reopened,
                                               current=answer)
            answer, value_changed = saved.answer, saved.written
    if answer is None:
        if not wanted:
            raise Refusal(_("Write the figures of at least one year."), code="figures_empty")
        answer = answer_service.save_answer(session, place.assessment, code, AnswerInput(), form.version, user,
                                            scorer, current=None).answer
    if _same(stored, wanted):
        return FiguresOutcome(answer, written=value_changed, value_changed=value_changed)
    answer_id = saved_id(answer.id)
    rows = {row.year: row for row in session.exec(select(Figure).where(Figure.answer_id == answer_id))}
    for year in evaluated_years(place.cycle.year, figures.years):
        figure, row = wanted.get(year), rows.get(year)
        if figure is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = Figure(answer_id=answer_id, year=year, numerator=figure.numerator)
        row.numerator, row.denominator, row.unit = figure.numerator, figure.denominator, unit
        row.updated_by, row.updated_at = user.id, utcnow()
        session.add(row)
    session.flush()
    audit.record(session, user, "figures.save", "answer", answer_id, regency_code=place.assessment.regency_code,
                 before={"question": code, "figures": _snapshot(stored)},
                 after={"question": code, "figures": _snapshot(wanted)})
    return FiguresOutcome(answer, written=True, value_changed=value_changed)


def _same(stored: Mapping[int, YearFigure], wanted: Mapping[int, YearFigure]) -> bool:
    return {y: (f.numerator, f.denominator) for y, f in stored.items()} == \
        {y: (f.numerator, f.denominator) for y, f in wanted.items()}


def _snapshot(figures: Mapping[int, YearFigure]) -> dict[str, list[str | None]]:
    return {str(year): [str(f.numerator), None if f.denominator is None else str(f.denominator)]
            for year, f in sorted(figures.items())}


class StoredAnswer(Protocol):
    """An `Answer` or a row of its columns (the review pages read rows)."""

    @property
    def id(self) -> int | None: ...
    @property
    def option(self) -> str | None: ...


def card_figures(session: Session, catalogue: Catalogue, cycle_year: int, code: str,
                 answer: StoredAnswer | None) -> dict[str, object]:
    """What templates/workspace/_figures.html shows of a question (nothing for a question without figures)."""
    figures = declared(catalogue, code)
    if figures is None:
        return {"figures_summary": None, "figures_locked": False}
    entered = figures_of(session, answer.id if answer else None)
    summary = summary_of(catalogue, code, cycle_year, entered, answer.option if answer else None)
    suggestion = summary.suggestion if summary else None
    scale = catalogue.scales[catalogue.questions[code].question.scale]
    hint = None  # the option the figures point to, when the answer says another (the person decides)
    if suggestion is not None and suggestion.option is not None and isinstance(scale, OptionsScale) \
            and (answer is None or answer.option != suggestion.option):
        hint = next(((o.label, o.label_en) for o in scale.options if o.code == suggestion.option), None)
    return {
        "figures_summary": summary,
        "figures": figures,
        "figures_hint": hint,
        "figures_computed": suggestion is not None and suggestion.computed,
        # The answer's percentage comes from the figures: its field is read-only on the card.
        "figures_locked": suggestion is not None and suggestion.computed and suggestion.value is not None,
    }
