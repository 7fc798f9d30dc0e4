"""The start page: each role lands where its work is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from app.deps import CatalogueDep, OptionalUser, SessionDep
from app.models import Assessment, Cycle, Province, Regency, Role
from app.templating import render

router = APIRouter(tags=["home"])


@router.get("/", name="home")
def home(request: Request, session: SessionDep, user: OptionalUser, catalogue: CatalogueDep):
    if user is None:
        return RedirectResponse("/masuk", status_code=303)
    year = catalogue.year
    if user.role in (Role.OPD, Role.DP3A):
        return RedirectResponse(f"/r/{user.regency_code}/{year}/isian", status_code=303)
    query = (
        select(Regency, Province, Assessment)
        .join(Province, Province.code == Regency.province_code)
        .outerjoin(Assessment, Assessment.regency_code == Regency.code)
        .outerjoin(Cycle, Cycle.id == Assessment.cycle_id)
        .order_by(Regency.code)
    )
    if user.role == Role.PROVINCE:
        query = query.where(Regency.province_code == user.province_code)
    rows = [(r, p, a) for r, p, a in session.exec(query) if a is None or a.cycle_id]
    return render(request, "home/overview.html", {"rows": rows, "year": year})
