"""The award: fixing one kab/kota's category (ADMIN), the award list of the year with Provila and
its workbook (the ministry before publication, every signed-in user after), and the publication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlmodel import Session, col, select

from app import access
from app.cache import FragmentCache, RevisionCache
from app.deps import CatalogueDep, CurrentUser, FormDep, Place, ScorerDep, SessionDep
from app.exports.award import award_workbook
from app.exports.common import XLSX_MEDIA_TYPE
from app.forms import MAX_NOTE, parse_note
from app.i18n import gettext as _
from app.models import Cycle, Province, User
from app.refusals import Refusal
from app.routes.final import SeasonPlace
from app.services import award as award_service
from app.services import season
from app.services.pipeline import season_state
from app.services.season_years import season_years
from app.templating import env as templating_env
from app.templating import render, render_fragment
from indicators import Catalogue
from scoring import Scorer

_listings: RevisionCache = RevisionCache(size=16)
_tables = FragmentCache(size=64)
router = APIRouter(tags=["award"])
YearPath = Annotated[int, Path(ge=2000, le=2100)]


@pass_context
def award_list_year(context: Context) -> int | None:
    """The year whose award list the top menu links to, for the ministry: the latest cycle with an award
    (a published 2024 list while 2025 is still being verified), else the latest cycle; None: no link."""
    user, request = context.get("user"), context.get("request")
    if user is None or request is None or not access.may_run_season(user):
        return None
    return season_years(request.app.state.engine).award_year


templating_env.globals["award_list_year"] = award_list_year  # base.html's top menu


# -- the award of one kab/kota ----------------------------------------------------------------------


def _award_page(request: Request, session: Session, place: Place, scorer: Scorer, catalogue: Catalogue, *,
                message: str | None = None, status_code: int = 200, typed: dict[str, str] | None = None) -> Response:
    total = award_service.final_total(session, scorer, place.assessment)
    award = award_service.award_of(session, place.assessment)
    refusal = None
    try:
        award_service.check_award_open(place.assessment, place.cycle, total)
    except Refusal as why:
        refusal = why.message
    chosen = typed["category"] if typed else (award.category if award is not None else total.band_category)
    return render(request, "award/page.html", {
        "place": place, "total": total, "award": award, "closed": refusal, "message": message,
        "stale": award is not None and award_service.is_stale(award, total),
        "choices": [(code, award_service.category_label(catalogue, code))
                    for code in award_service.category_codes(catalogue)],
        "band_label": award_service.category_label(catalogue, total.band_category),
        "chosen": chosen, "reason": typed["reason"] if typed else (award.reason if award is not None else ""),
        "max_note": MAX_NOTE, "decided_by": session.get(User, award.decided_by) if award is not None else None,
    }, status_code=status_code)


@router.get("/r/{regency_code}/{year}/penghargaan", name="award_page")
def award_page(request: Request, place: SeasonPlace, session: SessionDep, catalogue: CatalogueDep,
               scorer: ScorerDep) -> Response:
    return _award_page(request, session, place, scorer, catalogue)


@router.post("/r/{regency_code}/{year}/penghargaan", name="award_fix")
def award_fix(request: Request, place: SeasonPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
              scorer: ScorerDep, form: FormDep) -> Response:
    category = str(form.get("category", "")).strip()[:40]
    typed = {"category": category, "reason": str(form.get("reason", ""))}
    try:
        reason = parse_note(form, "reason")
        total = award_service.final_total(session, scorer, place.assessment)
        fixed = award_service.fix_award(session, catalogue, place.assessment, place.cycle, user, total, category,
                                        reason)
    except Refusal as refusal:
        session.rollback()
        return _award_page(request, session, place, scorer, catalogue, message=refusal.message,
                           status_code=refusal.status, typed=typed)
    session.commit()
    request.session["flash"] = (_("Award fixed: %(category)s.") % {
        "category": award_service.category_label(catalogue, category)} if fixed is not None
        else _("Nothing changed: this award was fixed already."))
    return RedirectResponse(request.url_for("award_page", regency_code=place.regency.code, year=place.cycle.year),
                            status_code=303)


# -- the list of the year ---------------------------------------------------------------------------


def _visible_cycle(session: Session, user: User, year: int) -> Cycle:
    cycle = award_service.cycle_of(session, year)
    if not access.may_run_season(user) and (cycle is None or not award_service.may_see_list(user, cycle)):
        raise HTTPException(403)
    if cycle is None:
        raise HTTPException(404)
    return cycle


def _filters(listing: award_service.AwardList, provinsi: str, kategori: str,
             catalogue: Catalogue) -> tuple[str, str]:
    """Filters as given when they name something; anything else (an odd link) means no filter."""
    provinces = {p.province.code for p in listing.provila}
    categories = {*award_service.category_codes(catalogue), "none"} - {award_service.NO_AWARD}
    return (provinsi if provinsi in provinces else "", kategori if kategori in categories else "")


def _list_years(request: Request, user: User) -> list[int]:
    """The years whose award list this user may open, for the year switcher (none when only one):
    every cycle's for the ministry, the published ones for everyone else (`may_see_list`)."""
    known = season_years(request.app.state.engine)
    years = list(known.years if access.may_run_season(user) else known.published)
    return years if len(years) > 1 else []


