"""The reviewer's desk: the queue, one answer with its evidence and history, decisions and
reopening for a short window (the hand-overs between stages: `app.routes.handover`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import URL

from app.cache import FragmentCache
from app.clock import local_time
from app.deps import (
    CatalogueDep,
    CurrentUser,
    FormDep,
    Place,
    ReviewPlace,
    ScorerDep,
    SessionDep,
    agency_filter,
    on_team,
)
from app.forms import MAX_NOTE, parse_id, parse_note
from app.i18n import gettext as _
from app.models import Agency, Answer, ReviewAction, User, saved_id, utcnow
from app.models import StoredFile as StoredFileRow
from app.refusals import Refusal
from app.routes.evidence import INLINE_KINDS
from app.services import document_flags, documents
from app.services import figures as figures_service
from app.services import review as review_service
from app.services.answers import answers_of, lock_answers, scored
from app.services.evidence import EvidenceAccess
from app.services.review import QueueItem, ReviewState
from app.services.season import frozen
from app.services.taskforce import coordination
from app.templating import render, render_fragment
from indicators import Catalogue
from scoring import ReviewStatus, Scorer, Stage
from scoring.answers import to_decimal

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["review"])

_tables = FragmentCache(size=32)

STATUSES = (*ReviewStatus, "all")  # the queue's status filter
VISIT_GAP = timedelta(minutes=5)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, carried from the queue to an answer and back after a decision."""

    part: str = ""
    indicator: str = ""
    opd: int | None = None
    status: str = "waiting"
    period: bool = False  # only answers with a file flagged "bukan tahun berjalan" (`?periode=1`)
    # The DP3A's waiting answers still at a cluster coordinator (`?klaster=1`), not those they passed.
    cluster: bool = False

    @classmethod
    def of(cls, part: str | None, indicator: str | None, opd: str | None, status: str | None,
           period: str | None = None, cluster: str | None = None) -> QueueFilters:
        return cls(part=(part or "")[:20], indicator=(indicator or "")[:20], opd=agency_filter(opd),
                   status=status if status is not None and status in STATUSES else "waiting", period=period == "1",
                   cluster=cluster == "1")

    @property
    def query(self) -> str:
        """The query string that gives these filters back ("" for the defaults)."""
        pairs = {"status": self.status if self.status != "waiting" else "", "part": self.part,
                 "indicator": self.indicator, "opd": str(self.opd) if self.opd else "",
                 "periode": "1" if self.period else "", "klaster": "1" if self.cluster else ""}
        return urlencode({k: v for k, v in pairs.items() if v})

    def items(self, state: ReviewState, catalogue: Catalogue, stage: Stage,
              flags: document_flags.AssessmentFlags | None = None, held: set[str] | None = None) -> list[QueueItem]:
        """`held`: the answers waiting at a cluster coordinator (`coordination.held_at_coordinators`), left
        out of the DP3A's waiting list, or the only ones in it with `?klaster=1`. None: no coordinators' review."""
        items = review_service.queue(state, catalogue, stage, part=self.part or None,
                                     indicator=self.indicator or None, agency_id=self.opd, status=self.status,
                                     flags=flags, out_of_period=self.period)
        if held is None or stage != Stage.DP3A or self.status != "waiting":
            return items
        return [item for item in items if (item.code in held) == self.cluster]


def _flags(session: Session, place: Place, catalogue: Catalogue) -> document_flags.AssessmentFlags:
    """The period check of the assessment's files (the queue's badges and its "bukan tahun berjalan" filter)."""
    return document_flags.assessment_flags(session, place.assessment, catalogue, place.cycle.year)


def _held(session: Session, place: Place, catalogue: Catalogue, state: ReviewState, stage: Stage) -> set[str] | None:
    """What waits at the cluster coordinators, for the DP3A's queue (None: no coordinators' review)."""
    if stage != Stage.DP3A:
        return None
    return coordination.held_at_coordinators(session, state, catalogue, place.assessment)


