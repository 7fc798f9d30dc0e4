"""Saving an answer (autosave), submitting one, and submitting all of an agency's ready answers.

Each route is one unit of work: the services change and audit, the route commits once after its last
service call; a refusal (app.refusals) leaves nothing written and is shown where the user acted.
Included in the workspace's router (app.routes.workspace).
"""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import FormDep
from app.forms import parse_answer_form
from app.i18n import gettext as _
from app.models import Agency, Answer, AnswerStatus, Role, User
from app.refusals import Refusal
from app.routes.cards import card_context, counters, list_filter
from app.services import answers as answer_service
from app.services import areas, questions
from app.services.answers import AnswerConflict
from app.services.document_flags import flagged_among
from app.services.taskforce import coordination
from app.templating import render, templates

router = APIRouter(prefix=PREFIX, tags=["workspace"])


@router.post("/isian/{code}", name="answer_save")
def answer_save(ws: WorkspaceDep, code: str, raw_form: FormDep) -> Response:
    question = questions.open_question(ws.session, ws.place, ws.user, ws.catalogue, code)
    scale = ws.catalogue.scales[question.ref.question.scale]
    try:
        questions.check_answer_editable(ws.place, ws.user, question)
        form = parse_answer_form(raw_form, scale)
        areas.check_typed(ws.session, ws.place, code, form.given, question.answer, ws.catalogue)  # Kelana/Dekela
        try:
            saved = answer_service.save_answer(ws.session, ws.place.assessment, code, form.given, form.version,
                                               ws.user, ws.scorer, reopened=question.reopened, current=question.answer)
        except AnswerConflict as conflict:
            if conflict.current is None:
                raise
            current = conflict.current
            other = ws.session.get(User, current.updated_by) if current.updated_by else None
            return templates.TemplateResponse(
                ws.request, "workspace/_conflict.html",
                {"code": code, "current": current, "other": other, "mine": form.given, "scale": scale},
                status_code=conflict.status,
            )
    except Refusal as refusal:
        return _state(ws, code, refusal.message, refusal.status)
    ws.session.commit()
    return _saved(ws, code, saved.answer, saved.written)


def _state(ws: Workspace, code: str, message: str, status: int) -> Response:
    """Why a save was refused, where the answer form says "Saved"."""
    return templates.TemplateResponse(
        ws.request, "workspace/_state.html", {"code": code, "kind": "error", "message": message}, status_code=status
    )


def _saved(ws: Workspace, code: str, answer: Answer, written: bool = True) -> Response:
    points = ws.scorer.question_points(code, value) if (value := answer_service.scored(answer)) else 0
    context = {
        "code": code,
        "kind": "saved",
        "answer": answer,
        "points": points,
        "q": ws.catalogue.questions[code].question,
        "saved_at": answer.updated_at.astimezone(UTC),
        # Saved, but not ready to be submitted: a "not applicable" without its reason.
        "lacks_reason": answer_service.lacks_reason(answer),
        # A returned answer being fixed: who returned it stays on its badge (issue 24); only then a read.
        "coordinator_mark": (coordination.coordinator_marks(ws.session, ws.place.assessment).get(code)
                             if answer.status == AnswerStatus.RETURNED else None),
    }
    response = templates.TemplateResponse(ws.request, "workspace/_saved.html", context)
    # Progress and totals refresh in a separate, debounced request (see _progress.html): a burst of
    # autosaves then costs one recount instead of one per keystroke pause; none when nothing changed.
    if written:
        response.headers["HX-Trigger"] = "progress-changed"
    return response


@router.post("/isian/{code}/kirim", name="answer_submit")
def answer_submit(ws: WorkspaceDep, code: str) -> Response:
    question = questions.open_question(ws.session, ws.place, ws.user, ws.catalogue, code)
    message = None
    try:
        questions.submit_one(ws.session, ws.place, ws.user, question)
        ws.session.commit()
    except Refusal as refusal:
        message = refusal.message
    context = card_context(ws, code, message=message)
    context.update(counters(ws, list_filter(ws)))
    page: Response = render(ws.request, "workspace/question.html", context, block="card", status_code=422 if message else 200)
    return page


@router.post("/kirim-semua", name="answers_submit_all")
def answers_submit_all(ws: WorkspaceDep) -> Response:
    session, request = ws.session, ws.request
    agency = session.get(Agency, ws.user.agency_id) if ws.user.role == Role.OPD else None
    codes = questions.question_codes_for(session, ws.place, ws.catalogue, agency)
    done = questions.submit_all(session, ws.place, ws.user, ws.catalogue, codes)
    session.commit()
    parts = [done.closed] if done.closed else [_("%(n)s answers submitted for review.") % {"n": done.sent}]
    if done.missing_evidence:
        parts.append(_("%(n)s answers were not submitted because their required evidence is missing.")
                     % {"n": len(done.missing_evidence)})
    if done.missing_reason:
        parts.append(_("%(n)s answers were not submitted because they are marked not applicable without a reason "
                       "in the note.") % {"n": len(done.missing_reason)})
    if done.unfixed:
        parts.append(_("%(n)s returned answers were not submitted because nothing has changed since they were "
                       "returned: fix them first, or submit one on its own card.") % {"n": len(done.unfixed)})
    if done.sent and (flagged := flagged_among(session, ws.place.assessment, ws.catalogue, ws.place.cycle.year, codes)):
        parts.append(_("%(n)s answers hold files flagged on their cards (not from the period asked for, or without a "
                       "title or year): the province returns such files.") % {"n": flagged})
    skipped = done.skipped(codes)
    kind = "warning" if skipped or done.closed else "ok"
    response = HTMLResponse(f'<p class="{kind}" role="status">{escape(" ".join(parts))}</p>')
    response.headers["HX-Refresh"] = "true"
    request.session["flash"] = " ".join(parts)
    # The page after the refresh names and links each skipped question (and is not shown as a success).
    request.session["flash_skipped"] = skipped[:200]
    request.session["flash_kind"] = kind
    return response

# The yearly figures of a data question (app.routes.figures), saved from the same card.
from app.routes.figures import figures_save  # noqa: E402

router.add_api_route("/isian/{code}/data", figures_save, methods=["POST"], name="figures_save")
