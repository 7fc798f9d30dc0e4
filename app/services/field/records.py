"""The team's records: activities (sessions, visits, interviews, document checks) and findings per
indicator, with their files (photos, minutes: the evidence store, checked as every upload is) and
their score adjustments. An adjustment is a FIELD review decision on one of the indicator's
questions ("approved" with the field's figure, the finding's text as its note: a sensitive one's
number only, as the kab/kota reads the note): the review's ceiling keeps it at or below the earlier stages' figure, and `scoring.season` counts it.

A finding of an interview with children is always sensitive. The same finding sent twice (the
same text on the same indicator by the same person within a minute) is recorded once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from app.evidence import StoredFile, safe_filename
from app.i18n import gettext as _
from app.models import (
    ActivityKind,
    Answer,
    Assessment,
    Cycle,
    FieldActivity,
    Finding,
    FindingFile,
    ReviewAction,
    User,
    saved_id,
    utcnow,
)
from app.refusals import Refusal
from app.services import audit
from app.services import review as review_service
from app.services.answers import is_answered, lock_answers
from app.services.evidence import register
from app.services.field.hold import check_open, hold
from indicators import Catalogue
from scoring import Scorer, Stage

SAME_REQUEST = timedelta(minutes=1)
# Stored with the decision (in Bahasa Indonesia, as notes are written): no words of the finding itself.
SENSITIVE_NOTE = "Temuan sensitif verifikasi lapangan no. %(id)s (hanya untuk tim dan kementerian)"  # a finding or an activity sent again within it is the same one


def _recording_open(cycle: Cycle, assessment: Assessment) -> None:
    check_open(cycle, assessment, (Stage.FIELD,),
               _("Activities and findings are recorded only during field verification."))


def add_activity(session: Session, cycle: Cycle, assessment: Assessment, user: User, *, on: date,
                 kind: ActivityKind, place: str, note: str) -> tuple[FieldActivity, bool]:
    """Record an activity; says whether it is new (the same one sent again within a minute is not)."""
    _recording_open(cycle, assessment)
    hold(session, assessment)
    same = session.exec(select(FieldActivity).where(
        FieldActivity.assessment_id == assessment.id, FieldActivity.on == on, FieldActivity.kind == kind,
        FieldActivity.place == place, FieldActivity.note == note, FieldActivity.created_by == user.id,
        col(FieldActivity.created_at) > utcnow() - SAME_REQUEST)).first()
    if same is not None:
        return same, False
    activity = FieldActivity(assessment_id=saved_id(assessment.id), on=on, kind=kind, place=place, note=note,
                             created_by=saved_id(user.id))
    session.add(activity)
    session.flush()
    audit.record(session, user, "field.activity", "fieldactivity", activity.id, regency_code=assessment.regency_code,
                 after={"on": on.isoformat(), "kind": str(kind), "place": place, "note": note})
    return activity, True


@dataclass
class FindingInput:
    indicator_code: str
    text: str
    activity_id: int | None = None
    sensitive: bool = False
    files: tuple[tuple[StoredFile, str], ...] = ()  # stored content, the name the browser sent
    adjustments: tuple[tuple[str, Decimal], ...] = ()  # question code, the field's figure


def add_finding(session: Session, cycle: Cycle, assessment: Assessment, user: User, catalogue: Catalogue,
                scorer: Scorer, given: FindingInput) -> tuple[Finding, bool]:
    """Record a finding with its files and adjustments; says whether it is new. A refused adjustment
    (above the ceiling, an unanswered question) refuses the whole finding: nothing is written."""
    _recording_open(cycle, assessment)
    indicator = catalogue.indicators.get(given.indicator_code)
    if indicator is None:
        raise Refusal(_("Choose an indicator from the list."), code="unknown_indicator")
    text = given.text.strip()
    if not text:
        raise Refusal(_("Write what the team found."), code="text_required")
    activity = None
    if given.activity_id is not None:
        activity = session.get(FieldActivity, given.activity_id)
        if activity is None or activity.assessment_id != assessment.id:
            raise Refusal(_("Choose an activity of this kab/kota from the list."), code="unknown_activity")
    # Interviews with children (Forum Anak) can name a child: never shown outside the ministry.
    sensitive = given.sensitive or (activity is not None and activity.kind == ActivityKind.CHILD_INTERVIEW)
    answers = _adjusted_answers(session, assessment, indicator.questions, given.adjustments)
    lock_answers(session, list(answers.values()))  # before the kab/kota's row, as review decisions take them
    hold(session, assessment)
    same = session.exec(select(Finding).where(
        Finding.assessment_id == assessment.id, Finding.indicator_code == indicator.code, Finding.text == text,
        Finding.created_by == user.id, col(Finding.created_at) > utcnow() - SAME_REQUEST)).first()
    if same is not None:
        return same, False
    finding = Finding(assessment_id=saved_id(assessment.id), indicator_code=indicator.code, text=text,
                      activity_id=activity.id if activity else None, sensitive=sensitive,
                      created_by=saved_id(user.id))
    session.add(finding)
    session.flush()
    names = []
    for stored, name in dict((s.sha256, (s, n)) for s, n in given.files).values():  # the same bytes once
        register(session, stored)
        row = FindingFile(finding_id=saved_id(finding.id), sha256=stored.sha256,
                          filename=safe_filename(name, stored.extension), uploaded_by=saved_id(user.id))
        session.add(row)
        names.append(row.filename)
    session.flush()
    adjusted = {}
    for code, figure in given.adjustments:
        try:
            review_service.decide(session, assessment, answers[code], Stage.FIELD, ReviewAction.APPROVED, user,
                                  note=adjustment_note(finding), score=figure, scorer=scorer)
        except Refusal as refusal:
            raise Refusal(f"{code}: {refusal.message}", code=refusal.code, status=refusal.status) from refusal
        adjusted[code] = str(figure)
    audit.record(session, user, "field.finding", "finding", finding.id, regency_code=assessment.regency_code,
                 after={"indicator": indicator.code, "activity": finding.activity_id, "sensitive": sensitive,
                        "files": names, "adjustments": adjusted, "text": text})
    return finding, True


def adjustment_note(finding: Finding) -> str:
    """The note of a finding's score adjustments: its text, which the kab/kota reads with the decision
    (the review page, the question's history). A sensitive finding's words never leave the field page:
    its adjustments name it by number only."""
    return SENSITIVE_NOTE % {"id": finding.id} if finding.sensitive else finding.text


def _adjusted_answers(session: Session, assessment: Assessment, questions: tuple[object, ...],
                      adjustments: tuple[tuple[str, Decimal], ...]) -> dict[str, Answer]:
    """The answers the adjustments name: questions of the finding's indicator, answered."""
    codes = {q.code for q in questions}  # type: ignore[attr-defined]
    wanted = [code for code, _figure in adjustments]
    if not set(wanted) <= codes:
        raise Refusal(_("A score adjustment names a question of another indicator."), code="other_indicator")
    found = {a.question_code: a for a in session.exec(select(Answer).where(
        Answer.assessment_id == assessment.id, col(Answer.question_code).in_(wanted)))} if wanted else {}
    for code in wanted:
        if code not in found or not is_answered(found[code]):
            raise Refusal(_("%(code)s has no answer: there is no score to adjust.") % {"code": code},
                          code="unanswered")
    return found


def finding_file(session: Session, assessment: Assessment, finding_id: int,
                 file_id: int) -> tuple[Finding, FindingFile] | None:
    """The file `file_id` of finding `finding_id` of this assessment (None: no such file here)."""
    finding = session.get(Finding, finding_id)
    row = session.get(FindingFile, file_id)
    if (finding is None or row is None or finding.assessment_id != assessment.id or row.finding_id != finding.id
            or row.removed_at is not None):
        return None
    return finding, row