def _list_page(request: Request, session: Session, user: User, catalogue: Catalogue, scorer: Scorer, cycle: Cycle,
               provinsi: str = "", kategori: str = "", *, message: str | None = None, status_code: int = 200,
               confirm: award_service.PublishCheck | None = None) -> Response:
    # The list is the same for everyone until an assessment of the cycle changes (every award fixed and
    # the publication are audited, which bumps a revision: `season_state`), so its data and its
    # tables are kept per state. Publishing works on the rows it reads itself (the confirmation step).
    state = season_state(session, cycle)
    listing = (award_service.award_list(session, catalogue, cycle) if confirm is not None else
               _listings.get(session.get_bind(), ("awards", id(catalogue), state),
                             lambda: award_service.award_list(session, catalogue, cycle)))
    provinsi, kategori = _filters(listing, provinsi, kategori, catalogue)
    codes = award_service.category_codes(catalogue)
    may_publish = access.may_run_season(user)
    context = {
        "year": cycle.year, "cycle": cycle, "listing": listing, "rows": listing.shown(provinsi, kategori),
        "filters": {"provinsi": provinsi, "kategori": kategori},
        "labels": {code: award_service.category_label(catalogue, code) for code in codes},
        "codes": codes, "published": season.frozen(cycle), "may_publish": may_publish,
        "years": _list_years(request, user),
        "message": message, "check": confirm,
        "published_by": session.get(User, cycle.published_by) if cycle.published_by is not None else None,
    }
    if confirm is not None:
        return render(request, "award/confirm.html", context, status_code=status_code)

    def tables() -> Markup:
        provinces = session.exec(select(Province).order_by(col(Province.name))).all()
        return render_fragment(request, "award/_tables.html", {**context, "provinces": provinces})

    context["tables_html"] = _tables.get(request, ("award-tables", state, provinsi, kategori, may_publish), tables,
                                         catalogue=catalogue)
    return render(request, "award/list.html", context, status_code=status_code)


@router.get("/nasional/{year}/penghargaan", name="award_list")
def award_list(request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, scorer: ScorerDep,
               year: YearPath, provinsi: str = "", kategori: str = "") -> Response:
    cycle = _visible_cycle(session, user, year)
    return _list_page(request, session, user, catalogue, scorer, cycle, provinsi[:10], kategori[:40])


@router.get("/nasional/{year}/penghargaan.xlsx", name="award_export")
def award_export(session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, year: YearPath,
                 provinsi: str = "", kategori: str = "") -> Response:
    cycle = _visible_cycle(session, user, year)
    listing = award_service.award_list(session, catalogue, cycle)
    provinsi, kategori = _filters(listing, provinsi[:10], kategori[:40], catalogue)
    data = award_workbook(catalogue, listing, listing.shown(provinsi, kategori))
    draft = "" if season.frozen(cycle) else "-draf"
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="penghargaan-kla-{year}{draft}.xlsx"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


@router.post("/nasional/{year}/penghargaan/terbitkan", name="award_publish")
def award_publish(request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
                  scorer: ScorerDep, year: YearPath, form: FormDep) -> Response:
    """Without `confirm`: the confirmation step (what would be published, what stays at FINAL).
    With it: the publication."""
    if not access.may_run_season(user):
        raise HTTPException(403)
    cycle = award_service.cycle_of(session, year)
    if cycle is None:
        raise HTTPException(404)
    try:
        award_service.check_not_published(cycle)
        check = award_service.publish_check(session, scorer, award_service.award_list(session, catalogue, cycle))
        if form.get("confirm") != "1":
            return _list_page(request, session, user, catalogue, scorer, cycle, confirm=check)
        moved = award_service.publish(session, cycle, check, user)
    except Refusal as refusal:
        session.rollback()
        return _list_page(request, session, user, catalogue, scorer, cycle, message=refusal.message,
                          status_code=refusal.status)
    session.commit()
    request.session["flash"] = _("The award list of %(year)s is published: %(n)s kab/kota awarded. Scores of the "
                                 "year are now read-only.") % {"year": year, "n": moved}
    return RedirectResponse(request.url_for("award_list", year=year), status_code=303)
