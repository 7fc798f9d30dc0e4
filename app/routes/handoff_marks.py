"""The "sudah diunggah" checklist of the hand-off, the official Nilai EM (one by one or pasted from a
spreadsheet) and the calibration report of our estimate against it. The rules:
`app.services.handoff_marks` and `scoring.calibration`.

Reading: whoever may open the kab/kota's dashboard (its DP3A; the province and the ministry once it is
submitted). Writing: its DP3A only, at any stage until the year is published."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import access
from app.context import PREFIX
from app.deps import AdminPlace, CatalogueDep, CurrentUser, FormDep, Place, ReviewPlace, ScorerDep, SessionDep
from app.exports.calibration import calibration_workbook
from app.exports.common import XLSX_MEDIA_TYPE
from app.i18n import format_cents, format_number, pick
from app.i18n import gettext as _
from app.models import User
from app.refusals import Refusal
from app.services import handoff_marks as marks_service
from app.services import season
from app.templating import dom_id, is_partial, render
from indicators import Catalogue, OptionsScale
from scoring import Scorer
from scoring.calibration import NOT_APPLICABLE, UNANSWERED, VALUE

router = APIRouter(prefix=PREFIX + "/serah-terima", tags=["handoff"])

# The checklist's filters: not entered yet, entered, with a Nilai EM, differing from our estimate.
FILTERS = ("belum", "sudah", "nilai", "beda")


@dataclass
class Row:
    """One question's card on the checklist."""

    code: str
    text: str
    max_cents: int
    answer: str  # our answer, in words
    ours: int  # cents, self-assessed
    entered: bool
    official: Decimal | None
    differs: bool

    @property
    def dom(self) -> str:
        return dom_id(self.code)

    def shown(self, chosen: str | None) -> bool:
        return (chosen is None or (chosen == "belum" and not self.entered) or (chosen == "sudah" and self.entered)
                or (chosen == "nilai" and self.official is not None) or (chosen == "beda" and self.differs))


def answer_words(catalogue: Catalogue, code: str, key: str, value: object = None) -> str:
    """What was answered, in words: an option's label, the typed value, "not applicable"."""
    if key == UNANSWERED:
        return _("no answer")
    if key == NOT_APPLICABLE:
        return _("not applicable")
    if key == VALUE:
        return format_number(Decimal(str(value))) if value is not None else _("a typed value")
    scale = catalogue.scales[catalogue.questions[code].question.scale]
    if isinstance(scale, OptionsScale):
        for option in scale.options:
            if option.code == key:
                return pick(option.label, option.label_en)
    return key


def _rows(loaded: marks_service.Loaded, catalogue: Catalogue) -> dict[str, Row]:
    rows = {}
    for seen in loaded.observed:
        mark = loaded.marks.get(seen.code)
        stored = loaded.answers.get(seen.code)
        words = answer_words(catalogue, seen.code, seen.answer, stored.value if stored is not None else None)
        rows[seen.code] = Row(seen.code, catalogue.questions[seen.code].question.text, seen.max_cents, words,
                              seen.ours, bool(mark and mark.entered), mark.official_score if mark else None,
                              seen.official is not None and seen.official != seen.ours)
    return rows


def _may_edit(user: User, place: Place) -> bool:
    return access.may_administer(user, place.regency.code) and not season.frozen(place.cycle)


def _counts(rows: dict[str, Row]) -> dict[str, int]:
    return {"total": len(rows), "entered": sum(r.entered for r in rows.values()),
            "official": sum(r.official is not None for r in rows.values()),
            "differs": sum(r.differs for r in rows.values())}


def _base(place: Place, user: User) -> dict[str, Any]:
    return {"place": place, "may_edit": _may_edit(user, place),
            "frozen_note": _("The award list of this year has been published: the checklist is read-only.")
            if season.frozen(place.cycle) else ""}


# -- the checklist ------------------------------------------------------------------------------


@router.get("/daftar", name="handoff_checklist")
def checklist(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
              catalogue: CatalogueDep, scorer: ScorerDep, tampil: str | None = None) -> Response:
    return _checklist_page(request, session, place, user, catalogue, scorer, tampil if tampil in FILTERS else None)


