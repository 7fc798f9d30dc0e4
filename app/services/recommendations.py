"""Recommendations (rekomendasi): a reviewer's note turned into work for the kab/kota, at any stage,
and its follow-up. The one place for who may make, see, assign, report on and close one, and for
the follow-up rates of the province and national pages (`recommendation_rates`).

A reviewer of the place (the DP3A at its check, the province, the ministry, the field team) makes a
recommendation on an indicator, perhaps one question of it; the DP3A gives it to one or more of
its agencies with a due date; an agency given it reports what it did, with files; the DP3A closes
it. None of this is a score: it goes on after the award is published (`season.frozen` is not asked).

Every change is idempotent (the same request twice changes nothing the second time) and audited.
Nothing here commits: the route commits its one unit of work."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from app import access
from app.clock import WIB
from app.evidence import StoredFile, safe_filename
from app.i18n import gettext as _
from app.models import (
    Agency,
    Answer,
    Assessment,
    FollowUp,
    FollowUpFile,
    Recommendation,
    RecommendationAgency,
    RecommendationStatus,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    saved_id,
    utcnow,
)
from app.refusals import NotAllowed, Refusal
from app.services import audit
from app.services.evidence import register
from indicators import Catalogue
from scoring import Stage

Status = RecommendationStatus
NOT_CLOSED = (Status.OPEN, Status.ASSIGNED, Status.REPORTED)
# Where a reviewer's recommendations are recorded when the assessment is not at the stage the
# reviewer decides at (the province looking back once the ministry has it): the reviewer's own stage.
_OWN_STAGE = {Role.DP3A: Stage.DP3A, Role.PROVINCE: Stage.PROVINCE, Role.REVIEWER: Stage.MINISTRY,
              Role.VERIFIER: Stage.FIELD, Role.ADMIN: Stage.MINISTRY}
_CREATE_LOCK = 7_254_022  # with the assessment's id: two equal creations at once make one row (PostgreSQL)


def status_names() -> dict[Status, str]:
    """Each status as the UI says it (in the request's language)."""
    return {Status.OPEN: _("open"), Status.ASSIGNED: _("assigned to agencies"),
            Status.REPORTED: _("follow-up reported"), Status.CLOSED: _("closed")}


def status_label(status: str) -> str:
    """A Jinja global (`recommendation_status`); an unknown value as it is."""
    try:
        return status_names()[Status(status)]
    except ValueError:
        return str(status)


def today() -> date:
    """Today in Indonesia (WIB): due dates are calendar days there."""
    return datetime.now(WIB).date()


def may_create(user: User) -> bool:
    """Turn a note into a recommendation: every reviewer the place's guard admitted, never an agency."""
    return user.role in _OWN_STAGE


def recording_stage(user: User, assessment_stage: Stage) -> Stage:
    """The stage a recommendation of `user` is recorded at: the one the user decides at now, else
    the user's own (the DP3A's check for the DP3A)."""
    return access.decides_at(user, assessment_stage) or _OWN_STAGE[Role(user.role)]


def overdue(rec: Recommendation, on: date | None = None) -> bool:
    """Given to an agency, not reported, and past its due date."""
    return (rec.status in (Status.OPEN, Status.ASSIGNED) and rec.due_on is not None
            and rec.due_on < (on or today()))


# -- the note on the review page -------------------------------------------------------------------


@dataclass
class NoteForm:
    """What the review page of one answer offers (a Jinja global: `recommendation_note`)."""

    may_create: bool
    source_event_id: int | None = None
    text: str = ""


def note_form(user: User, events: Sequence[ReviewEvent]) -> NoteForm:
    """The form pre-filled with the latest decision's note (a decision, not a submission)."""
    if not may_create(user):
        return NoteForm(False)
    decided = [e for e in events if e.action != ReviewAction.SUBMITTED and e.note]
    latest = max(decided, key=lambda e: (e.at, e.id or 0), default=None)
    return NoteForm(True, latest.id, latest.note) if latest is not None else NoteForm(True)


# -- making one ----------------------------------------------------------------------------------


@dataclass
class NewRecommendation:
    text: str
    indicator_code: str = ""
    question_code: str | None = None
    source_event_id: int | None = None


def _target(session: Session, assessment: Assessment, catalogue: Catalogue,
            given: NewRecommendation) -> tuple[str, str | None, int | None]:
    """The indicator, question and source event the form names, checked against the instrument and
    this assessment (a note of another kab/kota's answer is no source)."""
    if given.source_event_id is not None:
        row = session.exec(select(ReviewEvent, Answer).join(Answer, col(Answer.id) == col(ReviewEvent.answer_id))
                           .where(ReviewEvent.id == given.source_event_id)).first()
        if row is None or row[1].assessment_id != assessment.id or row[1].question_code not in catalogue.questions:
            raise Refusal(_("That review note is not one of this assessment."), code="no_such_note")
        code = row[1].question_code
        return catalogue.questions[code].indicator.code, code, given.source_event_id
    question = (given.question_code or "").strip() or None
    if question is not None:
        ref = catalogue.questions.get(question)
        if ref is None:
            raise Refusal(_("There is no question %(code)s in the instrument.") % {"code": question[:40]},
                          code="no_such_question")
        if given.indicator_code and given.indicator_code != ref.indicator.code:
            raise Refusal(_("Question %(code)s is not a question of indicator %(indicator)s.")
                          % {"code": question, "indicator": given.indicator_code[:40]}, code="question_elsewhere")
        return ref.indicator.code, question, None
    if given.indicator_code not in catalogue.indicators:
        raise Refusal(_("Choose the indicator the recommendation is about."), code="no_indicator")
    return given.indicator_code, None, None


def create(session: Session, assessment: Assessment, catalogue: Catalogue, user: User,
           given: NewRecommendation) -> tuple[Recommendation, bool]:
    """A new recommendation, or the one already made from the same note (or with the same words on
    the same indicator and question, not closed): (row, whether it is new)."""
    if not may_create(user):
        raise NotAllowed(_("Agencies do not make recommendations."), code="not_allowed", status=403)
    if not given.text:
        raise Refusal(_("Write the recommendation."), code="no_text")
    indicator, question, source = _target(session, assessment, catalogue, given)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, :id)"),
                        {"key": _CREATE_LOCK, "id": zlib.crc32(str(assessment.id).encode()) & 0x7FFF_FFFF})
    same = select(Recommendation).where(Recommendation.assessment_id == assessment.id)
    if source is not None:
        same = same.where(Recommendation.source_event_id == source)
    else:
        same = same.where(Recommendation.indicator_code == indicator, Recommendation.text == given.text,
                          col(Recommendation.status).in_(NOT_CLOSED),
                          col(Recommendation.question_code).is_(None) if question is None
                          else Recommendation.question_code == question)
    existing = session.exec(same).first()
    if existing is not None:
        return existing, False
    rec = Recommendation(assessment_id=saved_id(assessment.id), stage=recording_stage(user, assessment.stage),
                         indicator_code=indicator, question_code=question, text=given.text, source_event_id=source,
                         created_by=saved_id(user.id))
    session.add(rec)
    session.flush()
    audit.record(session, user, "recommendation.create", "recommendation", rec.id,
                 regency_code=assessment.regency_code,
                 after={"stage": rec.stage, "indicator": indicator, "question": question, "text": given.text,
                        **({"source_event": source} if source is not None else {})})
    return rec, True


