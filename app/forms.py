"""Parse HTML forms ourselves, so a person gets the form back with a message
(FastAPI's form models answer 422 JSON: right for an API, wrong for a person)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from starlette.datastructures import FormData

from app.deps import MAX_ID
from app.i18n import current_language, format_number
from app.i18n import gettext as _
from app.refusals import Refusal
from app.services.answers import MAX_NUMBER, VALUE_STEP, AnswerInput, value_problem
from indicators.models import OptionsScale, Scale
from scoring.answers import to_decimal

MAX_NOTE = 4000  # characters: every note a person writes (an answer's, a verifier's)


def parse_note(form: FormData, field: str = "note") -> str:
    """The note of a form, trimmed; refused (422) past MAX_NOTE characters, never cut silently."""
    note = str(form.get(field, "")).strip()
    if len(note) > MAX_NOTE:
        raise Refusal(_("The note is too long (at most %(n)s characters).") % {"n": MAX_NOTE}, code="note_too_long")
    return note


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


def parse_answer_form(form: FormData, scale: Scale) -> AnswerForm:
    """The answer a form sent, or a `Refusal` (422) saying what is wrong with it."""
    raw_version = str(form.get("version", "0")).strip()
    # A version that is no plain number, or past the column, matches no stored version: a conflict.
    version = int(raw_version) if raw_version.isascii() and raw_version.isdigit() and len(raw_version) < 10 else -1
    note = parse_note(form)
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
        raise Refusal(_("'%(value)s' is not a number. Write digits, e.g. 87.5.") % {"value": raw[:40]})
    problem = value_problem(value, scale.kind)
    if problem in ("negative", "over_100"):
        limit = _("between 0 and 100") if scale.kind == "percent" else _("0 or more")
        raise Refusal(_("The value must be %(limit)s.") % {"limit": limit}, code=problem or "")
    if problem == "too_large":
        largest = format_number(MAX_NUMBER, grouping=True)
        raise Refusal(_("%(value)s is too large: at most %(max)s.") % {"value": raw[:40], "max": largest},
                      code=problem)
    if problem == "not_whole":
        unit = scale.unit_en if current_language.get() == "en" else scale.unit  # type: ignore[union-attr]
        raise Refusal(_("Write a whole number: %(value)s %(unit)s cannot be counted.") % {
            "value": raw[:40], "unit": unit}, code=problem)
    step = Decimal("0.01") if scale.kind == "percent" else VALUE_STEP
    return AnswerForm(AnswerInput(value=value.quantize(step), note=note), version)
