"""The OPD workspace: an agency's questions, answers with autosave, evidence, submission.

Every route sits under /r/{regency}/{year}: the guard resolves the assessment
and refuses anyone who does not work in that kab/kota; each question is then
checked against the agency's assignments (the DP3A may answer any question).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from markupsafe import Markup, escape
from sqlalchemy import bindparam, exists
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.cache import RevisionCache
from app.deps import (
    MAX_ID,
    CatalogueDep,
    CurrentUser,
    FormDep,
    RowId,
    ScorerDep,
    SessionDep,
    WorkPlace,
    agency_filter,
    agency_in,
)
from app.evidence import RefusedFile, refusal_message
from app.forms import parse_answer_form, parse_id
from app.i18n import LANGUAGES, current_language
from app.i18n import gettext as _
from app.models import Agency, Answer, Assignment, Evidence, Reopening, ReviewEvent, Role, User, utcnow
from app.models import StoredFile as StoredFileRow
from app.services import answers as answer_service
from app.services import evidence as evidence_service
from app.services import question_filter
from app.services import review as review_service
from app.services.evidence import EvidenceAccess, sensitive_codes
from app.templating import env as templating_env
from app.templating import render, render_fragment, templates

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["workspace"])

MAX_FILES_PER_UPLOAD = 10


# -- which questions belong to whom -------------------------------------------------


def agencies_of(session: Session, regency_code: str) -> list[Agency]:
    return list(session.exec(select(Agency).where(Agency.regency_code == regency_code).order_by(Agency.short_name)))


def assigned_codes(session: Session, assessment_id: int, agency_id: int | None) -> set[str]:
    query = select(Assignment.question_code).where(Assignment.assessment_id == assessment_id)
    if agency_id is not None:
        query = query.where(Assignment.agency_id == agency_id)
    return set(session.exec(query).all())


def chosen_agency(session: Session, place, user: User, opd: int | None) -> Agency | None:
    """The agency whose questions are shown: the focal point's own; for the DP3A, any (or all)."""
    if user.role == Role.OPD:
        return session.get(Agency, user.agency_id)
    return agency_in(session, place, opd) if opd else None


def question_codes_for(session: Session, place, user: User, catalogue, agency: Agency | None) -> list[str]:
    if agency is None:
        return list(catalogue.questions)  # the DP3A's "all questions" view
    codes = assigned_codes(session, place.assessment.id, agency.id)
    return [code for code in catalogue.questions if code in codes]


def check_question(session: Session, place, user: User, catalogue, code: str):
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    if user.role == Role.OPD and code not in assigned_codes(session, place.assessment.id, user.agency_id):
        raise HTTPException(403)
    return ref


def no_such_file() -> HTTPException:
    """A file that does not exist and one this user may not see answer alike: a guessed id learns nothing."""
    return HTTPException(404, _("There is no such evidence file here."))


def visible_evidence(session: Session, place, evidence_access: EvidenceAccess, evidence_id: int,
                     code: str | None = None) -> tuple[Evidence, Answer]:
    """The evidence row `evidence_id` of this assessment (attached to question `code` when given),
    if this user may see it (`EvidenceAccess.may_see`); otherwise `no_such_file`."""
    evidence = session.get(Evidence, evidence_id) if 0 < evidence_id <= MAX_ID else None
    answer = session.get(Answer, evidence.answer_id) if evidence else None
    if (evidence is None or answer is None or answer.assessment_id != place.assessment.id
            or (code is not None and answer.question_code != code)
            or not evidence_access.may_see(evidence, answer.question_code)):
        raise no_such_file()
    return evidence, answer


# Evidence a browser shows itself (PDF viewer, images), and the policy it is shown under, on the review
# page and in the workspace alike: no scripts, no forms, no plugins, whatever the file holds.
INLINE_KINDS = frozenset({"pdf", "png", "jpeg", "gif", "webp"})
EVIDENCE_SANDBOX = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"


def serve_evidence(session: Session, evidence_access: EvidenceAccess, store, evidence: Evidence, answer: Answer,
                   *, inline_kinds: frozenset = frozenset(), headers: dict | None = None) -> FileResponse:
    """The file of a visible evidence row (shown in the page when its kind is in `inline_kinds`, else
    downloaded); the opening of a sensitive one is logged, and committed, first."""
    stored = session.get(StoredFileRow, evidence.sha256)
    if stored is None or not store.exists(evidence.sha256):
        raise HTTPException(404)
    evidence_access.record_opening(evidence, answer.question_code)
    session.commit()
    return FileResponse(
        store.path_for(evidence.sha256), media_type=stored.media_type, filename=evidence.filename,
        content_disposition_type="inline" if stored.kind in inline_kinds else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store", **(headers or {})},
    )


