"""Final verification of one kab/kota: the national team's final figure per question, and the
award the ministry fixes from the final total (both ADMIN only: `access.may_run_season`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import access
from app.deps import CatalogueDep, CurrentUser, FormDep, Place, ScorerDep, SessionDep, get_place
from app.forms import MAX_NOTE, parse_note
from app.i18n import gettext as _
from app.refusals import Refusal
from app.services import award as award_service
from app.services import final as final_service
from app.templating import render
from indicators import Catalogue
from scoring import Scorer, Stage, from_cents
from scoring.answers import to_decimal

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["final"])


async def get_season_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser) -> Place:
    """The kab/kota, for the ministry's national team only."""
    if not access.may_run_season(user):
        raise HTTPException(403)
    return place


SeasonPlace = Annotated[Place, Depends(get_season_place)]


def _final_page(request: Request, session: Session, place: Place, scorer: Scorer, catalogue: Catalogue, *,
                message: str | None = None, status_code: int = 200, typed: dict[str, Any] | None = None) -> Response:
    view = final_service.final_view(session, scorer, catalogue, place.assessment, place.cycle)
    award = award_service.award_of(session, place.assessment)
    stale = award is not None and view.complete and from_cents(view.total) != Decimal(award.total)
    return render(request, "final/index.html", {
        "place": place, "view": view, "stages": final_service.SHOWN_STAGES, "message": message,
        "typed": typed or {}, "max_note": MAX_NOTE, "award": award, "stale": stale,
        "at_final": place.assessment.stage in (Stage.FINAL, Stage.AWARDED),
    }, status_code=status_code)


@router.get("/final", name="final_verification")
def final_verification(request: Request, place: SeasonPlace, session: SessionDep, catalogue: CatalogueDep,
                       scorer: ScorerDep) -> Response:
    return _final_page(request, session, place, scorer, catalogue)


@router.post("/final", name="final_decide")
def final_decide(request: Request, place: SeasonPlace, session: SessionDep, user: CurrentUser,
                 catalogue: CatalogueDep, scorer: ScorerDep, form: FormDep) -> Response:
    """One indicator's figures (`indicator`) or one question's (`question`), with one reason."""
    indicator = str(form.get("indicator", ""))[:40]
    question = str(form.get("question", ""))[:40]
    typed_figures = {k[len("figure:"):]: str(v) for k, v in form.multi_items() if k.startswith("figure:")}
    typed = {"indicator": indicator, "reason": str(form.get("reason", "")), "figures": typed_figures}
    try:
        final_service.check_open(place.assessment, place.cycle)
        view = final_service.final_view(session, scorer, catalogue, place.assessment, place.cycle)
        if question:
            codes = [question]
        elif indicator in catalogue.indicators:
            codes = [row.code for group in view.indicators if group.indicator.code == indicator for row in group.rows]
        else:
            raise Refusal(_("Choose an indicator or a question."), code="nothing_chosen")
        figures: dict[str, Decimal] = {}
        for code in codes:
            raw = typed_figures.get(code, "").strip()
            if not raw:
                continue  # left empty: unchanged
            value = to_decimal(raw)
            if value is None:
                raise Refusal(_("%(code)s: '%(value)s' is not a number. Write digits, e.g. 12.5.")
                              % {"code": code, "value": raw[:40]}, code="bad_score")
            figures[code] = value
        reason = parse_note(form, "reason")
        changed = final_service.decide_final(session, scorer, view, place.assessment, place.cycle, user, figures,
                                             reason)
    except Refusal as refusal:
        session.rollback()
        return _final_page(request, session, place, scorer, catalogue, message=refusal.message,
                           status_code=refusal.status, typed=typed)
    session.commit()
    request.session["flash"] = (_("Final figures saved: %(n)s changed.") % {"n": changed} if changed
                                else _("Nothing changed: the final figures were already these."))
    target = request.url_for("final_verification", regency_code=place.regency.code, year=place.cycle.year)
    anchor = f"#ind-{indicator}" if indicator else ""
    return RedirectResponse(f"{target}{anchor}", status_code=303)
