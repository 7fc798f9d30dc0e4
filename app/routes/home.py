"""The start page: each role lands where its work is."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import col, select

from app.deps import CatalogueDep, OptionalUser, SessionDep
from app.models import Assessment, Cycle, Role
from app.services.areas import area_scope
from scoring import Stage

router = APIRouter(tags=["home"])


@router.get("/", name="home")
def home(user: OptionalUser, catalogue: CatalogueDep, session: SessionDep) -> RedirectResponse:
    if user is None:
        return RedirectResponse("/masuk", status_code=303)
    if user.role == Role.VERIFIER:
        return RedirectResponse("/lapangan", status_code=303)  # the field team's list (app.routes.field)
    if user.role in (Role.OPD, Role.DP3A):
        # The kab/kota's newest cycle: a new one opens beside last year's season, which stays readable.
        year = session.exec(select(func.max(Cycle.year)).join(Assessment, col(Assessment.cycle_id) == Cycle.id)
                            .where(Assessment.regency_code == user.regency_code)).one() or catalogue.year
        # A kecamatan's own office answers no question: its work is the Kelana/Dekela records.
        page = "kelana" if area_scope(session, user) is not None else "isian"
        return RedirectResponse(f"/r/{user.regency_code}/{year}/{page}", status_code=303)
    # The province and the ministry: the newest season with work past the self-assessment (while a new
    # cycle's kab/kota still answer, last year's verification, award and follow-up are theirs to see).
    year = (session.exec(select(func.max(Cycle.year)).join(Assessment, col(Assessment.cycle_id) == Cycle.id)
                         .where(Assessment.stage != Stage.SELF)).one()
            or session.exec(select(func.max(Cycle.year))).one() or catalogue.year)
    if user.role == Role.REVIEWER:
        if not user.provinces:
            return RedirectResponse("/akun/sandi", status_code=303)  # no province yet: nothing else to show
        return RedirectResponse(f"/provinsi/{sorted(user.provinces)[0]}/{year}", status_code=303)
    if user.role == Role.PROVINCE:
        return RedirectResponse(f"/provinsi/{user.province_code}/{year}", status_code=303)
    return RedirectResponse(f"/nasional/{year}", status_code=303)


@router.get("/favicon.ico", name="favicon", include_in_schema=False)
async def favicon() -> RedirectResponse:
    """Browsers ask for it on pages that name no icon (a PDF opened in its own tab): the app's icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