def sensitive_refusal() -> str:
    return _("A file of a sensitive question cannot be attached to a question that is not sensitive: "
             "it can name child victims.")


def may_edit(place, user: User, answer: Answer | None, reopened: bool = False) -> bool:
    """Agencies answer while the DP3A keeps the window open and before it submits the assessment;
    afterwards only what a verifier reopened, until its deadline."""
    if reopened:
        return True
    if place.assessment.stage != "self":
        return False
    if answer is not None and answer.status not in answer_service.EDITABLE:
        return False
    return place.assessment.window_open or user.role == Role.DP3A


def is_reopened(session: Session, answer: Answer | None) -> Reopening | None:
    if answer is None:
        return None
    return session.exec(
        select(Reopening).where(Reopening.answer_id == answer.id, Reopening.open_at(utcnow()))
        .order_by(Reopening.until.desc())
    ).first()


@dataclass
class QuestionAt:
    """A question of this assessment as a change to it needs it."""

    ref: object  # the catalogue's QuestionRef
    answer: Answer | None
    reopened: bool  # a verifier reopened it and the deadline has not passed


# Every save starts with this read: built once (see open_question).
_QUESTION_AT = sa_select(
    Answer,
    exists().where(Reopening.answer_id == Answer.id, Reopening.open_at(bindparam("now"))),
    exists().where(Assignment.assessment_id == bindparam("assessment_id"),
                   Assignment.question_code == bindparam("code"), Assignment.agency_id == bindparam("agency_id")),
).where(Answer.assessment_id == bindparam("assessment_id"), Answer.question_code == bindparam("code"))


def open_question(session: Session, place, user: User, catalogue, code: str) -> QuestionAt:
    """`check_question`, the stored answer and whether it is reopened, in one query (an agency's
    first answer to a question needs a second): every save starts here."""
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    row = session.execute(_QUESTION_AT, {"now": utcnow(), "assessment_id": place.assessment.id, "code": code,
                                         "agency_id": user.agency_id}).first()
    answer, is_reopened_now, is_assigned = row if row is not None else (None, False, None)
    if user.role == Role.OPD:
        if is_assigned is None:
            is_assigned = code in assigned_codes(session, place.assessment.id, user.agency_id)
        if not is_assigned:
            raise HTTPException(403)
    return QuestionAt(ref, answer, bool(is_reopened_now))


_question_lists = RevisionCache(size=128)
# Rows are the same in every kab/kota but for the link to their card, which the list puts in once
# (CARD_BASE): a row is rendered once per worker for the whole nation, not once per kab/kota.
_question_rows = RevisionCache(size=20_000)  # ~1 KB each
CARD_BASE = "\x00card-base\x00"  # no catalogue text or translation holds a NUL
_question_skeletons = RevisionCache(size=256)  # per list of codes (an agency's, all) and language
ROW_MARK = "\x01"  # where a row goes in a skeleton


# -- pages ----------------------------------------------------------------------------