# -- seeing one ----------------------------------------------------------------------------------


def agency_ids(session: Session, rec_ids: Sequence[int]) -> dict[int, list[int]]:
    """The agencies each recommendation is given to."""
    given: dict[int, list[int]] = {rec_id: [] for rec_id in rec_ids}
    if rec_ids:
        for rec_id, agency_id in session.exec(select(RecommendationAgency.recommendation_id,
                                                     RecommendationAgency.agency_id)
                                              .where(col(RecommendationAgency.recommendation_id).in_(rec_ids))):
            given[rec_id].append(agency_id)
    return given


def sees_all(user: User) -> bool:
    """The DP3A and the reviewers see every recommendation of a place their guard admitted them to;
    an agency only those given to it."""
    return user.role != Role.OPD


def visible(session: Session, assessment_ids: Sequence[int], user: User) -> list[Recommendation]:
    """The recommendations of these assessments `user` may see, newest first."""
    query = select(Recommendation).where(col(Recommendation.assessment_id).in_(assessment_ids))
    if not sees_all(user):
        query = query.join(RecommendationAgency,
                           col(RecommendationAgency.recommendation_id) == col(Recommendation.id)).where(
            RecommendationAgency.agency_id == user.agency_id)
    return list(session.exec(query.order_by(col(Recommendation.id).desc())).all())


