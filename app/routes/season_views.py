"""Views of the season after the province: the pipeline (nation and province: how many kab/kota stand at
each stage, the award distribution) and one kab/kota's timeline. Read-only pages: they commit nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlmodel import Session, col, select
from starlette.routing import NoMatchFound

from app import access
from app.deps import CatalogueDep, CurrentUser, ProvinceCode, ReviewPlace, SessionDep
from app.i18n import N_
from app.i18n import gettext as _
from app.labels import stage_label
from app.models import ActivityKind, Cycle, FieldMode, Province, Role, User
from app.services import pipeline
from app.services.season_years import season_years
from app.services.timeline import season_timeline
from app.templating import env as templating_env
from app.templating import is_partial, render
from indicators import Catalogue
from scoring import Move, Stage

router = APIRouter(tags=["season views"])
YearPath = Annotated[int, Path(ge=2000, le=2100)]

MOVES = {
    Move.SUBMIT: N_("Submitted to the province"),
    Move.HAND_ON: N_("Handed on to the ministry"),
    Move.SEND_BACK: N_("Sent back to the province"),
    Move.TO_FIELD: N_("Field verification started"),
    Move.TO_FINAL: N_("Field verification closed"),
    Move.PUBLISH: N_("Award list published"),
}
ACTIVITIES = {
    ActivityKind.ONLINE_SESSION: N_("Online session with the task force"),
    ActivityKind.SITE_VISIT: N_("Site visit"),
    ActivityKind.CHILD_INTERVIEW: N_("Interview with children (Forum Anak)"),
    ActivityKind.DOCUMENT_CHECK: N_("Document check"),
}
MODES = {FieldMode.ONLINE: N_("online"), FieldMode.SITE: N_("on site"), FieldMode.HYBRID: N_("online and on site")}
NOT_TAKING_PART = N_("not taking part")
NO_AWARD = N_("no award")
OTHER = N_("other category")
# The page where a kab/kota at each stage is worked on, if the app has it (built by other parts).
DESKS = {Stage.PROVINCE: "review_queue", Stage.MINISTRY: "review_queue", Stage.FIELD: "field_verification",
         Stage.FINAL: "final_verification", Stage.AWARDED: "award_page"}


@pass_context
def pipeline_year(context: Context) -> int | None:
    """The year the top menu's pipeline link opens: a kab/kota page's own cycle (known already, no
    query), else the latest cycle (`season_years`, kept per process); None: there is no cycle."""
    cycle = getattr(context.get("place"), "cycle", None)
    if isinstance(cycle, Cycle):
        return cycle.year
    request = context.get("request")
    return season_years(request.app.state.engine).latest if request is not None else None


templating_env.globals["pipeline_year"] = pipeline_year  # base.html's top menu


def _years(request: Request) -> list[int]:
    """Every cycle's year, latest first, for the year switcher (none when there is only one)."""
    years = list(season_years(request.app.state.engine).years)
    return years if len(years) > 1 else []


def column_label(column: str) -> str:
    return _(NOT_TAKING_PART) if column == pipeline.NOT_TAKING_PART else stage_label(column)


def award_label(catalogue: Catalogue, code: str) -> str:
    if code == pipeline.NO_AWARD:
        return _(NO_AWARD)
    for band in catalogue.bands:
        if band.code == code:
            return band.name
    return _(OTHER)


def _cycle(session: Session, year: int) -> Cycle:
    cycle = session.exec(select(Cycle).where(col(Cycle.year) == year)).first()
    if cycle is None:
        raise HTTPException(404)
    return cycle


def _labels(catalogue: Catalogue) -> dict[str, object]:
    return {"columns": pipeline.COLUMNS, "column_label": column_label,
            "award_rows": pipeline.award_columns(catalogue),
            "award_label": lambda code: award_label(catalogue, code), "not_taking_part": pipeline.NOT_TAKING_PART}


@router.get("/nasional/{year}/tahapan", name="national_pipeline")
def national_pipeline(
    request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, year: YearPath,
    provinsi: str = "", tahap: str = "",
) -> Response:
    if not access.may_see_nation(user):
        raise HTTPException(403)
    cycle = _cycle(session, year)
    # An odd link (a hand-edited address, an old bookmark) filters as the default, never an error page.
    province_code = pipeline.province_filter(session, provinsi[:10])
    stage = pipeline.stage_filter(tahap[:20])
    figures = pipeline.national_pipeline(session, catalogue, cycle, province_code=province_code, stage=stage)
    provinces = session.exec(select(Province).order_by(col(Province.code))).all()
    context = {"year": year, "cycle": cycle, "p": figures, "provinces": provinces, "years": _years(request),
               "filters": {"provinsi": province_code, "tahap": stage}, **_labels(catalogue)}
    return render(request, "season/pipeline.html", context, block="pipeline_table" if is_partial(request) else None)


@router.get("/provinsi/{province_code}/{year}/tahapan", name="province_pipeline")
def province_pipeline(
    request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, province_code: ProvinceCode,
    year: YearPath,
) -> Response:
    if not access.may_see_province(user, province_code):
        raise HTTPException(403)
    province = session.get(Province, province_code)
    if province is None:
        raise HTTPException(404)
    cycle = _cycle(session, year)
    figures = pipeline.province_pipeline(session, catalogue, cycle, province_code, user)
    routes = _desks_served(request)
    links = {row.code: _links(user, province_code, row.code, row.stage, routes) for row in figures.rows}
    others = _other_provinces(session, user, province_code)
    context = {"year": year, "cycle": cycle, "province": province, "p": figures, "links": links,
               "others": others, "years": _years(request), **_labels(catalogue)}
    return render(request, "season/pipeline.html", context)


def _desks_served(request: Request) -> set[str]:
    """The desk pages this app serves (the field, final and award pages come with other parts of the season)."""
    served = set()
    for name in set(DESKS.values()):
        try:
            request.app.url_path_for(name, regency_code="00.00", year=2000)
        except NoMatchFound:
            continue
        served.add(name)
    return served


def _links(user: User, province_code: str, regency_code: str, stage: str, routes: set[str]) -> dict[str, str]:
    """The pages of a kab/kota the user may open from the pipeline: its timeline and its desk (route names)."""
    if stage == pipeline.NOT_TAKING_PART or not access.may_review(user, regency_code, province_code, stage):
        return {}
    links = {"timeline": "season_timeline"}
    desk = DESKS.get(Stage(stage))
    if desk in routes:
        links["desk"] = desk
    return links


def _other_provinces(session: Session, user: User, current: str) -> list[Province]:
    """A ministry reviewer of several provinces switches between them."""
    if user.role != Role.REVIEWER or len(user.provinces or []) < 2:
        return []
    return list(session.exec(select(Province).where(col(Province.code).in_(sorted(user.provinces)),
                                                    col(Province.code) != current).order_by(col(Province.code))))


@router.get("/r/{regency_code}/{year}/linimasa", name="season_timeline")
def timeline(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
             catalogue: CatalogueDep) -> Response:
    entries = season_timeline(session, place.assessment, place.cycle, user)
    award_name = None
    if entries.award is not None and entries.award.category is not None:
        award_name = award_label(catalogue, pipeline.category_code(catalogue, entries.award.category))
    context = {"place": place, "t": entries, "moves": MOVES, "activities": ACTIVITIES, "modes": MODES,
               "award_name": award_name}
    return render(request, "season/timeline.html", context)
