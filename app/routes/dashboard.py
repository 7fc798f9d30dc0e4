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
from app.deps import CatalogueDep, Place, ReviewPlace, ScorerDep, SessionDep
from app.i18n import N_, pick
from app.i18n import gettext as _
from app.labels import stage_label
from app.models import Agency, AnswerStatus
from app.services import review as review_service
from app.services.answers import is_answered, scored_answers
from app.services.review import ReviewState
from app.templating import render, render_fragment
from indicators import Catalogue
from scoring import Scorer, Stage, category_for, readiness

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["dashboard"])

_figures = FragmentCache(size=64)

# The gap plan's heading per score it starts from (the stages' own names would not say "score").
PLAN_TITLES = {
    Stage.SELF: N_("On the self-assessed score: %(total)s, %(category)s"),
    Stage.DP3A: N_("On the score checked by the DP3A: %(total)s, %(category)s"),
    Stage.PROVINCE: N_("On the score verified by the province: %(total)s, %(category)s"),
}


@router.get("/dasbor", name="dashboard")
def dashboard(
    request: Request, place: ReviewPlace, session: SessionDep, catalogue: CatalogueDep, scorer: ScorerDep,
) -> Response:
    # The figures are the same for every viewer of the assessment at one revision (in one language).
    figures_html = _figures.get(request, (), lambda: _render_figures(request, session, place, catalogue, scorer),
                                catalogue=catalogue, assessment=place.assessment)
    stage = place.assessment.stage
    stage_name = _("self-assessment by the kab/kota") if stage == Stage.SELF else stage_label(stage)
    return render(request, "dashboard/index.html",
                  {"place": place, "figures_html": figures_html, "stage_name": stage_name})


def _render_figures(request: Request, session: Session, place: Place, catalogue: Catalogue,
                    scorer: Scorer) -> Markup:
    context = {
        "place": place,
        "catalogue": catalogue,
        **_compute_figures(session, place, scorer),
        # The cards name each score by who stands behind it.
        "stages": [(Stage.SELF, _("Self-assessed")), (Stage.DP3A, _("Checked by the DP3A")),
                   (Stage.PROVINCE, _("Verified by the province"))],
        "plan_titles": PLAN_TITLES,
        # Each bar named in words (the chart gives the name its own line), not by its code alone.
        "part_rows": [(p.code, f"{p.code} · {pick(p.name, p.name_en)}") for p in catalogue.data.parts],
        "indicator_rows": [(code, f"{code} · {pick(i.name, i.name_en)}") for code, i in catalogue.indicators.items()],
        "max_cents": {
            "parts": {p.code: int(p.max * 100) for p in catalogue.data.parts},
            "indicators": {code: int(i.max * 100) for code, i in catalogue.indicators.items()},
        },
    }
    return render_fragment(request, "dashboard/_figures.html", context)


def _compute_figures(session: Session, place: Place, scorer: Scorer) -> dict[str, Any]:
    """Scores per stage, categories, readiness and progress per agency: the same for every
    viewer until the assessment changes, so computed once per revision."""
    state = review_service.load_state(session, place.assessment)
    scores = review_service.stage_scores(scorer, state)
    sheets = {Stage.SELF: scores.self_assessed, **scores.by_stage}
    basis_stage = Stage.DP3A if place.assessment.stage == Stage.SELF else Stage.PROVINCE
    answers = scored_answers(state.answers)
    excluded = frozenset(c for c, a in state.answers.items() if a.not_applicable)
    ready = readiness(scorer, answers, state.verdicts(basis_stage), excluded=excluded)
    # The headline shows the self-assessed score first: the plan is shown on it too, beside the plan on
    # the checked score, each saying which score it starts from.
    plans = [(Stage.SELF, readiness(scorer, answers, excluded=excluded)), (basis_stage, ready)]
    agencies = session.execute(
        select(*inspect(Agency).columns).where(col(Agency.regency_code) == place.regency.code, col(Agency.active))
        .order_by(col(Agency.short_name))).all()
    return {
        "sheets": sheets,
        "categories": {stage: category_for(scorer, sheet) for stage, sheet in sheets.items()},
        "ready": ready,
        "plans": plans,
        "basis_stage": basis_stage,
        "agency_rows": _agency_progress(state, agencies),
    }


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