@router.get("/isian", name="workspace")
def workspace(
    request: Request,
    place: WorkPlace,
    session: SessionDep,
    user: CurrentUser,
    catalogue: CatalogueDep,
    scorer: ScorerDep,
    opd: str | None = None,
    tampil: str | None = None,
    cari: str = "",
):
    agency = chosen_agency(session, place, user, agency_filter(opd))
    codes = question_codes_for(session, place, user, catalogue, agency)
    answers = answer_service.answer_rows(session, place.assessment.id, None if agency is None else codes)
    evidence = answer_service.evidence_counts(session, [a.id for a in answers.values()])
    progress = answer_service.progress(codes, answers, evidence)
    sheet = scorer.score(answer_service.scored_answers({c: answers[c] for c in codes if c in answers}))
    notices = _notices(session, place, codes, answers)
    choice, search = question_filter.parse_filter(tampil), cari.strip()[:100]
    shown = question_filter.shown_codes(codes, answers, evidence, catalogue, choice, search)
    context = {
        "flash_kind": request.session.pop("flash_kind", "ok"),
        "flash_skipped": request.session.pop("flash_skipped", []),
        "filter": {"choice": choice, "search": search, "shown": len(shown), "total": len(codes),
                   "choices": list(question_filter.QuestionFilter), "active": choice is not None or bool(search)},
        # One URL built here instead of one url_for per question row (the page lists up to 274).
        "card_base": request.url_for("workspace", regency_code=place.regency.code, year=place.cycle.year).path,
        "notices": notices,
        "reasons": {r.code: r for r in catalogue.review_reasons},
        "place": place,
        "agency": agency,
        "agencies": agencies_of(session, place.regency.code) if user.role == Role.DP3A else [],
        "answers": answers,
        "evidence": evidence,
        "progress": progress,
        "sheet": sheet,
        "max_points": scorer.max_of(codes),
        "catalogue": catalogue,
    }
    # The list costs more than the rest of the page; it changes only with the assessment, and a save
    # changes one of its rows.
    engine = session.get_bind()
    key = (place.assessment.id, place.assessment.revision, tuple(shown), current_language.get(),
           request.scope.get("root_path"), id(catalogue))
    context["questions_html"] = _question_lists.get(engine, key, lambda: question_list(request, engine, shown, context))
    return render(request, "workspace/index.html", context)


def question_list(request: Request, engine, codes: list[str], page: dict) -> Markup:
    """The rows of `codes` under their part and indicator headings: the headings of a list of codes
    are rendered once (its skeleton) and the rows come from the row cache, so a list after a save
    is one join, not a template run over 274 questions."""
    catalogue = page["catalogue"]
    key = (id(catalogue), current_language.get(), tuple(codes))
    skeleton = _question_skeletons.get(engine, key, lambda: _skeleton(request, catalogue, codes))
    row = question_row(engine, page)
    pieces = [piece if i % 2 == 0 else row(catalogue.questions[piece].question) for i, piece in enumerate(skeleton)]
    return Markup("".join(pieces).replace(CARD_BASE, escape(page["card_base"])))


def _skeleton(request: Request, catalogue, codes: list[str]) -> list[str]:
    """The list's HTML split around its rows: [html, code, html, code, ..., html]."""
    grouped: OrderedDict = OrderedDict()
    for code in codes:
        ref = catalogue.questions[code]
        grouped.setdefault(ref.part.code, (ref.part, OrderedDict()))[1].setdefault(
            ref.indicator.code, (ref.indicator, [])
        )[1].append(ref.question)
    html = render_fragment(request, "workspace/_questions.html", {
        "grouped": grouped, "row": lambda q: Markup(f"{ROW_MARK}{q.code}{ROW_MARK}")})
    return str(html).split(ROW_MARK)


def question_row(engine, page: dict):
    """`row(question)` for the list template: its HTML from the row cache, rendered on a miss,
    with CARD_BASE where the link to its card goes."""
    answers, evidence, sheet = page["answers"], page["evidence"], page["sheet"]
    render_row, catalogue_id, language = _row_macro(), id(page["catalogue"]), current_language.get()

    def row(q) -> Markup:
        a = answers.get(q.code)
        files = evidence.get(a.id, 0) if a else 0
        points = sheet.questions.get(q.code, 0)
        # Everything the row shows, so that the key alone decides whether the cached HTML is right.
        shown = (a.status, a.option, a.value, a.not_applicable) if a else None
        key = (catalogue_id, language, q.code, shown, files, points)
        return _question_rows.get(engine, key, lambda: Markup(render_row(q, a, files, points, CARD_BASE)))

    return row


def _row_macro():
    return templating_env.get_template("workspace/_question_row.html").module.row


def warm_question_rows(engine, catalogue) -> int:
    """Render every question's row as it stands before anyone answers, in every language: the
    rows most of a list shows, so that no kab/kota's first list pays for them. Returns how many."""
    page = {"answers": {}, "evidence": {}, "sheet": SimpleNamespace(questions={}), "catalogue": catalogue}
    count = 0
    for language in LANGUAGES:
        token = current_language.set(language)
        try:
            row = question_row(engine, page)
            for ref in catalogue.questions.values():
                row(ref.question)
                count += 1
        finally:
            current_language.reset(token)
    return count


