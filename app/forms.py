"""Parse HTML forms ourselves, so a person gets the form back with a message
(FastAPI's form models answer 422 JSON: right for an API, wrong for a person)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from starlette.datastructures import FormData

from app.deps import MAX_ID
from app.i18n import current_language, decimal_mark
from app.i18n import gettext as _
from app.services.answers import MAX_NUMBER, VALUE_STEP, AnswerInput, value_problem
from indicators.models import OptionsScale
from scoring.answers import to_decimal

MAX_NOTE = 4000


def parse_id(raw: object) -> int | None:
    """A row id sent in a form field, or None for anything else: only ASCII digits (str.isdigit()
    also accepts "²", which int() refuses), and no larger than the database's integer."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


@dataclass
class AnswerForm:
    given: AnswerInput
    version: int
    error: str | None = None


def parse_answer_form(form: FormData, scale) -> AnswerForm:
    raw_version = str(form.get("version", "0")).strip()
    # A version that is no plain number, or past the column, matches no stored version: a conflict.
    version = int(raw_version) if raw_version.isascii() and raw_version.isdigit() and len(raw_version) < 10 else -1
    note = str(form.get("note", "")).strip()
    if len(note) > MAX_NOTE:
        return AnswerForm(AnswerInput(note=note[:MAX_NOTE]), version,
                          _("The note is too long (at most %(n)s characters).") % {"n": MAX_NOTE})
    not_applicable = form.get("not_applicable") in ("1", "on", "true")
    if not_applicable:
        return AnswerForm(AnswerInput(note=note, not_applicable=True), version)
    if isinstance(scale, OptionsScale):
        option = str(form.get("option", "")).strip() or None
        return AnswerForm(AnswerInput(option=option, note=note), version)
    raw = str(form.get("value", "")).strip()
    if not raw:
        return AnswerForm(AnswerInput(note=note), version)
    value = to_decimal(raw)
    if value is None:
        return AnswerForm(AnswerInput(note=note), version,
                          _("'%(value)s' is not a number. Write digits, e.g. 87.5.") % {"value": raw[:40]})
    problem = value_problem(value, scale.kind)
    if problem in ("negative", "over_100"):
        limit = _("between 0 and 100") if scale.kind == "percent" else _("0 or more")
        return AnswerForm(AnswerInput(note=note), version,
                          _("The value must be %(limit)s.") % {"limit": limit})
    if problem == "too_large":
        largest = f"{int(MAX_NUMBER):,}".replace(",", "." if decimal_mark() == "," else ",")
        return AnswerForm(AnswerInput(note=note), version,
                          _("%(value)s is too large: at most %(max)s.") % {"value": raw[:40],
                                                                                         "max": largest})
    if problem == "not_whole":
        unit = scale.unit_en if current_language.get() == "en" else scale.unit
        return AnswerForm(AnswerInput(note=note), version,
                          _("Write a whole number: %(value)s %(unit)s cannot be counted.") % {
                              "value": raw[:40], "unit": unit})
    step = Decimal("0.01") if scale.kind == "percent" else VALUE_STEP
    return AnswerForm(AnswerInput(value=value.quantize(step), note=note), version)
