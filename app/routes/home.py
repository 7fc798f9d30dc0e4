"""The start page: each role lands where its work is."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import select

from app.deps import CatalogueDep, OptionalUser, SessionDep
from app.models import Cycle, Role

router = APIRouter(tags=["home"])


@router.get("/", name="home")
def home(user: OptionalUser, catalogue: CatalogueDep, session: SessionDep) -> RedirectResponse:
    year = catalogue.year
    if user is None:
        return RedirectResponse("/masuk", status_code=303)
    if user.role == Role.REVIEWER:
        # The first of the reviewer's provinces, in the latest year the ministry opened.
        latest = session.exec(select(func.max(Cycle.year))).one() or year
        if not user.provinces:
            return RedirectResponse("/akun/sandi", status_code=303)  # no province yet: nothing else to show
        return RedirectResponse(f"/provinsi/{sorted(user.provinces)[0]}/{latest}", status_code=303)
    if user.role == Role.VERIFIER:
        return RedirectResponse("/lapangan", status_code=303)  # the field team's list (app.routes.field)
    if user.role in (Role.OPD, Role.DP3A):
        return RedirectResponse(f"/r/{user.regency_code}/{year}/isian", status_code=303)
    if user.role == Role.PROVINCE:
        return RedirectResponse(f"/provinsi/{user.province_code}/{year}", status_code=303)
    if user.role == Role.VERIFIER:  # a field verifier's work: the teams they are on
        return RedirectResponse("/lapangan", status_code=303)
    return RedirectResponse(f"/nasional/{year}", status_code=303)


@router.get("/favicon.ico", name="favicon", include_in_schema=False)
async def favicon() -> RedirectResponse:
    """Browsers ask for it on pages that name no icon (a PDF opened in its own tab): the app's icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
