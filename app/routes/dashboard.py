"""The kab/kota dashboard: scores per stage side by side, bars per part and indicator,
the gap plan, points at risk and progress per agency (printable for the task force)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import Row, inspect, select
from sqlmodel import Session, col

from app.cache import FragmentCache
from app.deps import CatalogueDep, CurrentUser, Place, ReviewPlace, ScorerDep, SessionDep
from app.i18n import N_, format_cents, pick
from app.i18n import gettext as _
from app.labels import stage_label
from app.models import Agency, AnswerStatus
from app.models.season import Award
from app.services import handoff_marks
from app.services import review as review_service
from app.services.answers import is_answered, scored_answers
from app.services.pipeline import sees_fixed_awards
from app.services.review import ReviewState
from app.services.stage_scores import categories_of, latest_complete, season_for, stage_rows, totals_of
from app.templating import render, render_fragment
from indicators import Band, Catalogue
from scoring import Scorer, Stage, StageTotal, readiness

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["dashboard"])

_figures = FragmentCache(size=64)

# The gap plan's heading per score it starts from (the stages' own names would not say "score").
PLAN_TITLES = {
    Stage.SELF: N_("On the self-assessed score: %(total)s, %(category)s"),
    Stage.DP3A: N_("On the score checked by the DP3A: %(total)s, %(category)s"),
    Stage.PROVINCE: N_("On the score verified by the province: %(total)s, %(category)s"),
    Stage.MINISTRY: N_("On the score reviewed by the ministry: %(total)s, %(category)s"),
}
# While the stage has not decided every answer it has no score, only points verified so far.
PLAN_TITLE_SO_FAR = N_("On the points %(stage)s has verified so far: %(total)s (%(n)s questions still undecided)")
# The plan starts from the latest stage that decides with its own verdicts (field and final verification
# inherit the ministry's, so their plan is the ministry's).
_PLAN_BASIS = {Stage.SELF: Stage.DP3A, Stage.PROVINCE: Stage.PROVINCE, Stage.MINISTRY: Stage.MINISTRY,
               Stage.FIELD: Stage.MINISTRY, Stage.FINAL: Stage.MINISTRY, Stage.AWARDED: Stage.MINISTRY}


@router.get("/dasbor", name="dashboard")
def dashboard(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
    scorer: ScorerDep,
) -> Response:
    # The figures are the same for every viewer of the assessment at one revision (in one language),
    # but for the fixed award: the ministry's draft until the list is published.
    award = sees_fixed_awards(user, place.cycle)
    figures_html = _figures.get(request, (award,),
                                lambda: _render_figures(request, session, place, catalogue, scorer, award),
                                catalogue=catalogue, assessment=place.assessment)
    stage = place.assessment.stage
    stage_name = _("self-assessment by the kab/kota") if stage == Stage.SELF else stage_label(stage)
    return render(request, "dashboard/index.html",
                  {"place": place, "figures_html": figures_html, "stage_name": stage_name,
                   **handoff_marks.dashboard_context(session, place.assessment, scorer, user, catalogue)})


def _render_figures(request: Request, session: Session, place: Place, catalogue: Catalogue,
                    scorer: Scorer, award: bool) -> Markup:
    context = {
        "place": place,
        "catalogue": catalogue,
        **_compute_figures(session, place, scorer, award),
        # Each bar named in words (the chart gives the name its own line), not by its code alone.
        "part_rows": [(p.code, f"{p.code} · {pick(p.name, p.name_en)}") for p in catalogue.data.parts],
        "indicator_rows": [(code, f"{code} · {pick(i.name, i.name_en)}") for code, i in catalogue.indicators.items()],
        "max_cents": {
            "parts": {p.code: int(p.max * 100) for p in catalogue.data.parts},
            "indicators": {code: int(i.max * 100) for code, i in catalogue.indicators.items()},
        },
    }
    return render_fragment(request, "dashboard/_figures.html", context)


def _compute_figures(session: Session, place: Place, scorer: Scorer, award: bool = True) -> dict[str, Any]:
    """Scores per stage, categories, readiness and progress per agency: the same for every
    viewer until the assessment changes, so computed once per revision."""
    state = review_service.load_state(session, place.assessment)
    season = season_for(scorer, state, place.assessment.stage)
    sheets = {Stage.SELF: season.self_assessed, **season.sheets}
    totals = totals_of(season)
    categories = categories_of(scorer, season)
    basis_stage = _PLAN_BASIS[place.assessment.stage]
    answers = scored_answers(state.answers)
    excluded = frozenset(c for c, a in state.answers.items() if a.not_applicable)
    ready = readiness(scorer, answers, state.verdicts(basis_stage), excluded=excluded)
    # The headline shows the self-assessed score first: the plan is shown on it too, beside the plan on
    # the checked score, each saying which score it starts from.
    plans = [(Stage.SELF, readiness(scorer, answers, excluded=excluded)), (basis_stage, ready)]
    agencies = session.execute(
        select(*inspect(Agency).columns).where(col(Agency.regency_code) == place.regency.code, col(Agency.active))
        .order_by(col(Agency.short_name))).all()
    bands = {b.code: b for b in scorer.catalogue.bands}
    fixed = session.execute(select(col(Award.category)).where(col(Award.assessment_id) == place.assessment.id)
                            ).scalar_one_or_none() if award else None
    settled = latest_complete(totals, categories)
    return {
        "sheets": sheets,
        "stage_rows": stage_rows(totals, categories),
        "bands": bands,
        "settled": settled,
        "award": fixed,
        "ready": ready,
        "plans": [(stage, _plan_title(stage, totals[stage], categories, bands), plan) for stage, plan in plans],
        "basis_stage": basis_stage,
        "agency_rows": _agency_progress(state, agencies),
    }


def _plan_title(stage: Stage, total: StageTotal, categories: dict[Stage, str], bands: dict[str, Band]) -> str:
    if not total.complete:
        return _(PLAN_TITLE_SO_FAR) % {"stage": stage_label(stage), "total": format_cents(total.points),
                                       "n": total.undecided}
    band = bands[categories[stage]]
    return _(PLAN_TITLES[stage]) % {"total": format_cents(total.points), "category": pick(band.name, band.name_en)}


def _agency_progress(state: ReviewState, agencies: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    per_agency: dict[int, dict[str, Any]] = {
        a.id: {"agency": a, "total": 0, "answered": 0, "evidenced": 0, "approved": 0} for a in agencies}
    for code, assigned in state.agencies_by_question.items():
        answer = state.answers.get(code)
        for agency in assigned:
            row = per_agency.get(agency.id)
            if row is None:
                continue
            row["total"] += 1
            if answer is not None and is_answered(answer):
                row["answered"] += 1
                if state.current_files(answer.id):
                    row["evidenced"] += 1
                if answer.status == AnswerStatus.APPROVED:
                    row["approved"] += 1
    return [row for row in per_agency.values() if row["total"]]