def _with_query(url: URL | str, query: str) -> str:
    return f"{url}?{query}" if query else str(url)


def _next_code(items: list[QueueItem], catalogue: Catalogue, code: str) -> str | None:
    """The answer after `code` in the filtered queue (catalogue order), wrapping round; None when none is left."""
    order = {c: i for i, c in enumerate(catalogue.questions)}
    here = order.get(code, -1)
    others = [item.code for item in items if item.code != code]
    after = [c for c in others if order[c] > here]
    return next(iter(after or others), None)


def action_names() -> dict[str, str]:
    """What a review event records, as the review pages name it."""
    return {ReviewAction.SUBMITTED: _("submitted"), ReviewAction.APPROVED: _("approved"),
            ReviewAction.RETURNED: _("returned")}


def event_stages() -> dict[str, str]:
    """The stage of an event in an answer's history: shorter than `stage_label`, the line is long already."""
    return {Stage.SELF: _("self-assessment"), Stage.DP3A: "DP3A", Stage.PROVINCE: _("province"),
            Stage.CLUSTER: _("cluster coordinator"), Stage.MINISTRY: _("ministry"), Stage.FIELD: _("field verification"), Stage.FINAL: _("final verification")}


def _stage(user: User, place: Place) -> Stage:
    """The stage whose decisions the desk shows: where the user decides now, else read-only."""
    stage = review_service.desk_stage(user, Stage(place.assessment.stage))
    if stage is None:
        raise HTTPException(403)
    return stage


@router.get("/verifikasi", name="review_queue")
def review_queue(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
    part: str | None = None, indicator: str | None = None, opd: str | None = None, status: str = "waiting",
    periode: str | None = None, klaster: str | None = None,
) -> Response:
    return queue_page(request, session, place, user, catalogue, QueueFilters.of(part, indicator, opd, status, periode, klaster))