def _checklist_page(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue,
                    scorer: Scorer, chosen: str | None, message: str = "", status_code: int = 200) -> Response:
    loaded = marks_service.load(session, place.assessment, scorer)
    rows = _rows(loaded, catalogue)
    groups = []  # (part, [(indicator, [row shown])]) with something shown
    for part in catalogue.data.parts:
        indicators = [(i, shown) for i in part.indicators
                      if (shown := [rows[q.code] for q in i.questions if rows[q.code].shown(chosen)])]
        if indicators:
            groups.append((part, indicators))
    filter_names = {"belum": _("not entered yet"), "sudah": _("entered"), "nilai": _("with a Nilai EM"),
                    "beda": _("differs from our estimate")}
    return render(request, "handoff/checklist.html", {
        **_base(place, user), "catalogue": catalogue, "groups": groups, "counts": _counts(rows), "chosen": chosen,
        "filters": filter_names, "comparison": loaded.comparison, "message": message}, status_code=status_code)


def _back(place: Place, anchor: str = "") -> RedirectResponse:
    url = f"/r/{place.regency.code}/{place.cycle.year}/serah-terima/daftar"
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


def _card(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue, scorer: Scorer,
          code: str, message: str = "", status_code: int = 200) -> Response:
    loaded = marks_service.load(session, place.assessment, scorer)
    rows = _rows(loaded, catalogue)
    return render(request, "handoff/_marks_card_swap.html", {
        **_base(place, user), "row": rows[code], "counts": _counts(rows), "message": message,
        "message_code": code}, status_code=status_code)


def _question(form: FormDep, catalogue: Catalogue) -> str:
    code = str(form.get("question", "")).strip()[:60]
    if code not in catalogue.questions:
        raise Refusal(_("Question %(code)s is not in the instrument.") % {"code": code[:40]}, code="unknown_question")
    return code


def _refused(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue,
             scorer: Scorer, refusal: Refusal, code: str = "") -> Response:
    """A refusal: the card again with the message (htmx), else the checklist with it. Nothing was written:
    the services refuse before they change anything."""
    if code and is_partial(request):
        return _card(request, session, place, user, catalogue, scorer, code, refusal.message, refusal.status)
    return _checklist_page(request, session, place, user, catalogue, scorer, None, refusal.message, refusal.status)


@router.post("/daftar/tandai", name="handoff_mark")
def mark(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
         scorer: ScorerDep, form: FormDep) -> Response:
    """Tick one question as entered in the ministry's application ("1"), or un-tick it (anything else:
    an unchecked box sends nothing)."""
    code = ""
    try:
        code = _question(form, catalogue)
        marks_service.set_entered(session, user, place.assessment, place.cycle, catalogue, [code],
                                  form.get("entered") == "1")
    except Refusal as refusal:
        return _refused(request, session, place, user, catalogue, scorer, refusal, code)
    session.commit()
    if is_partial(request):
        return _card(request, session, place, user, catalogue, scorer, code)
    return _back(place, "mark-" + dom_id(code))


@router.post("/daftar/kelompok", name="handoff_mark_group")
def mark_group(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
               catalogue: CatalogueDep, scorer: ScorerDep, form: FormDep) -> Response:
    """Tick (or un-tick) every question of one indicator or one part at once."""
    indicator, part = str(form.get("indicator", "")).strip()[:60], str(form.get("part", "")).strip()[:60]
    entered = form.get("entered") == "1"
    try:
        codes = marks_service.codes_of(catalogue, indicator=indicator, part=part)
        changed = marks_service.set_entered(session, user, place.assessment, place.cycle, catalogue, codes, entered)
    except Refusal as refusal:
        return _refused(request, session, place, user, catalogue, scorer, refusal)
    session.commit()
    group = (_("indicator %(code)s") % {"code": indicator}) if indicator else (_("part %(code)s") % {"code": part})
    if not changed:
        request.session["flash"] = _("Nothing changed: every question of %(group)s was already so.") % {"group": group}
    elif entered:
        request.session["flash"] = _("%(n)s questions of %(group)s ticked as entered.") % {"n": len(changed),
                                                                                           "group": group}
    else:
        request.session["flash"] = _("%(n)s questions of %(group)s un-ticked.") % {"n": len(changed), "group": group}
    return _back(place, ("ind-" + dom_id(indicator)) if indicator else ("part-" + dom_id(part)))


