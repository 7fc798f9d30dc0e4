"""What the workspace's routes render besides the list: a question's card, the progress and score of
the agency shown (sent out of band after a change), and which agency that is."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from sqlmodel import col, select

from app.context import Workspace
from app.deps import agency_filter
from app.models import Agency, Assignment, Role, saved_id
from app.services import answers as answer_service
from app.services import areas, documents, questions
from app.services import evidence as evidence_service
from app.services import figures as figures_service
from app.services import progress as progress_service
from app.services.document_flags import answer_flags, flag_labels
from app.services.evidence import EvidenceAccess, sensitive_codes
from app.services.questions import assessment_id
from app.services.recommendation_overview import earlier_on_question
from app.services.taskforce import coordination, meeting_links  # issue 24
from scoring import AnswerError


def card_context(ws: Workspace, code: str, **extra: Any) -> dict[str, Any]:
    """Everything question.html's card shows of question `code`, and what it lets this user do."""
    session, place, catalogue = ws.session, ws.place, ws.catalogue
    ref = catalogue.questions[code]
    answer = answer_service.answer_at(session, assessment_id(place), code)
    points = 0
    if answer is not None and (value := answer_service.scored(answer)) is not None:
        try:
            points = ws.scorer.question_points(code, value)
        except AnswerError:  # stored before its scale refused it (a "not applicable" now refused): 0, fixable
            points = 0
    mine = None if ws.user.role == Role.DP3A else sorted(
        questions.assigned_codes(session, assessment_id(place), ws.user.agency_id))
    reopening = questions.is_reopened(session, answer)
    returned_event = questions.latest_return(session, answer)
    rights = questions.card_rights(place, ws.user, answer, reopening, returned=returned_event is not None)
    evidence_access = EvidenceAccess.of(session, catalogue, ws.user, place)
    every_file = evidence_service.attached(session, saved_id(answer.id)) if answer else []
    attached_here = {f.sha256 for f in every_file if f.removed_at is None}
    # Files this user may not see are counted, never named (sensitive ones, for an agency).
    files, hidden_files = evidence_access.split(every_file, code)
    # The period check of the files shown (templates/workspace/_document_flags.html): flags name a file,
    # so only those of `files`, never of the hidden ones.
    file_flags = answer_flags(session, place.assessment, catalogue, place.cycle.year,
                              [saved_id(f.id) for f in files if f.removed_at is None])
    # Who answers here: this kab/kota's OPD by their local names, as its DP3A assigned them.
    answered_by = session.exec(
        select(Agency.short_name, Agency.name).join(Assignment, col(Assignment.agency_id) == col(Agency.id))
        .where(Assignment.assessment_id == assessment_id(place), Assignment.question_code == code)
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
        "file_flags": file_flags,
        "flag_labels": flag_labels(),
        "stored_count": hidden_files + sum(1 for f in files if f.removed_at is None),
        "answered_by": answered_by,
        # Sensitive files are never offered for reuse: they could name child victims.
        "reusable": [e for e in evidence_access.offerable(evidence_service.reusable(
                         session, assessment_id(place), mine, exclude=sensitive_codes(catalogue)))
                     if e.sha256 not in attached_here],
        "sensitive": ref.question.sensitive,
        "sees_sensitive": evidence_access.sees_sensitive,
        "editable": rights.editable,
        "read_only_because": rights.read_only_because,
        "reopening": reopening,
        "returned_event": returned_event,
        "fix_closed": rights.fix_closed,
        "may_submit": rights.may_submit,
        "reasons": {r.code: r for r in catalogue.review_reasons},
        "max_upload_mb": ws.max_upload_mb,
        "catalogue": catalogue,
        "form_values": None,
        "message": None,
        "notice": None,
        # Recommendations of earlier cycles still open on this question (templates/recommendations/_on_card.html).
        "earlier_recommendations": earlier_on_question(session, place.assessment, place.cycle.year, ws.user, catalogue,
                                                       code),
    }
    # Kelana/Dekela: an answer computed from the per-area records shows its counts, not a number input.
    context["kelana"] = areas.computed_share(session, place, catalogue, code)
    # Each file's document (kind, title, number, year), for the file list and the reuse choice (app.services.documents).
    shown_files: list[Any] = [*files, *cast("list[Any]", context["reusable"])]
    context["documents"] = documents.summaries(session, [getattr(f, "document_id", None) for f in shown_files])
    # What "tidak berlaku" earns here (None: refused) and the yearly figures of a data question.
    context["not_applicable_cents"] = ws.scorer.questions[code].not_applicable_cents
    context.update(figures_service.card_figures(session, catalogue, place.cycle.year, code, answer))
    # issue 24, rapat: the meetings linked to this question (one cached read per assessment revision)
    context["meetings"] = meeting_links.on_card(session, place, evidence_access, code)
    # issue 24: a status a cluster coordinator's decision set says it is theirs (the badge, the card).
    context["coordinator_mark"] = coordination.coordinator_marks(session, place.assessment).get(code)
    context.update(extra)
    return context


def list_filter(ws: Workspace) -> int | None:
    """The `?opd=` filter of the list a save or upload came from (htmx sends its URL), so the
    out-of-band progress card keeps counting the agency the DP3A chose. The header is the
    client's word: an agency of another region counts as no filter, never as an error after the
    change was saved."""
    try:
        query = parse_qs(urlsplit(ws.request.headers.get("HX-Current-URL", "")).query)
    except ValueError:  # e.g. "http://[oops": a broken header is no filter
        return None
    agency_id = agency_filter(next(iter(query.get("opd", [])), None))
    agency = ws.session.get(Agency, agency_id) if agency_id else None
    return agency.id if agency is not None and agency.regency_code == ws.place.regency.code else None


def counters(ws: Workspace, opd: int | None = None) -> dict[str, Any]:
    """Progress and score of the agency shown (the focal point's own; for the DP3A the one it
    chose, or the whole region), for out-of-band updates."""
    session, place = ws.session, ws.place
    agency = questions.chosen_agency(session, place, ws.user, opd)
    codes = questions.question_codes_for(session, place, ws.catalogue, agency)
    answers = answer_service.answer_rows(session, assessment_id(place), None if agency is None else codes)
    evidence = progress_service.evidence_counts(session, [a.id for a in answers.values()])
    sheet = ws.scorer.score(answer_service.scored_answers({c: answers[c] for c in codes if c in answers}))
    return {
        "agency": agency,
        "progress": progress_service.progress(codes, answers, evidence),
        "sheet": sheet,
        "max_points": ws.scorer.max_of(codes),
        "oob": True,
    }
