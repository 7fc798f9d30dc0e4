"""The history of one question: every change, upload, decision and reopening, from the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import and_, or_
from sqlmodel import col, select

from app.clock import local_time
from app.deps import CatalogueDep, CurrentUser, HistoryPlace, SessionDep, on_team
from app.i18n import N_, format_number, pick
from app.i18n import gettext as _
from app.labels import coordinator_decision_label
from app.models import Answer, AnswerStatus, AuditEntry, CarryStatus, Evidence, Role, User, saved_id
from app.services.evidence import EvidenceAccess
from app.services.questions import assigned_codes
from app.templating import render
from indicators.models import NumberScale, OptionsScale, PercentScale, ReviewReason
from scoring import Stage

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["history"])

# What the audit log calls an action, in the words of the people who read the history.
ACTIONS = {
    "answer.save": N_("Answer saved"),
    "answer.submit": N_("Submitted for review"),
    "answer.resubmit": N_("Back in the review queue after a new upload"),
    "evidence.upload": N_("Evidence uploaded"),
    "evidence.reuse": N_("Evidence reused from another question"),
    "evidence.remove": N_("Evidence removed"),
    "evidence.download": N_("Sensitive evidence opened"),
    "review.approved": N_("Approved"),
    "review.returned": N_("Returned"),
    "review.reopen": N_("Reopened for a short window"),
    "answer.handed_back": N_("Fix handed back to the verifier (the reopening window closed)"),
    "carryover.accepted": N_("Carried over from the previous cycle"),
    "carryover.rejected": N_("Carry-over declined"),
}
FIELDS = {
    "option": N_("Answer"),
    "value": N_("Value"),
    "note": N_("Note"),
    "not_applicable": N_("Not applicable"),
    "status": N_("Status"),
    "stage": N_("Stage"),
    "reasons": N_("Reasons"),
    "score": N_("Score"),
    "until": N_("Until"),
    "reopened_until": N_("Open to the kab/kota until"),
    "file": N_("File"),
    "sha256": "SHA-256",
    "sensitive": N_("Sensitive"),
    "size": N_("Size (bytes)"),
    "from": N_("Copied from file no."),
    "reopening_closed": N_("Reopening window closed"),
}
HIDDEN = ("version", "question")  # in every answer snapshot, meaningless on the question's own page
WORDS: dict[str, str] = {  # statuses and stages as stored (a review action is spelled as the status it sets)
    AnswerStatus.DRAFT: N_("draft"), AnswerStatus.SUBMITTED: N_("submitted"), AnswerStatus.APPROVED: N_("approved"),
    AnswerStatus.RETURNED: N_("returned"),
    # The stage's name as `stage_label` says it, but the DP3A's short: a history line names its check "DP3A".
    Stage.SELF: N_("self-assessment"), Stage.CLUSTER: N_("cluster coordinator check"), Stage.DP3A: "DP3A", Stage.PROVINCE: N_("province verification"),
    Stage.MINISTRY: N_("ministry review"),
    CarryStatus.ACCEPTED: N_("accepted"), CarryStatus.REJECTED: N_("declined"),
}


@router.get("/riwayat/{code}", name="question_history")
def question_history(
    request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, code: str,
) -> Response:
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    if user.role == Role.OPD and code not in assigned_codes(session, saved_id(place.assessment.id), user.agency_id):
        raise HTTPException(403)
    answer = session.exec(select(Answer).where(Answer.assessment_id == place.assessment.id,
                                               Answer.question_code == code)).first()
    entries: list[AuditEntry] = []
    evidence_access = EvidenceAccess.of(session, catalogue, user, place, on_team(session, place.assessment, user))
    hidden: set[str] = set()  # the files of this question this user may not name
    if answer is not None:
        files = session.exec(select(Evidence).where(Evidence.answer_id == answer.id)).all()
        hidden = {str(f.id) for f in files if not evidence_access.may_see(f, code)}
        entries = list(session.exec(
            select(AuditEntry).where(or_(
                and_(col(AuditEntry.entity) == "answer", col(AuditEntry.entity_id) == str(answer.id)),
                and_(col(AuditEntry.entity) == "evidence", col(AuditEntry.entity_id).in_([str(f.id) for f in files])),
            )).order_by(col(AuditEntry.id))
        ))
    user_ids = {e.user_id for e in entries if e.user_id}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))} if user_ids else {}
    # Names of sensitive files can name child victims: hidden from whoever may not open them (every
    # file of a sensitive question, and a copy of a sensitive file that sits on this one).
    mask_all = ref.question.sensitive and not evidence_access.sees_sensitive
    shown = Shown(catalogue.scales[ref.question.scale], {r.code: r for r in catalogue.review_reasons})
    rows = [(entry, _action_name(entry, ref.part.short_name),
             *shown.change(entry.before, entry.after,
                           mask=mask_all or (entry.entity == "evidence" and entry.entity_id in hidden)))
            for entry in entries]
    return render(request, "history/question.html",
                  {"place": place, "ref": ref, "q": ref.question, "answer": answer, "rows": rows, "users": users,
                   # An agency's focal point goes back to its questions, everyone else to the dashboard.
                   "back_to": "workspace" if user.role == Role.OPD else "dashboard"})


def _action_name(entry: AuditEntry, part: str) -> str:
    """What the entry records; a cluster coordinator's decision says it is theirs (issue 24), never
    "Approved" alone, which reads as the DP3A's."""
    stage = (entry.after or {}).get("stage")
    if entry.action in ("review.approved", "review.returned") and stage == Stage.CLUSTER:
        return coordinator_decision_label(entry.action.removeprefix("review."), part)
    return _(ACTIONS[entry.action]) if entry.action in ACTIONS else entry.action