@dataclass
class Notice:
    """One question that needs the kab/kota: returned (by whom, why) and/or open until a deadline."""

    code: str
    returned: ReviewEvent | None  # the latest return, while the answer is returned
    reopening: Reopening | None  # its open window, if any


def _notices(session: Session, place, codes: list[str], answers: dict) -> list[Notice]:
    """What was returned to these questions and why (by the DP3A or by the province), and what a
    verifier reopened with its deadline: one entry per question, in the list's order."""
    wanted = set(codes)
    returned = {a.id: a for c, a in answers.items() if c in wanted and a.status == answer_service.AnswerStatus.RETURNED}
    last_return: dict[int, ReviewEvent] = {}
    if returned:
        for event in session.exec(select(ReviewEvent).where(ReviewEvent.answer_id.in_(list(returned)),
                                                            ReviewEvent.action == "returned").order_by(ReviewEvent.id)):
            last_return[event.answer_id] = event
    windows: dict[str, Reopening] = {}
    for reopening, code in session.exec(
        select(Reopening, Answer.question_code).join(Answer, Answer.id == Reopening.answer_id)
        .where(Answer.assessment_id == place.assessment.id, Reopening.open_at(utcnow())).order_by(Reopening.until)
    ):
        if code in wanted:
            windows[code] = reopening  # the latest deadline, should old data hold two
    by_code = {a.question_code: a for a in returned.values()}
    return [Notice(code, last_return.get(by_code[code].id) if code in by_code else None, windows.get(code))
            for code in codes if code in by_code or code in windows]


def card_context(session: Session, place, user: User, catalogue, scorer, code: str, *, max_upload_mb: int,
                 **extra) -> dict:
    ref = catalogue.questions[code]
    answer = answer_service.answer_at(session, place.assessment.id, code)
    points = 0
    if answer is not None and (value := answer_service.scored(answer)) is not None:
        points = scorer.question_points(code, value)
    mine = None if user.role == Role.DP3A else sorted(assigned_codes(session, place.assessment.id, user.agency_id))
    reopening = is_reopened(session, answer)
    returned_event = None
    if answer is not None and answer.status == answer_service.AnswerStatus.RETURNED:
        returned_event = session.exec(select(ReviewEvent).where(
            ReviewEvent.answer_id == answer.id, ReviewEvent.action == "returned").order_by(ReviewEvent.id.desc())).first()
    editable = may_edit(place, user, answer, reopening is not None)
    evidence_access = EvidenceAccess.of(session, catalogue, user, place)
    every_file = evidence_service.attached(session, answer.id) if answer else []
    attached_here = {f.sha256 for f in every_file if f.removed_at is None}
    # Files this user may not see are counted, never named (sensitive ones, for an agency).
    files, hidden_files = evidence_access.split(every_file, code)
    # Who answers here: this kab/kota's OPD by their local names, as its DP3A assigned them.
    answered_by = session.exec(
        select(Agency.short_name, Agency.name).join(Assignment, Assignment.agency_id == Agency.id)
        .where(Assignment.assessment_id == place.assessment.id, Assignment.question_code == code)
        .order_by(Agency.short_name)).all()
    context = {
        "place": place,
        "code": code,
        "ref": ref,
        "q": ref.question,
        "scale": catalogue.scales[ref.question.scale],
        "answer": answer,
        "points": points,
        "files": files,
        "hidden_files": hidden_files,
        "stored_count": hidden_files + sum(1 for f in files if f.removed_at is None),
        "answered_by": answered_by,
        # Sensitive files are never offered for reuse: they could name child victims.
        "reusable": [e for e in evidence_access.offerable(evidence_service.reusable(
                         session, place.assessment.id, mine, exclude=sensitive_codes(catalogue)))
                     if e.sha256 not in attached_here],
        "sensitive": ref.question.sensitive,
        "sees_sensitive": evidence_access.sees_sensitive,
        "editable": editable,
        "reopening": reopening,
        "returned_event": returned_event,
        # Returned after the hand-over, but its window has ended: nothing can be changed until reopened.
        "fix_closed": returned_event is not None and not editable and place.assessment.stage != "self",
        "may_submit": editable and (answer is None or answer.status in answer_service.EDITABLE),
        "reasons": {r.code: r for r in catalogue.review_reasons},
        "max_upload_mb": max_upload_mb,
        "catalogue": catalogue,
        "form_values": None,
        "message": None,
        "notice": None,
    }
    context.update(extra)
    return context