def find(session: Session, assessment: Assessment, user: User, rec_id: int, *,
         lock: bool = False) -> Recommendation | None:
    """Recommendation `rec_id` of this assessment if `user` may see it (else None: a guessed id
    learns nothing). `lock`: held until the commit, so that two equal requests at once change it once."""
    query = select(Recommendation).where(Recommendation.id == rec_id, Recommendation.assessment_id == assessment.id)
    rec = session.exec(query.with_for_update() if lock else query).first()
    if rec is None:
        return None
    if not sees_all(user) and user.agency_id not in agency_ids(session, [rec_id])[rec_id]:
        return None
    return rec


def sensitive(catalogue: Catalogue, rec: Recommendation) -> bool:
    """Follow-up files of a sensitive question's recommendation can name child victims. A code the
    instrument no longer knows counts as sensitive, as evidence does (`EvidenceAccess`)."""
    if rec.question_code is None:
        return False
    ref = catalogue.questions.get(rec.question_code)
    return ref is None or ref.question.sensitive


@dataclass
class Rights:
    """What the detail page offers one user (flags: the template re-derives nothing)."""

    assign: bool
    follow_up: bool
    close: bool
    open_files: bool


def rights(session: Session, catalogue: Catalogue, user: User, rec: Recommendation, *, regency_code: str,
           province_code: str, stage: Stage, on_team: bool, given_to: Sequence[int]) -> Rights:
    dp3a = access.may_administer(user, regency_code)
    open_ = rec.status != Status.CLOSED
    files = not sensitive(catalogue, rec) or access.may_open_sensitive(user, regency_code, province_code, stage,
                                                                       on_team)
    return Rights(assign=dp3a and open_, follow_up=open_ and may_report(user, regency_code, given_to),
                  close=dp3a and open_, open_files=files)


def may_report(user: User, regency_code: str, given_to: Sequence[int]) -> bool:
    """Report follow-up: a user of an agency the recommendation is given to."""
    return access.may_work_in(user, regency_code) and user.agency_id in given_to


# -- assigning, following up, closing ------------------------------------------------------------


def _closed() -> NotAllowed:
    return NotAllowed(_("This recommendation is closed."), code="closed")


def assign(session: Session, assessment: Assessment, rec: Recommendation, user: User, chosen: Sequence[int],
           due_on: date | None) -> bool:
    """Give the recommendation to these agencies of the kab/kota, due on `due_on`. False: nothing
    changed (the same agencies and date again)."""
    if not access.may_administer(user, assessment.regency_code):
        raise NotAllowed(_("Only the DP3A gives recommendations to agencies."), code="not_allowed", status=403)
    if rec.status == Status.CLOSED:
        raise _closed()
    wanted = set(chosen)
    if not wanted:
        raise Refusal(_("Choose at least one agency."), code="no_agency")
    if due_on is None:
        raise Refusal(_("Give a due date."), code="no_due_date")
    agencies = session.exec(select(Agency.id).where(col(Agency.id).in_(wanted),
                                                    Agency.regency_code == assessment.regency_code,
                                                    col(Agency.active))).all()
    if set(agencies) != wanted:
        raise Refusal(_("Choose agencies of this kab/kota."), code="foreign_agency")
    rows = session.exec(select(RecommendationAgency).where(
        RecommendationAgency.recommendation_id == rec.id)).all()
    before = {row.agency_id for row in rows}
    if before == wanted and rec.due_on == due_on and rec.status != Status.OPEN:
        return False
    for row in rows:
        if row.agency_id not in wanted:
            session.delete(row)
    for agency_id in sorted(wanted - before):
        session.add(RecommendationAgency(recommendation_id=saved_id(rec.id), agency_id=agency_id))
    old = {"status": rec.status, "agencies": sorted(before), "due_on": rec.due_on.isoformat() if rec.due_on else None}
    rec.due_on = due_on
    if rec.status == Status.OPEN:
        rec.status = Status.ASSIGNED
    session.add(rec)
    session.flush()
    audit.record(session, user, "recommendation.assign", "recommendation", rec.id,
                 regency_code=assessment.regency_code, before=old,
                 after={"status": rec.status, "agencies": sorted(wanted), "due_on": due_on.isoformat()})
    return True