class Shown:
    """An audit entry's before/after values as the history page prints them: labels, option names, dates."""

    MASKED = ("file", "sha256", "from")  # what names or traces a file
    TECHNICAL = ("sha256", "size", "from")  # behind a "technical detail" toggle: focal points need not read them

    def __init__(self, scale: OptionsScale | PercentScale | NumberScale, reasons: dict[str, ReviewReason]) -> None:
        self.options = {o.code: o for o in getattr(scale, "options", ())}
        self.reasons = reasons

    def change(self, before: dict | None, after: dict | None, mask: bool = False) -> tuple[list, list]:
        """The fields that changed, before and after: a save lists its whole answer both times, and a
        person reading the history wants what moved (the version counter and the page's own question
        code say nothing to them)."""
        before, after = dict(before or {}), dict(after or {})
        for key in HIDDEN:
            before.pop(key, None)
            after.pop(key, None)
        if before and after:
            moved = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
            before = {k: v for k, v in before.items() if k in moved}
            after = {k: v for k, v in after.items() if k in moved}
        return self.fields(before, mask), self.fields(after, mask)

    def fields(self, values: dict, mask: bool = False) -> list[tuple[str, str, bool]]:
        """(label, value, technical) of each field with a value."""
        return [(_(FIELDS[key]) if key in FIELDS else key,
                 _("(hidden: sensitive)") if mask and key in self.MASKED else self.value(key, value),
                 key in self.TECHNICAL)
                for key, value in values.items() if value not in (None, "", [])]

    def value(self, key: str, value: object) -> str:
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if key == "option" and value in self.options:
            option = self.options[value]
            return pick(option.label, option.label_en)
        if key == "reasons" and isinstance(value, list):
            return "; ".join(pick(self.reasons[r].name, self.reasons[r].name_en) if r in self.reasons else str(r)
                             for r in value)
        if key == "value":
            return _number(value)
        if key in ("status", "stage") and value in WORDS:
            return _(WORDS[value])
        if key in ("until", "reopened_until") and isinstance(value, str):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                return value
        return str(value)


def _number(value: object) -> str:
    """A stored number as the user writes it: 12,5 in Indonesian (stored as "12.5000")."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    return format_number(number)
