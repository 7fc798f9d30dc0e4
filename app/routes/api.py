"""JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json): the catalogue, and scores and
categories per region and stage, under the same access rules as the pages.

It authenticates with the same session cookie as the pages and only reads, so
it needs no CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import col, select

from app import access
from app.deps import CatalogueDep, CurrentUser, LoginRequired, ScorerDep, SessionDep, find_place
from app.models import Province, saved_id
from app.services.overview import (
    RegionScores,
    category_counts,
    provila_categories,
    region_rows,
    scores_of,
    scores_shown,
    without_awards,
)
from app.services.pipeline import sees_fixed_awards, sees_fixed_awards_in
from scoring import Stage, from_cents, provila_status

RegencyCode = Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$", examples=["62.71"])]
ProvinceCode = Annotated[str, Path(pattern=r"^\d{2}$", examples=["62"])]
Year = Annotated[int, Path(ge=2000, le=2100, examples=[2024])]


class FiguresOut(BaseModel):
    measure: str  # share (numerator of denominator, shown as a percentage) or count
    unit: str
    unit_en: str
    numerator: str
    numerator_en: str
    denominator: str
    denominator_en: str
    years: int  # how many years before the cycle's year


class QuestionOut(BaseModel):
    code: str
    text: str
    max: float
    level: str
    agencies: list[str]
    scale: str
    evidence_required: bool
    # What answering "not applicable" earns on the question's scale: zero, full (its maximum) or refused.
    not_applicable: str = "zero"
    figures: FiguresOut | None = None  # answered as yearly data (data/kla_clusters.yaml `figures:`)


class IndicatorOut(BaseModel):
    code: str
    name: str
    name_en: str
    max: float
    questions: list[QuestionOut]


class PartOut(BaseModel):
    code: str
    name: str
    name_en: str
    max: float
    indicators: list[IndicatorOut]


class BandOut(BaseModel):
    code: str
    name: str
    min: float
    max: float
    includes_min: bool
    includes_max: bool


class CatalogueOut(BaseModel):
    code: str
    year: int
    version: str
    max_total: float
    categories: list[BandOut]
    parts: list[PartOut]


class StageScore(BaseModel):
    total: float  # points verified so far (the stage's score only when its stage is complete)
    category: str | None  # None while the stage has not decided every answered question
    parts: dict[str, float]


class StageOut(BaseModel):
    """One stage reached: what it stands behind and what it has not decided yet."""

    points: float
    decided: int
    undecided: int
    undecided_points: float
    complete: bool
    category: str | None  # only for a complete stage


class RegionScoresOut(BaseModel):
    regency_code: str
    year: int
    stage: str
    scores: dict[str, StageScore]  # self, dp3a, province (kept for older clients)
    stages: dict[str, StageOut]  # self and every review stage reached, in order
    award: str | None  # the category the ministry fixed (null before, or when fixed at no award)


class RegionSummaryOut(BaseModel):
    regency_code: str
    name: str
    stage: str | None
    answered: int | None
    scores: dict[str, StageScore] | None  # only once submitted
    stages: dict[str, StageOut] | None = None  # only once submitted
    award: str | None = None


class ProvinceOut(BaseModel):
    province_code: str
    name: str
    year: int
    provila: bool
    holding_back: list[str]
    regions: list[RegionSummaryOut]


class NationOut(BaseModel):
    year: int
    regions: int
    submitted: int
    categories: dict[str, int]
    provila_provinces: list[str]


class MeOut(BaseModel):
    username: str
    full_name: str
    role: str
    province_code: str | None
    regency_code: str | None


def build_api() -> FastAPI:
    api = FastAPI(
        title="KLA self-assessment API",
        version="1",
        description="Read-only access to the instrument and to scores per region and stage. "
        "Log in through the web app (/masuk); the API uses the same session cookie and access rules.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    @api.exception_handler(LoginRequired)
    async def login_required(_request: Request, _exc: LoginRequired) -> JSONResponse:
        return JSONResponse({"detail": "login required"}, status_code=401)

    @api.get("/me", response_model=MeOut, name="api_me")
    def me(user: CurrentUser) -> MeOut:
        return MeOut(username=user.username, full_name=user.full_name, role=user.role.value,
                     province_code=user.province_code, regency_code=user.regency_code)

    @api.get("/catalogue", response_model=CatalogueOut, name="api_catalogue")
    def catalogue_out(catalogue: CatalogueDep) -> CatalogueOut:
        data = catalogue.data
        return CatalogueOut(
            code=data.instrument.code, year=data.instrument.year, version=data.instrument.version,
            max_total=float(data.instrument.max_total),
            categories=[BandOut(code=b.code, name=b.name, min=float(b.min), max=float(b.max),
                                includes_min=b.includes_min, includes_max=b.includes_max) for b in catalogue.bands],
            parts=[PartOut(code=p.code, name=p.name, name_en=p.name_en, max=float(p.max), indicators=[
                IndicatorOut(code=i.code, name=i.name, name_en=i.name_en, max=float(i.max), questions=[
                    QuestionOut(code=q.code, text=q.text, max=float(q.max), level=q.level.value,
                                agencies=list(q.agencies), scale=q.scale, evidence_required=q.evidence.required,
                                not_applicable=catalogue.scales[q.scale].not_applicable.value,
                                figures=FiguresOut(**q.figures.model_dump()) if q.figures else None)
                    for q in i.questions]) for i in p.indicators]) for p in data.parts],
        )

    @api.get("/regions/{regency_code}/{year}/scores", response_model=RegionScoresOut, name="api_region_scores")
    def region_scores(request: Request, session: SessionDep, user: CurrentUser, scorer: ScorerDep,
                      regency_code: RegencyCode, year: Year) -> RegionScoresOut:
        place = find_place(session, regency_code, year)
        regency = place.regency
        if not access.may_review(user, regency.code, regency.province_code, place.assessment.stage):
            raise HTTPException(403, "no access to this region")
        scores = scores_of(session, scorer, [place.assessment])[saved_id(place.assessment.id)]
        award = (scores.award or None) if sees_fixed_awards(user, place.cycle) else None  # the ministry's draft
        return RegionScoresOut(regency_code=regency.code, year=year, stage=place.assessment.stage,
                               scores=_stage_scores(scores), stages=_stages(scores), award=award)

    @api.get("/provinces/{province_code}/{year}", response_model=ProvinceOut, name="api_province")
    def province(session: SessionDep, user: CurrentUser, scorer: ScorerDep, catalogue: CatalogueDep,
                 province_code: ProvinceCode, year: Year) -> ProvinceOut:
        if not access.may_see_province(user, province_code):
            raise HTTPException(403, "no access to this province")
        row = session.get(Province, province_code)
        if row is None:
            raise HTTPException(404, "unknown province")
        rows = region_rows(session, scorer, year, province_code)
        if not sees_fixed_awards_in(session, user, year):  # the ministry's draft until the list is published
            rows = without_awards(rows)
        status = provila_status(catalogue, provila_categories(session, rows, year))
        return ProvinceOut(
            province_code=province_code, name=row.name, year=year, provila=status.qualifies,
            holding_back=list(status.holding_back),
            regions=[RegionSummaryOut(
                regency_code=r.regency.code, name=r.regency.name,
                stage=r.scores.stage if r.scores else None,
                answered=r.scores.answered if r.scores else None,
                scores=_stage_scores(r.scores) if r.scores is not None and scores_shown(r) else None,
                stages=_stages(r.scores) if r.scores is not None and scores_shown(r) else None,
                award=(r.scores.award or None) if r.scores is not None and scores_shown(r) else None) for r in rows],
        )

    @api.get("/nation/{year}", response_model=NationOut, name="api_nation")
    def nation(session: SessionDep, user: CurrentUser, scorer: ScorerDep, catalogue: CatalogueDep,
               year: Year) -> NationOut:
        if not access.may_see_nation(user):
            raise HTTPException(403, "ministry only")
        rows = region_rows(session, scorer, year)
        submitted = [r for r in rows if scores_shown(r)]
        categories = category_counts(rows, catalogue, Stage.PROVINCE)
        provila = []
        for province_row in session.exec(select(Province).order_by(col(Province.code))):
            members = [r for r in rows if r.province.code == province_row.code]
            if provila_status(catalogue, provila_categories(session, members, year)).qualifies:
                provila.append(province_row.code)
        return NationOut(year=year, regions=len(rows), submitted=len(submitted), categories=categories,
                         provila_provinces=provila)

    return api


def _stage_scores(scores: RegionScores) -> dict[str, StageScore]:
    return {stage: StageScore(total=float(from_cents(scores.totals[stage])), category=scores.categories.get(stage),
                              parts={k: float(from_cents(v)) for k, v in scores.parts[stage].items()})
            for stage in scores.totals}


def _stages(scores: RegionScores) -> dict[str, StageOut]:
    return {row.stage: StageOut(points=float(from_cents(row.total.points)), decided=row.total.decided,
                                undecided=row.total.undecided,
                                undecided_points=float(from_cents(row.total.undecided_cents)),
                                complete=row.total.complete, category=row.category)
            for row in scores.rows()}