def queue_page(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue,
               filters: QueueFilters, *, moves_form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """The queue, with the stage panel (`moves_form`: a refused move's message and what was typed)."""
    stage = _stage(user, place)
    state = review_service.load_state(session, place.assessment, user)
    held = _held(session, place, catalogue, state, stage)
    items = filters.items(state, catalogue, stage, _flags(session, place, catalogue), held)
    # How many submitted answers wait at the coordinators (shown with a filter to list them).
    at_coordinators = (None if held is None else
                       sum(1 for item in review_service.queue(state, catalogue, stage) if item.code in held))
    agencies = session.exec(select(Agency).where(Agency.regency_code == place.regency.code)
                            .order_by(col(Agency.short_name))).all()
    new_count = review_service.new_submissions_since(session, place.assessment, user.notices_seen_at)
    previous_visit = user.notices_seen_at
    now = utcnow()
    # A visit counts once per few minutes: paging through filters must not take the write lock each time.
    if previous_visit is None or now - previous_visit > VISIT_GAP:
        user.notices_seen_at = now
        session.add(user)
        session.commit()
    decidable = review_service.stage_open(place.assessment, stage) and not frozen(place.cycle)
    context = {
        "place": place, "items": items, "stage": stage, "catalogue": catalogue, "agencies": agencies,
        "action_names": action_names(),
        "filters": {"part": filters.part, "indicator": filters.indicator, "opd": filters.opd,
                    "status": filters.status, "period": filters.period, "cluster": filters.cluster},
        "at_coordinators": at_coordinators,
        "query": filters.query,
        "decidable": decidable, "new_count": new_count, "previous_visit": previous_visit,
        "moves": review_service.season_moves(session, place.assessment, place.regency, user, state, catalogue),
        "moves_form": moves_form or {}, "frozen": frozen(place.cycle),
    }
    # Rendering a few hundred rows costs more than everything else on the page: the rows
    # are cached by what they show (the revision, and per row the read and reopened marks).
    # The rest of what a row shows (its answer, decision, files, agencies, a later return) is the revision's.
    parts = (stage, decidable, filters.query, tuple((item.code, item.unread, item.reopened_until) for item in items))
    context["table_html"] = _tables.get(request, parts,
                                        lambda: render_fragment(request, "review/_queue_table.html", context),
                                        catalogue=catalogue, assessment=place.assessment)
    return render(request, "review/queue.html", context, block="queue", status_code=status_code)


@router.get("/verifikasi/{code}", name="review_detail")
def review_detail(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str,
    part: str | None = None, indicator: str | None = None, opd: str | None = None, status: str | None = None,
    lanjut: str | None = None, periode: str | None = None, dari: str | None = None, klaster: str | None = None,
) -> Response:
    stage = _stage(user, place)
    return _detail(request, session, place, user, catalogue, scorer, code, stage,
                   filters=QueueFilters.of(part, indicator, opd, status, periode, klaster), then_next=lanjut == "1",
                   from_flag=dari)


def _detail(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue, scorer: Scorer,
            code: str, stage: Stage, *, message: str | None = None, status_code: int = 200,
            form: dict[str, Any] | None = None, reopen_form: dict[str, Any] | None = None,
            filters: QueueFilters | None = None, then_next: bool = False, from_flag: str | None = None) -> Response:
    filters = filters or QueueFilters()
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    state = review_service.load_state(session, place.assessment, user)
    answer = state.answers.get(code)
    if answer is None:
        raise HTTPException(404)
    review_service.mark_seen(session, user, answer)
    session.commit()
    users = {u.id: u for u in session.exec(select(User).where(User.regency_code == place.regency.code))}
    reviewer_ids = {e.user_id for e in state.events.get(answer.id, [])} - set(users)
    if reviewer_ids:
        users.update({u.id: u for u in session.exec(select(User).where(col(User.id).in_(reviewer_ids)))})
    value = scored(answer)
    later_stage = stage != Stage.DP3A  # the province and the ministry score what they approve, and reopen answers
    next_code = _next_code(filters.items(state, catalogue, stage, _flags(session, place, catalogue),
                          _held(session, place, catalogue, state, stage)), catalogue, code)
    evidence_access = EvidenceAccess.of(session, catalogue, user, place, on_team(session, place.assessment, user))
    files, hidden_files = evidence_access.split(state.evidence.get(answer.id, []), code)
    context = {
        "place": place, "ref": ref, "q": ref.question, "scale": catalogue.scales[ref.question.scale],
        "answer": answer, "points": scorer.question_points(code, value) if value else 0,
        "events": state.events.get(answer.id, []), "files": files, "hidden_files": hidden_files,
        # Opening these files is logged: the question's, or a copy of a sensitive question's file.
        "sensitive": any(evidence_access.is_sensitive(f, code) for f in files) or ref.question.sensitive,
        "agencies": state.agencies_by_question.get(code, []), "users": users,
        "decision": state.last_decision(answer.id, stage), "stage": stage, "later_stage": later_stage,
        # The cluster coordinator's decision standing before the DP3A's, said as theirs (issue 24).
        "cluster_decision": state.standing(Stage.CLUSTER).get(code) if stage == Stage.DP3A else None,
        "action_names": action_names(), "event_stages": event_stages(), "max_note": MAX_NOTE,
        # What the score field accepts, as the decision checks it (never the question's bare maximum).
        "score_ceiling": review_service.score_ceiling(session, scorer, answer, stage) if later_stage else None,
        "decidable": review_service.stage_open(place.assessment, stage) and not frozen(place.cycle)
        and review_service.submitted_for(answer, stage),
        "not_submitted": not review_service.submitted_for(answer, stage),
        "frozen": frozen(place.cycle),
        "reopening": state.reopenings.get(answer.id), "reasons": catalogue.review_reasons,
        "message": message or request.session.pop("flash", None), "form": form or {}, "inline_kinds": INLINE_KINDS,
        # A refused reopening: its message and what was typed, shown in the reopen form.
        "reopen_form": reopen_form or {},
        "query": filters.query, "next_code": next_code,
        "then_next": form.get("then") == "next" if form is not None else then_next,
        "stored": {s.sha256: s for s in session.exec(select(StoredFileRow).where(
            col(StoredFileRow.sha256).in_([f.sha256 for f in files])))},
        # What each file is (kind, title, number, year), as the ministry's application titles it.
        "documents": documents.summaries(session, [getattr(f, "document_id", None) for f in files]),
    }
    # The period check of the files shown, and a return prepared from one file's flag (`?dari=<evidence id>`).
    context.update(_flag_context(session, place, catalogue, files, from_flag))
    context.update(figures_service.card_figures(session, catalogue, place.cycle.year, code, answer))  # read-only
    return render(request, "review/detail.html", context, block="decision" if form is not None else None,
                  status_code=status_code)


@router.post("/verifikasi/{code}", name="review_decide")
def review_decide(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str, form: FormDep,
    part: str | None = None, indicator: str | None = None, opd: str | None = None, status: str | None = None,
    periode: str | None = None, klaster: str | None = None,
) -> Response:
    stage = _stage(user, place)
    filters = QueueFilters.of(part, indicator, opd, status, periode, klaster)
    answer = _answer(session, place, catalogue, code)
    action = str(form.get("action", ""))
    reasons = [str(r) for r in form.getlist("reasons")]
    raw_score = str(form.get("score", "")).strip()
    score = to_decimal(raw_score) if raw_score else None
    then = "next" if form.get("then") == "next" else "queue"
    # Shown back whole when refused: the reviewer shortens it, nothing is cut behind their back.
    values = {"action": action, "reasons": reasons, "note": str(form.get("note", "")), "score": raw_score,
              "then": then}
    try:
        note = parse_note(form)
        if raw_score and score is None:
            raise Refusal(_("The score must be a number of 0 or more."), code="bad_score")
        # None when the same decision already stands (a double click): the reply is the same.
        review_service.decide(session, place.assessment, answer, stage, action, user, reasons=reasons, note=note,
                              score=score, known_reasons={r.code for r in catalogue.review_reasons}, scorer=scorer)
    except Refusal as refusal:
        session.rollback()
        return _detail(request, session, place, user, catalogue, scorer, code, stage,
                       message=refusal.message, status_code=refusal.status, form=values, filters=filters)
    session.commit()
    request.session["flash"] = (_("Approved: %(code)s") if action == ReviewAction.APPROVED
                                else _("Returned: %(code)s")) % {
        "code": code}
    target = _after_decision(request, session, place, user, catalogue, stage, code, filters, then)
    return RedirectResponse(target, status_code=303)


def _flag_context(session: Session, place: Place, catalogue: Catalogue, files: list[Any],
                  from_flag: str | None) -> dict[str, Any]:
    """The flags of the files this user may see, and the reasons and note a return from one of them starts
    with (only a listed file's: flags name a file)."""
    current = {saved_id(f.id): f for f in files if f.removed_at is None}
    file_flags = document_flags.answer_flags(session, place.assessment, catalogue, place.cycle.year, list(current))
    preset: dict[str, Any] = {}
    chosen_id = parse_id(from_flag)
    chosen = file_flags.get(chosen_id) if chosen_id is not None else None
    if chosen is not None and chosen.flags:
        preset = {"reasons": chosen.reasons,
                  "note": document_flags.return_note(chosen, current[chosen.evidence_id].filename)}
    return {"file_flags": file_flags, "flag_labels": document_flags.flag_labels(), "preset": preset}


def _after_decision(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue, stage: Stage,
                    code: str, filters: QueueFilters, then: str) -> str:
    """Where a decision leads: the next answer of the filtered queue when asked (and one is left),
    else the queue with the same filters."""
    where = {"regency_code": place.regency.code, "year": place.cycle.year}
    if then == "next":
        state = review_service.load_state(session, place.assessment, user)
        next_code = _next_code(filters.items(state, catalogue, stage, _flags(session, place, catalogue),
                          _held(session, place, catalogue, state, stage)), catalogue, code)
        if next_code is not None:
            query = f"{filters.query}&lanjut=1" if filters.query else "lanjut=1"
            return _with_query(request.url_for("review_detail", code=next_code, **where), query)
    return _with_query(request.url_for("review_queue", **where), filters.query)


@router.post("/verifikasi-massal", name="review_batch_approve")
def review_batch_approve(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, form: FormDep,
    part: str | None = None, indicator: str | None = None, opd: str | None = None, status: str | None = None,
    periode: str | None = None, klaster: str | None = None,
) -> Response:
    stage = _stage(user, place)
    codes = list(dict.fromkeys(str(c) for c in form.getlist("codes")))[:400]
    request.session["flash"] = _approve_all(session, place, user, catalogue, stage, codes) if codes else \
        _("Tick the answers to approve first: nothing was approved.")
    query = QueueFilters.of(part, indicator, opd, status, periode, klaster).query
    return RedirectResponse(
        _with_query(request.url_for("review_queue", regency_code=place.regency.code, year=place.cycle.year), query),
        status_code=303,
    )


def _approve_all(session: Session, place: Place, user: User, catalogue: Catalogue, stage: Stage,
                 codes: list[str]) -> str:
    """Approve the ticked answers (read in one query); the message saying how many, or why none."""
    try:  # refused as a whole: a frozen year, or a stage whose decisions are closed
        review_service.check_not_frozen(session, place.assessment)
        if not review_service.stage_open(place.assessment, stage):
            raise review_service.ReviewError(_("Decisions at this stage are closed for this assessment."))
    except Refusal as refusal:
        return refusal.message
    answers = answers_of(session, saved_id(place.assessment.id), codes)
    # Every ticked answer held at once, in id order, before any is decided: a batch sent twice, or beside
    # a single decision, waits for the other instead of both writing (or each holding what the other needs).
    lock_answers(session, [a for c, a in answers.items() if c in catalogue.questions])
    done, skipped = 0, 0
    for code in codes:
        answer = answers.get(code)
        if answer is None or code not in catalogue.questions:
            skipped += 1
            continue
        try:
            review_service.decide(session, place.assessment, answer, stage, ReviewAction.APPROVED, user)
            done += 1
        except review_service.ReviewError:
            skipped += 1
    session.commit()
    message = _("%(n)s answers approved.") % {"n": done}
    if skipped:
        message += " " + _("%(n)s could not be approved.") % {"n": skipped}
    return message


@router.post("/verifikasi/{code}/buka", name="review_reopen")
def review_reopen(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
    catalogue: CatalogueDep, scorer: ScorerDep, code: str, form: FormDep,
) -> Response:
    stage = _stage(user, place)
    answer = _answer(session, place, catalogue, code)
    try:
        hours = max(1, min(24 * 7, int(str(form.get("hours", review_service.REOPEN_HOURS)))))
    except ValueError:
        hours = review_service.REOPEN_HOURS
    try:
        note = parse_note(form)
        reopening, opened = review_service.reopen(session, place.assessment, answer, stage, user, hours=hours,
                                                  note=note)
    except Refusal as refusal:
        session.rollback()
        return _detail(request, session, place, user, catalogue, scorer, code, stage, status_code=refusal.status,
                       reopen_form={"error": refusal.message, "hours": hours,
                                    "note": str(form.get("note", ""))})
    session.commit()
    request.session["flash"] = (_("Reopened for the kab/kota for %(n)s hours.") % {"n": hours} if opened else
                                _("This answer is already open to the kab/kota until %(until)s.")
                                % {"until": local_time(reopening.until)})
    return RedirectResponse(
        str(request.url_for("review_detail", regency_code=place.regency.code, year=place.cycle.year, code=code)),
        status_code=303)


def _answer(session: Session, place: Place, catalogue: Catalogue, code: str) -> Answer:
    if code not in catalogue.questions:
        raise HTTPException(404)
    answer = session.exec(select(Answer).where(Answer.assessment_id == place.assessment.id,
                                               Answer.question_code == code)).first()
    if answer is None:
        raise HTTPException(404)
    return answer