@router.get("/isian/{code}", name="question_card")
def question_card(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str,
):
    check_question(session, place, user, catalogue, code)
    context = card_context(session, place, user, catalogue, scorer, code,
                           max_upload_mb=request.app.state.settings.max_upload_mb)
    return render(request, "workspace/question.html", context, block="card")


# -- saving -----------------------------------------------------------------------------


@router.post("/isian/{code}", name="answer_save")
def answer_save(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str, raw_form: FormDep,
):
    question = open_question(session, place, user, catalogue, code)
    ref, current, reopened = question.ref, question.answer, question.reopened
    if not may_edit(place, user, current, reopened):
        if current is not None and current.status not in answer_service.EDITABLE:
            return _state(request, code, "error",
                          _("This answer has been submitted and is read-only until it is returned."), 409)
        return _state(request, code, "error", _("The answering window is closed. Ask your DP3A to reopen it."), 409)
    form = parse_answer_form(raw_form, catalogue.scales[ref.question.scale])
    if form.error:
        return _state(request, code, "error", form.error, 422)
    outcome = answer_service.save_answer(session, place.assessment, code, form.given, form.version, user, scorer,
                                         reopened=reopened, current=current)
    if outcome.problem is not None:
        return _state(request, code, "error", outcome.problem.message(current_language.get()), 422)
    if outcome.locked:
        return _state(request, code, "error", _("This answer has been submitted and is read-only until it is returned."), 409)
    if outcome.conflict is not None:
        other = session.get(User, outcome.conflict.updated_by) if outcome.conflict.updated_by else None
        return templates.TemplateResponse(
            request, "workspace/_conflict.html",
            {"code": code, "current": outcome.conflict, "other": other, "mine": form.given,
             "scale": catalogue.scales[ref.question.scale]},
            status_code=409,
        )
    return _saved(request, session, place, user, catalogue, scorer, code, outcome.answer, outcome.written)


def _state(request: Request, code: str, kind: str, message: str, status: int):
    return templates.TemplateResponse(
        request, "workspace/_state.html", {"code": code, "kind": kind, "message": message}, status_code=status
    )


def _saved(request, session, place, user, catalogue, scorer, code: str, answer: Answer, written: bool = True):
    points = scorer.question_points(code, value) if (value := answer_service.scored(answer)) else 0
    context = {
        "code": code,
        "kind": "saved",
        "answer": answer,
        "points": points,
        "q": catalogue.questions[code].question,
        "saved_at": answer.updated_at.astimezone(UTC),
    }
    response = templates.TemplateResponse(request, "workspace/_saved.html", context)
    # Progress and totals refresh in a separate, debounced request (see _progress.html): a burst of
    # autosaves then costs one recount instead of one per keystroke pause; none when nothing changed.
    if written:
        response.headers["HX-Trigger"] = "progress-changed"
    return response


@router.get("/kemajuan", name="workspace_progress")
def workspace_progress(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, opd: str | None = None,
):
    """The progress card alone, for the agency shown (the focal point's own; any for the DP3A)."""
    context = {"place": place, "user": user,  # the user: the card asks again with the DP3A's filter
               **_counters(session, place, user, catalogue, scorer, agency_filter(opd)), "oob": False}
    return templates.TemplateResponse(request, "workspace/_progress.html", context)


def _list_filter(request: Request, session: Session, place) -> int | None:
    """The `?opd=` filter of the list a save or upload came from (htmx sends its URL), so the
    out-of-band progress card keeps counting the agency the DP3A chose. The header is the
    client's word: an agency of another region counts as no filter, never as an error after the
    change was saved."""
    try:
        query = parse_qs(urlsplit(request.headers.get("HX-Current-URL", "")).query)
    except ValueError:  # e.g. "http://[oops": a broken header is no filter
        return None
    agency_id = agency_filter((query.get("opd") or [None])[0])
    agency = session.get(Agency, agency_id) if agency_id else None
    return agency.id if agency is not None and agency.regency_code == place.regency.code else None