@router.post("/daftar/nilai", name="handoff_official")
def official(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
             scorer: ScorerDep, form: FormDep) -> Response:
    """Record (or clear, empty) the Nilai EM the ministry's application gave one question."""
    code = ""
    try:
        code = _question(form, catalogue)
        marks_service.record_official(session, user, place.assessment, place.cycle, catalogue, code,
                                      str(form.get("official_score", ""))[:100])
    except Refusal as refusal:
        return _refused(request, session, place, user, catalogue, scorer, refusal, code)
    session.commit()
    if is_partial(request):
        return _card(request, session, place, user, catalogue, scorer, code)
    return _back(place, "mark-" + dom_id(code))


# -- pasted from a spreadsheet ------------------------------------------------------------------


@router.get("/nilai-em", name="handoff_official_import_form")
def import_form(request: Request, place: AdminPlace, user: CurrentUser) -> Response:
    return render(request, "handoff/official_scores.html", {**_base(place, user), "report": None, "text": ""})


@router.post("/nilai-em", name="handoff_official_import")
def import_pasted(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                  catalogue: CatalogueDep, form: FormDep) -> Response:
    text = str(form.get("pasted", ""))
    try:
        report = marks_service.import_official(session, user, place.assessment, place.cycle, catalogue, text)
    except Refusal as refusal:
        return render(request, "handoff/official_scores.html", {
            **_base(place, user), "report": None, "text": text[:marks_service.MAX_PASTED_CHARS],
            "message": refusal.message}, status_code=refusal.status)
    if report.bad:  # nothing written: the form again, with the bad lines
        return render(request, "handoff/official_scores.html", {**_base(place, user), "report": report, "text": text},
                      status_code=422)
    session.commit()
    return render(request, "handoff/official_scores.html", {**_base(place, user), "report": report, "text": ""})


# -- the calibration report ---------------------------------------------------------------------


def mean_points(cents: Fraction) -> str:
    """A mean in cents as points with two decimals (half away from zero)."""
    sign = -1 if cents < 0 else 1
    whole = int(abs(cents) + Fraction(1, 2))
    return format_cents(sign * whole)


def share(value: Fraction | None) -> str:
    if value is None:
        return "–"
    return format_number(round(Decimal(value.numerator) / Decimal(value.denominator) * 100, 1)) + " %"


def _calibration_context(place: Place, user: User, catalogue: Catalogue, scorer: Scorer,
                         loaded: marks_service.Loaded) -> dict[str, Any]:
    rows = _rows(loaded, catalogue)
    return {**_base(place, user), "catalogue": catalogue, "comparison": loaded.comparison, "rows": rows,
            "mean_points": mean_points, "share": share,
            "answer_words": lambda scale, key: _option_words(catalogue, scale, key)}


def _option_words(catalogue: Catalogue, scale_code: str, key: str) -> str:
    if key in (UNANSWERED, NOT_APPLICABLE, VALUE):
        return answer_words(catalogue, "", key) if key != VALUE else _("a typed value")
    scale = catalogue.scales[scale_code]
    if isinstance(scale, OptionsScale):
        for option in scale.options:
            if option.code == key:
                return pick(option.label, option.label_en)
    return key


@router.get("/kalibrasi", name="handoff_calibration")
def calibration(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
                catalogue: CatalogueDep, scorer: ScorerDep) -> Response:
    loaded = marks_service.load(session, place.assessment, scorer)
    return render(request, "handoff/calibration.html", _calibration_context(place, user, catalogue, scorer, loaded))


@router.get("/kalibrasi.xlsx", name="handoff_calibration_export")
def calibration_export(place: ReviewPlace, session: SessionDep, catalogue: CatalogueDep,
                       scorer: ScorerDep) -> Response:
    loaded = marks_service.load(session, place.assessment, scorer)
    data = calibration_workbook(catalogue, loaded.comparison, place.regency.name, place.cycle.year)
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="kalibrasi-{place.regency.code}-{place.cycle.year}.xlsx"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
