"""Parse HTML forms ourselves, so a person gets the form back with a message
(FastAPI's form models answer 422 JSON: right for an API, wrong for a person)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from starlette.datastructures import FormData

from app.i18n import gettext as _
from app.services.answers import AnswerInput
from indicators.models import OptionsScale
from scoring.answers import to_decimal

MAX_NOTE = 4000


@dataclass
class AnswerForm:
    given: AnswerInput
    version: int
    error: str | None = None


def parse_answer_form(form: FormData, scale) -> AnswerForm:
    try:
        version = int(str(form.get("version", "0")))
    except ValueError:
        version = -1
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
    if value < 0 or (scale.kind == "percent" and value > 100):
        limit = _("between 0 and 100") if scale.kind == "percent" else _("0 or more")
        return AnswerForm(AnswerInput(note=note), version,
                          _("The value must be %(limit)s.") % {"limit": limit})
    return AnswerForm(AnswerInput(value=value.quantize(Decimal("0.01")) if scale.kind == "percent" else value,
                                  note=note), version)