def follow_up(session: Session, assessment: Assessment, rec: Recommendation, user: User, note: str,
              files: Sequence[tuple[StoredFile, str]]) -> FollowUp | None:
    """An agency's report; None: the same report again (its note and files), nothing new."""
    if rec.status == Status.CLOSED:
        raise _closed()
    if not may_report(user, assessment.regency_code, agency_ids(session, [saved_id(rec.id)])[saved_id(rec.id)]):
        raise NotAllowed(_("Only an agency this recommendation is given to reports its follow-up."),
                         code="not_given", status=403)
    if not note:
        raise Refusal(_("Write what your agency did."), code="no_note")
    latest = session.exec(select(FollowUp).where(FollowUp.recommendation_id == rec.id,
                                                 FollowUp.agency_id == user.agency_id)
                          .order_by(col(FollowUp.id).desc())).first()
    contents = {stored.sha256 for stored, _name in files}
    if latest is not None and latest.note == note and contents == set(session.exec(
            select(FollowUpFile.sha256).where(FollowUpFile.follow_up_id == latest.id)).all()):
        return None
    report = FollowUp(recommendation_id=saved_id(rec.id), agency_id=user.agency_id, note=note,
                      user_id=saved_id(user.id))
    session.add(report)
    session.flush()
    seen: set[str] = set()
    for stored, name in files:
        if stored.sha256 in seen:
            continue
        seen.add(stored.sha256)
        register(session, stored)
        session.add(FollowUpFile(follow_up_id=saved_id(report.id), sha256=stored.sha256,
                                 filename=safe_filename(name, stored.extension), uploaded_by=saved_id(user.id)))
    before = rec.status
    rec.status = Status.REPORTED
    session.add(rec)
    session.flush()
    audit.record(session, user, "recommendation.follow_up", "recommendation", rec.id,
                 regency_code=assessment.regency_code, before={"status": before},
                 after={"status": rec.status, "note": note, "files": sorted(seen), "follow_up": report.id})
    return report


def close(session: Session, assessment: Assessment, rec: Recommendation, user: User, note: str) -> bool:
    """The DP3A closes it with a note; False: it was closed already (nothing changes)."""
    if not access.may_administer(user, assessment.regency_code):
        raise NotAllowed(_("Only the DP3A closes recommendations."), code="not_allowed", status=403)
    if rec.status == Status.CLOSED:
        return False
    if not note:
        raise Refusal(_("Write why the recommendation is closed."), code="no_note")
    before = rec.status
    rec.status, rec.closed_by, rec.closed_at, rec.close_note = Status.CLOSED, user.id, utcnow(), note
    session.add(rec)
    audit.record(session, user, "recommendation.close", "recommendation", rec.id,
                 regency_code=assessment.regency_code, before={"status": before},
                 after={"status": rec.status, "note": note})
    return True


# -- the follow-up shown -------------------------------------------------------------------------


@dataclass
class Report:
    follow_up: FollowUp
    files: list[FollowUpFile] = field(default_factory=list)


def reports(session: Session, rec_id: int) -> list[Report]:
    """The follow-up reports, oldest first, with their files."""
    found = [Report(f) for f in session.exec(select(FollowUp).where(FollowUp.recommendation_id == rec_id)
                                              .order_by(col(FollowUp.id)))]
    by_id = {saved_id(r.follow_up.id): r for r in found}
    if by_id:
        for file in session.exec(select(FollowUpFile).where(col(FollowUpFile.follow_up_id).in_(by_id))
                                 .order_by(col(FollowUpFile.id))):
            by_id[file.follow_up_id].files.append(file)
    return found


def file_of(session: Session, rec: Recommendation, file_id: int) -> FollowUpFile | None:
    """File `file_id` if it belongs to a follow-up of `rec`."""
    row = session.exec(select(FollowUpFile).join(FollowUp, col(FollowUp.id) == col(FollowUpFile.follow_up_id))
                       .where(FollowUpFile.id == file_id, FollowUp.recommendation_id == rec.id)).first()
    return row


def record_opening(session: Session, catalogue: Catalogue, user: User, rec: Recommendation, file: FollowUpFile,
                   regency_code: str) -> None:
    """Served a file of a sensitive question's recommendation: logged, as sensitive evidence is."""
    if sensitive(catalogue, rec):
        audit.record(session, user, "evidence.download", "followupfile", file.id, regency_code=regency_code,
                     after={"file": file.filename, "sensitive": True, "recommendation": rec.id})