def _counters(session, place, user, catalogue, scorer, opd: int | None = None) -> dict:
    """Progress and score of the agency shown (the focal point's own; for the DP3A the one it
    chose, or the whole region), for out-of-band updates."""
    agency = chosen_agency(session, place, user, opd)
    codes = question_codes_for(session, place, user, catalogue, agency)
    answers = answer_service.answer_rows(session, place.assessment.id, None if agency is None else codes)
    evidence = answer_service.evidence_counts(session, [a.id for a in answers.values()])
    sheet = scorer.score(answer_service.scored_answers({c: answers[c] for c in codes if c in answers}))
    return {
        "agency": agency,
        "progress": answer_service.progress(codes, answers, evidence),
        "sheet": sheet,
        "max_points": scorer.max_of(codes),
        "oob": True,
    }


@router.post("/isian/{code}/kirim", name="answer_submit")
def answer_submit(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str,
):
    question = open_question(session, place, user, catalogue, code)
    ref, answer = question.ref, question.answer
    message = None
    if not answer_service.is_answered(answer):
        message = _("Answer the question before submitting it.")
    elif answer.status not in answer_service.EDITABLE:
        message = _("This answer has already been submitted.")
    elif answer_service.lacks_reason(answer):
        message = _("Explain in the note why this question does not apply to your region before submitting it.")
    elif answer_service.lacks_required_evidence(answer, ref.question.evidence.required,
                                                answer_service.evidence_counts(session, [answer.id]).get(answer.id, 0)):
        message = _("This question requires evidence: upload at least one file before submitting.")
    elif not may_edit(place, user, answer, question.reopened):
        message = _("The answering window is closed. Ask your DP3A to reopen it.")
    elif not answer_service.submit(session, place.assessment, [answer], user):
        message = _("This answer has already been submitted.")  # by a request a moment earlier (a double click)
    else:
        # After the hand-over: the fix of a returned answer is done, its window ends.
        review_service.handed_back(session, place.assessment, answer, user)
        session.commit()
    context = card_context(session, place, user, catalogue, scorer, code, message=message,
                           max_upload_mb=request.app.state.settings.max_upload_mb)
    context.update(_counters(session, place, user, catalogue, scorer, _list_filter(request, session, place)))
    return render(request, "workspace/question.html", context, block="card", status_code=422 if message else 200)


@router.post("/kirim-semua", name="answers_submit_all")
def answers_submit_all(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep,
):
    agency = session.get(Agency, user.agency_id) if user.role == Role.OPD else None
    codes = question_codes_for(session, place, user, catalogue, agency)
    answers = answer_service.answers_of(session, place.assessment.id, codes)
    evidence = answer_service.evidence_counts(session, [a.id for a in answers.values()])
    # The same rules as one answer's submission and the DP3A's check of the whole region: a
    # "not applicable" needs its reason in the note, any other answer the evidence it requires.
    ready, missing_evidence, missing_reason, unfixed = [], [], [], []
    for code, answer in answers.items():
        if answer.status not in answer_service.EDITABLE or not answer_service.is_answered(answer):
            continue
        if review_service.unchanged_since_returned(session, answer):
            unfixed.append(code)
            continue
        if answer_service.lacks_reason(answer):
            missing_reason.append(code)
            continue
        if answer_service.lacks_required_evidence(answer, catalogue.questions[code].question.evidence.required,
                                                  evidence.get(answer.id, 0)):
            missing_evidence.append(code)
            continue
        ready.append(answer)
    closed = None
    if place.assessment.stage != "self":
        closed = _("The self-assessment has been submitted to the province: answers can no longer be submitted here.")
    elif not place.assessment.window_open and user.role != Role.DP3A:
        closed = _("The answering window is closed. Ask your DP3A to reopen it.")
    if closed:
        ready = []
    sent = answer_service.submit(session, place.assessment, ready, user)
    parts = [closed] if closed else [_("%(n)s answers submitted for review.") % {"n": sent}]
    if missing_evidence:
        parts.append(_("%(n)s answers were not submitted because their required evidence is missing.")
                     % {"n": len(missing_evidence)})
    if missing_reason:
        parts.append(_("%(n)s answers were not submitted because they are marked not applicable without a reason "
                       "in the note.") % {"n": len(missing_reason)})
    if unfixed:
        parts.append(_("%(n)s returned answers were not submitted because nothing has changed since they were "
                       "returned: fix them first, or submit one on its own card.") % {"n": len(unfixed)})
    skipped = [] if closed else sorted(missing_evidence + missing_reason + unfixed, key=codes.index)
    kind = "warning" if skipped or closed else "ok"
    response = HTMLResponse(f'<p class="{kind}" role="status">{escape(" ".join(parts))}</p>')
    response.headers["HX-Refresh"] = "true"
    request.session["flash"] = " ".join(parts)
    # The page after the refresh names and links each skipped question (and is not shown as a success).
    request.session["flash_skipped"] = skipped[:200]
    request.session["flash_kind"] = kind
    return response


