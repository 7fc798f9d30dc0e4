"""The province's view of its kab/kota, and the ministry's view of the nation.

A kab/kota still in self-assessment shows its progress only: its scores are
its own until its DP3A submits them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app import access
from app.cache import FragmentCache
from app.deps import CatalogueDep, CurrentUser, ProvinceCode, ScorerDep, SessionDep
from app.models import Province
from app.services.overview import (
    RegionRow,
    being_verified,
    category_counts,
    provila_categories,
    region_rows,
    scores_shown,
    without_awards,
)
from app.services.pipeline import sees_fixed_awards_in
from app.templating import is_partial, render, render_fragment
from indicators import Catalogue
from scoring import Stage, provila_status

router = APIRouter(tags=["province"])

SORTS = ("code", "name", "self", "verified", "drop", "progress")
# Published national results (KLA.md): regions per category.
PUBLISHED = {
    2023: {"utama": 19, "nindya": 76, "madya": 130, "pratama": 135},
    2025: {"utama": 22, "nindya": 69, "madya": 125, "pratama": 139},
}
_pages = FragmentCache(size=64)
YearPath = Annotated[int, Path(ge=2000, le=2100)]


def _sort_key(sort: str, total_questions: int) -> Callable[[RegionRow], Any]:
    def key(row: RegionRow) -> Any:
        scores = row.scores
        if sort == "name":
            return row.regency.name
        if sort == "progress":
            return scores.answered / total_questions if scores else -1
        if sort in ("self", "verified", "drop"):
            if scores is None or not scores_shown(row):
                return -10**9
            return {"self": scores.totals[Stage.SELF], "verified": scores.totals[scores.latest],
                    "drop": scores.drop}[sort]
        return row.regency.code
    return key


@router.get("/provinsi/{province_code}/{year}", name="province_dashboard")
def province_dashboard(
    request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, scorer: ScorerDep,
    province_code: ProvinceCode, year: YearPath,
    sort: str = "code", desc: str = "0",
) -> Response:
    if not access.may_see_province(user, province_code):
        raise HTTPException(403)
    province = session.get(Province, province_code)
    if province is None:
        raise HTTPException(404)
    rows = region_rows(session, scorer, year, province_code)
    # Fixed awards (and the Provila they make) are the ministry's draft until the list is published.
    sees_awards = sees_fixed_awards_in(session, user, year)
    if not sees_awards:
        rows = without_awards(rows)
    # An odd link (a hand-edited address, an old bookmark) sorts as the default, never an error page.
    sort = sort if sort in SORTS else "code"
    descending = 1 if desc == "1" else 0
    now = datetime.now(UTC)
    days_left = {r.regency.code: math.ceil((r.scores.window_closes_at - now).total_seconds() / 86400)
                 for r in rows if r.scores and r.scores.window_closes_at}
    # The page is the same for every verifier of the province until an assessment changes
    # (or a day passes): rendered once per such state and language.
    parts = ("province", province_code, province.name, year, _made_of(rows), tuple(sorted(days_left.items())), sort,
             descending, sees_awards)

    def context() -> dict[str, Any]:
        rows.sort(key=_sort_key(sort, len(catalogue.questions)), reverse=bool(descending))
        provila = provila_status(catalogue, provila_categories(session, rows, year))
        return {
            "province": province, "year": year, "rows": rows, "sort": sort, "desc": descending,
            "visible": scores_shown, "provila": provila, "names": {r.regency.code: r.regency.name for r in rows},
            "catalogue": catalogue, "bands": {b.code: b for b in catalogue.bands},
            "part_max": {p.code: int(p.max * 100) for p in catalogue.data.parts},
            "total_questions": len(catalogue.questions), "days_left": days_left,
        }

    if is_partial(request):
        table = _pages.get(request, (*parts, "table"),
                           lambda: render_fragment(request, "province/_region_table.html", context()),
                           catalogue=catalogue)
        return render(request, "province/index.html", {"table_html": table}, block="region_table")
    body = _pages.get(request, parts, lambda: render_fragment(request, "province/_body.html", context()),
                      catalogue=catalogue)
    return render(request, "province/index.html", {"province": province, "year": year, "body_html": body})


def _made_of(rows: list[RegionRow]) -> tuple[tuple[object, ...], ...]:
    """What the pages show of each kab/kota: its names, and its assessment's revision (which every
    change to its answers and decisions bumps) and stage."""
    return tuple((r.regency.code, r.regency.name, r.province.name, *((r.assessment.id, r.assessment.revision,
                  r.assessment.stage, r.assessment.submitted_at) if r.assessment is not None else ()))
                 for r in rows)


@router.get("/nasional/{year}", name="national_view")
def national_view(
    request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, scorer: ScorerDep,
    year: YearPath, provinsi: str = "", kategori: str = "",
) -> Response:
    if not access.may_see_nation(user):
        raise HTTPException(403)
    rows = region_rows(session, scorer, year)
    parts = ("nation", year, _made_of(rows), provinsi, kategori)

    def context() -> dict[str, Any]:
        return _national_context(session, catalogue, year, rows, provinsi, kategori)

    if is_partial(request):
        listing = _pages.get(request, (*parts, "list"),
                             lambda: render_fragment(request, "province/_national_list.html", context()),
                             catalogue=catalogue)
        return render(request, "province/national.html", {"list_html": listing}, block="region_list")
    body = _pages.get(request, parts, lambda: render_fragment(request, "province/_national_body.html", context()),
                      catalogue=catalogue)
    return render(request, "province/national.html", {"year": year, "body_html": body})


def _national_context(session: Session, catalogue: Catalogue, year: int, rows: list[RegionRow], provinsi: str,
                      kategori: str) -> dict[str, Any]:
    provinces = session.exec(select(Province).order_by(col(Province.code))).all()
    by_province: dict[str, list[RegionRow]] = {p.code: [] for p in provinces}
    for row in rows:
        by_province[row.province.code].append(row)
    summaries: list[dict[str, Any]] = []
    for province in provinces:
        members = by_province[province.code]
        status = provila_status(
            catalogue, provila_categories(session, members, year)
        )
        summaries.append({
            "province": province, "regions": len(members),
            "taking_part": sum(1 for r in members if r.assessment is not None),
            "submitted": sum(1 for r in members if scores_shown(r)),
            "counts": category_counts(members, catalogue, Stage.PROVINCE),
            "being_verified": being_verified(members, Stage.PROVINCE),
            "provila": status,
        })
    shown = [r for r in rows if (not provinsi or r.province.code == provinsi)
             and (not kategori or (r.scores is not None and scores_shown(r)
                                   and r.scores.category == kategori))]
    return {
        "year": year, "catalogue": catalogue, "summaries": summaries, "rows": shown, "visible": scores_shown,
        "national": category_counts(rows, catalogue, Stage.PROVINCE),
        "national_being_verified": being_verified(rows, Stage.PROVINCE),
        "national_self": category_counts([r for r in rows if scores_shown(r)], catalogue, Stage.SELF),
        "published": PUBLISHED, "provinces": provinces, "filters": {"provinsi": provinsi, "kategori": kategori},
        "bands": {b.code: b for b in catalogue.bands},
        "provila_count": sum(1 for s in summaries if s["provila"].qualifies),
    }
