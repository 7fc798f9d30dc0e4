"""The kab/kota dashboard: scores per stage side by side, bars per part and indicator,
the gap plan, points at risk and progress per agency (printable for the task force)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from app.cache import RevisionCache
from app.deps import CatalogueDep, ReviewPlace, ScorerDep, SessionDep
from app.i18n import current_language, pick
from app.models import Agency, AnswerStatus
from app.services import review as review_service
from app.services.answers import is_answered, scored_answers
from app.templating import render, render_fragment
from scoring import category_for, readiness

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["dashboard"])


_figures = RevisionCache(size=64)


@router.get("/dasbor", name="dashboard")
def dashboard(request: Request, place: ReviewPlace, session: SessionDep, catalogue: CatalogueDep, scorer: ScorerDep):
    assessment = place.assessment
    key = (assessment.id, assessment.revision, id(catalogue), current_language.get(), request.scope.get("root_path"))
    figures_html = _figures.get(session.get_bind(), key,
                                lambda: _render_figures(request, session, place, catalogue, scorer))
    return render(request, "dashboard/index.html", {"place": place, "figures_html": figures_html})


def _render_figures(request, session, place, catalogue, scorer):
    context = {
        "place": place,
        "catalogue": catalogue,
        **_compute_figures(session, place, scorer),
        "stages": [("self", "Self-assessed"), ("dp3a", "DP3A-verified"), ("province", "Province-verified")],
        # Each bar named in words (the chart gives the name its own line), not by its code alone.
        "part_rows": [(p.code, f"{p.code} · {pick(p.name, p.name_en)}") for p in catalogue.data.parts],
        "indicator_rows": [(code, f"{code} · {pick(i.name, i.name_en)}") for code, i in catalogue.indicators.items()],
        "max_cents": {
            "parts": {p.code: int(p.max * 100) for p in catalogue.data.parts},
            "indicators": {code: int(i.max * 100) for code, i in catalogue.indicators.items()},
        },
    }
    return render_fragment(request, "dashboard/_figures.html", context)


def _compute_figures(session, place, scorer) -> dict:
    """Scores per stage, categories, readiness and progress per agency: the same for every
    viewer until the assessment changes, so computed once per revision."""
    state = review_service.load_state(session, place.assessment)
    scores = review_service.stage_scores(scorer, state)
    sheets = {"self": scores.self_assessed, **scores.by_stage}
    basis_stage = "dp3a" if place.assessment.stage == "self" else "province"
    answers = scored_answers(state.answers)
    excluded = frozenset(c for c, a in state.answers.items() if a.not_applicable)
    ready = readiness(scorer, answers, state.verdicts(basis_stage), excluded=excluded)
    # The headline shows the self-assessed score first: the plan is shown on it too, beside the plan on
    # the checked score, each saying which score it starts from.
    plans = [("self", readiness(scorer, answers, excluded=excluded)), (basis_stage, ready)]
    agencies = session.execute(
        select(*Agency.__table__.columns).where(Agency.regency_code == place.regency.code, Agency.active)
        .order_by(Agency.short_name)).all()
    return {
        "sheets": sheets,
        "categories": {stage: category_for(scorer, sheet) for stage, sheet in sheets.items()},
        "ready": ready,
        "plans": plans,
        "basis_stage": basis_stage,
        "agency_rows": _agency_progress(state, agencies),
    }


def _agency_progress(state, agencies) -> list[dict]:
    per_agency = {a.id: {"agency": a, "total": 0, "answered": 0, "evidenced": 0, "approved": 0} for a in agencies}
    for code, assigned in state.agencies_by_question.items():
        answer = state.answers.get(code)
        for agency in assigned:
            row = per_agency.get(agency.id)
            if row is None:
                continue
            row["total"] += 1
            if is_answered(answer):
                row["answered"] += 1
                if state.current_files(answer.id):
                    row["evidenced"] += 1
                if answer.status == AnswerStatus.APPROVED:
                    row["approved"] += 1
    return [row for row in per_agency.values() if row["total"]]