# -- evidence ---------------------------------------------------------------------------


def _answer_for_evidence(session, place, user, code: str, known: Answer | None) -> Answer:
    """Evidence hangs on an answer; attaching to an unanswered question starts an empty one.

    `known`: the answer `open_question` found (answers are never deleted); when there was none,
    look again, as someone may have started it since."""
    answer = known or answer_service.answer_at(session, place.assessment.id, code)
    if answer is not None:
        # The answer's row before the kab/kota's (which the audit entry bumps), in the order a
        # verifier's decision takes them: the opposite order could deadlock on PostgreSQL.
        answer_service.lock_answers(session, [answer])
    else:
        answer = Answer(assessment_id=place.assessment.id, question_code=code, updated_by=user.id)
        session.add(answer)
        session.flush()
    return answer


@router.post("/isian/{code}/bukti", name="evidence_upload")
async def evidence_upload(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str,
):
    # Async only to stream the files into the store; every database query and the rendering run in
    # the thread pool, as in the plain handlers: on the event loop they would stall the whole worker.
    question = await run_in_threadpool(open_question, session, place, user, catalogue, code)
    form = await request.form()
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    refusal = _upload_refusal(place, user, question, len(uploads))
    if refusal is not None:
        message, status = refusal
        return await run_in_threadpool(_evidence_response, request, session, place, user, catalogue, scorer, code,
                                       [message], status=status)
    store = request.app.state.evidence
    messages, accepted = [], []
    for upload in uploads:
        name = upload.filename or "berkas"
        try:
            accepted.append((await evidence_service.store_upload(store, upload), name))
        except RefusedFile as refused:
            limit = request.app.state.settings.max_upload_mb
            text = refusal_message(refused.code, current_language.get(), limit_mb=limit, size_mb=f">{limit}")
            messages.append(f"{name}: {text}")
    return await run_in_threadpool(_attach_uploads, request, session, place, user, catalogue, scorer, code,
                                   question.answer, accepted, messages)


def _new_here(session, answer: Answer, accepted: list, messages: list[str]) -> list:
    """The uploaded files not yet attached to this answer (the same bytes twice in one upload, or
    a file it already holds, are attached once; the person is told)."""
    fresh, seen = [], set()
    for stored, name in accepted:
        if stored.sha256 in seen or evidence_service.already_attached(session, answer.id, stored.sha256):
            messages.append(_("%(name)s is already attached to this question.") % {"name": name})
        else:
            seen.add(stored.sha256)
            fresh.append((stored, name))
    return fresh


def _upload_refusal(place, user, question: QuestionAt, count: int) -> tuple[str, int] | None:
    """Why nothing of this upload can be taken (message, status), or None."""
    if not may_edit(place, user, question.answer, question.reopened):
        return _("This answer is read-only: files cannot be added now."), 409
    if not count:
        return _("Choose at least one file."), 422
    if count > MAX_FILES_PER_UPLOAD:
        return _("At most %(n)s files at once.") % {"n": MAX_FILES_PER_UPLOAD}, 422
    return None


def _attach_uploads(request, session, place, user, catalogue, scorer, code: str, known, accepted, messages):
    # Bytes already stored as a sensitive file of this kab/kota stay off ordinary questions.
    evidence_access = EvidenceAccess.of(session, catalogue, user, place)
    refused = [(stored, name) for stored, name in accepted if not evidence_access.may_attach(stored.sha256, code)]
    messages.extend(f"{name}: {sensitive_refusal()}" for _stored, name in refused)
    accepted = [item for item in accepted if item not in refused]
    if accepted:  # an unanswered question gets its (empty) answer only once a file is really attached
        answer = _answer_for_evidence(session, place, user, code, known)
        # A returned answer stays returned (and editable): the focal point fixes the answer, its note
        # and its files, then submits it (answer_submit).
        fresh = _new_here(session, answer, accepted, messages)
        for stored, name in fresh:
            evidence_service.attach(session, place.assessment, answer, stored, name, user)
        session.commit()
        if fresh:
            messages.insert(0, _("%(n)s file(s) uploaded.") % {"n": len(fresh)})
    return _evidence_response(request, session, place, user, catalogue, scorer, code, messages,
                              status=200 if accepted else 422, ok=bool(accepted))


