"""Saving the yearly figures of a data question (app.services.figures), from the question card.

One unit of work: the figures, and on a percent scale the answer's value computed from them, are saved
and audited together, then committed once. htmx gets the card back (its answer, points and version
follow the figures); a plain form POST without JavaScript gets the whole page. A refusal is shown on
the card with the figures as they were stored.
"""

from __future__ import annotations

from fastapi.responses import Response

from app.context import WorkspaceDep
from app.deps import FormDep
from app.i18n import gettext as _
from app.refusals import Refusal
from app.routes.cards import card_context, counters, list_filter
from app.services import figures as figures_service
from app.services import questions
from app.services.answers import AnswerConflict
from app.templating import render


# POST /r/{regency_code}/{year}/isian/{code}/data, name "figures_save": added to the answers' router
# (app.routes.answers), whose prefix names the place.
def figures_save(ws: WorkspaceDep, code: str, raw_form: FormDep) -> Response:
    question = questions.open_question(ws.session, ws.place, ws.user, ws.catalogue, code)
    figures = question.ref.question.figures
    message = notice = None
    status = 200
    try:
        if figures is None:
            raise Refusal(_("This question is not answered with yearly figures."), code="no_figures")
        form = figures_service.parse_figures_form(raw_form, figures, ws.place.cycle.year)
        outcome = figures_service.save_figures(ws.session, ws.place, ws.user, ws.catalogue, ws.scorer, question, form)
        ws.session.commit()
        notice = _("Figures saved.") if outcome.written else _("No change: these figures were already saved.")
    except AnswerConflict as conflict:
        if conflict.rolled_back:
            ws.session.rollback()
        message, status = conflict.message, conflict.status
    except Refusal as refusal:
        ws.session.rollback()
        message, status = refusal.message, refusal.status
    context = card_context(ws, code, message=message, notice=notice)
    context.update(counters(ws, list_filter(ws)))
    page: Response = render(ws.request, "workspace/question.html", context, block="card", status_code=status)
    if status == 200:
        page.headers["HX-Trigger"] = "progress-changed"
    return page
