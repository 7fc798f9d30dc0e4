"""Year over year: a region's cycles side by side, and last year's answers carried forward."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app import access
from app.deps import AdminPlace, CatalogueDep, CurrentUser, FormDep, Place, RegencyCode, ScorerDep, SessionDep
from app.forms import parse_id
from app.i18n import gettext as _
from app.models import Answer, Assessment, CarryOver, CarryStatus, Cycle, Regency, Role, saved_id
from app.refusals import Refusal
from app.services import cycles as cycle_service
from app.services import document_flags
from app.services.overview import scores_of
from app.templating import render
from indicators import Catalogue
from scoring import Stage

router = APIRouter(tags=["cycles"])


@router.get("/r/{regency_code}/tahun", name="region_years")
def region_years(
    request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, scorer: ScorerDep,
    regency_code: RegencyCode,
) -> Response:
    regency = session.get(Regency, regency_code)
    if regency is None:
        raise HTTPException(404)
    own = user.role == Role.DP3A and user.regency_code == regency.code
    if not own and not access.may_see_province(user, regency.province_code):
        raise HTTPException(403)
    rows = session.exec(select(Cycle, Assessment).join(Assessment, col(Assessment.cycle_id) == Cycle.id)
                        .where(Assessment.regency_code == regency.code).order_by(col(Cycle.year))).all()
    # Outside the kab/kota, a cycle shows once its DP3A has submitted it.
    rows = [(c, a) for c, a in rows if own or a.stage != Stage.SELF]
    scores = scores_of(session, scorer, [a for _, a in rows])
    return render(request, "cycles/years.html", {
        "regency": regency, "rows": rows, "scores": scores, "catalogue": catalogue,
        "bands": {b.code: b for b in catalogue.bands},
        "versions": {cycle.id: instrument_name(cycle.instrument_version) for cycle, _a in rows},
        "stages": Stage,
    })


def instrument_name(version: str) -> str:
    """The instrument version in words: "2024.1" is the KLA instrument of 2024, its first version."""
    year, _dot, number = version.partition(".")
    if year.isdigit() and number.isdigit():
        return _("KLA instrument %(year)s (version %(n)s)") % {"year": year, "n": int(number)}
    return _("KLA instrument, version %(version)s") % {"version": version}


@router.get("/r/{regency_code}/{year}/bawa", name="carry_over")
def carry_over(request: Request, place: AdminPlace, session: SessionDep, catalogue: CatalogueDep) -> Response:
    return _page(request, session, place, catalogue)


def _page(request: Request, session: Session, place: Place, catalogue: Catalogue,
          refusal: Refusal | None = None) -> Response:
    carries = session.exec(select(CarryOver, Answer).join(Answer, col(Answer.id) == CarryOver.source_answer_id)
                           .where(CarryOver.assessment_id == place.assessment.id)
                           .order_by(col(CarryOver.id))).all()
    return render(request, "cycles/carry_over.html", {
        "place": place, "carries": carries, "catalogue": catalogue,
        "message": refusal.message if refusal else None,
        "proposed": sum(1 for c, _ in carries if c.status == CarryStatus.PROPOSED),
        "statuses": CarryStatus,
        # Per carry-over, how many of its files need a newer version ("perlu versi terbaru").
        "needs_newer": document_flags.carry_flags(session, place.assessment, catalogue, place.cycle.year,
                                                  [c for c, _ in carries]),
    }, status_code=refusal.status if refusal else 200)


@router.post("/r/{regency_code}/{year}/bawa", name="carry_over_decide")
def carry_over_decide(
    request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, form: FormDep,
) -> Response:
    decision = str(form.get("decision", ""))
    if decision not in ("accept", "reject", "accept_all"):
        raise HTTPException(422)
    assessment = place.assessment
    try:
        cycle_service.check_carry_open(assessment)
    except Refusal as refusal:
        return _page(request, session, place, catalogue, refusal)
    if decision == "accept_all":
        chosen = cycle_service.proposed(session, saved_id(assessment.id))
    else:
        carry_id = parse_id(form.get("carry_id"))
        carry = session.get(CarryOver, carry_id) if carry_id else None
        if carry is None or carry.assessment_id != assessment.id:
            raise HTTPException(404)
        chosen = [carry]
    outcome = cycle_service.decide(session, scorer, assessment, user, chosen, accepted=decision != "reject")
    session.commit()
    done, refused, withheld = outcome.done, outcome.refused, outcome.withheld
    message = _("%(n)s answers carried over.") % {"n": done} if decision != "reject" else _("Rejected.")
    if refused:
        message += " " + _("%(n)s could not be carried over (already answered, or no longer on the scale).") % {"n": refused}
    if withheld:
        message += " " + _("%(n)s files of sensitive questions were not copied onto questions that are not "
                           "sensitive.") % {"n": withheld}
    request.session["flash"] = message
    return RedirectResponse(str(request.url_for("carry_over", regency_code=place.regency.code, year=place.cycle.year)),
                            status_code=303)