@router.post("/isian/{code}/bukti-pakai", name="evidence_reuse")
def evidence_reuse(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str, form: FormDep,
):
    target = open_question(session, place, user, catalogue, code)
    chosen = str(form.get("evidence_id", "")).strip()
    if not chosen:
        return _evidence_response(request, session, place, user, catalogue, scorer, code,
                                  [_("Choose a file to attach first.")], status=422)
    source_id = parse_id(chosen)
    if source_id is None:
        raise no_such_file()
    evidence_access = EvidenceAccess.of(session, catalogue, user, place)
    # The source must be a file this user may see (for an agency: on one of its questions, not
    # sensitive); any other id, existing or not, gets the same answer.
    source, _source_answer = visible_evidence(session, place, evidence_access, source_id)
    if not evidence_access.may_attach(source.sha256, code):
        return _evidence_response(request, session, place, user, catalogue, scorer, code,
                                  [sensitive_refusal()], status=422)
    if not may_edit(place, user, target.answer, target.reopened):
        return _evidence_response(request, session, place, user, catalogue, scorer, code,
                                  [_("This answer is read-only: files cannot be added now.")], status=409)
    answer = _answer_for_evidence(session, place, user, code, target.answer)
    if evidence_service.already_attached(session, answer.id, source.sha256):  # a double click
        return _evidence_response(request, session, place, user, catalogue, scorer, code,
                                  [_("%(name)s is already attached to this question.") % {"name": source.filename}],
                                  ok=True)
    evidence_service.reuse(session, place.assessment, answer, source, user)  # a returned answer stays returned
    session.commit()
    return _evidence_response(request, session, place, user, catalogue, scorer, code,
                              [_("The file %(name)s is attached here too.") % {"name": source.filename}], ok=True)


@router.post("/isian/{code}/bukti/{evidence_id}/hapus", name="evidence_remove")
def evidence_remove(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str, evidence_id: RowId,
):
    check_question(session, place, user, catalogue, code)
    # Only a file this user may see: a guessed id of a sensitive one is "no such file", without its name.
    evidence, answer = visible_evidence(session, place, EvidenceAccess.of(session, catalogue, user, place),
                                        evidence_id, code)
    answer_service.lock_answers(session, [answer])  # before the audit entry's lock, as decisions do
    if not may_edit(place, user, answer, is_reopened(session, answer) is not None):
        return _evidence_response(request, session, place, user, catalogue, scorer, code,
                                  [_("This answer is read-only: files cannot be removed now.")], status=409)
    if evidence.removed_at is None:
        evidence_service.remove(session, place.assessment, evidence, user)
        session.commit()
    return _evidence_response(request, session, place, user, catalogue, scorer, code,
                              [_("The file %(name)s was removed; it stays in the history.") % {"name": evidence.filename}],
                              ok=True)


def _evidence_response(request, session, place, user, catalogue, scorer, code, messages, status=200, ok=False):
    context = card_context(session, place, user, catalogue, scorer, code,
                           max_upload_mb=request.app.state.settings.max_upload_mb, oob=True)
    context.update({"upload_messages": messages, "upload_ok": ok})
    response = templates.TemplateResponse(request, "workspace/_evidence_result.html", context, status_code=status)
    if ok:  # the progress card recounts in its own debounced request, as after a save
        response.headers["HX-Trigger"] = "progress-changed"
    return response


@router.get("/bukti/{evidence_id}", name="evidence_download")
def evidence_download(
    request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, evidence_id: RowId, unduh: int = 0,
):
    """A PDF or an image opens in the browser (a phone shows it at once), with the reviewers' sandbox:
    no scripts, no forms, no plugins, whatever the file holds; `?unduh=1` (and every other kind)
    downloads it."""
    evidence_access = EvidenceAccess.of(session, catalogue, user, place)
    evidence, answer = visible_evidence(session, place, evidence_access, evidence_id)
    return serve_evidence(session, evidence_access, request.app.state.evidence, evidence, answer,
                          inline_kinds=frozenset() if unduh else INLINE_KINDS,
                          headers={"Content-Security-Policy": EVIDENCE_SANDBOX})
