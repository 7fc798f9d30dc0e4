"""The action plan (RAD KLA) of a kab/kota: its activities per indicator, each carried out by one of
its agencies, and the progress reports of those agencies (the arithmetic: `scoring.rad`).

Who does what (the routes' guards check the place; these functions check the rest):
- the DP3A adds, edits and removes activities (a removal keeps the row, marked `removed_at`);
- an agency reports on ITS activities, the DP3A on any; reports are appended, never edited, and the
  latest sets the activity's status and progress;
- everyone of the kab/kota reads the plan; its evaluators read it once submitted (`access.may_see_rad`).

A published year stays editable: the plan is monitored through the year after the award and no
score is computed from it (`answers.check_not_frozen` guards scores and answers, not this). Evidence
uploaded with a report goes through the library's own upload (`library.upload`), with its checks,
which do refuse a published year: a report there picks a document already in the library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from fastapi import HTTPException
from sqlmodel import Session, col, select

from app.deps import Place
from app.i18n import format_number
from app.i18n import gettext as _
from app.models import Agency, RadActivity, RadReport, RadStatus, Role, User, saved_id, utcnow
from app.refusals import NotAllowed, Refusal
from app.services import audit
from app.services.locks import hold
from app.services.questions import assessment_id
from indicators import Catalogue
from scoring.rad import BadAmount, BadPercent, Line, parse_percent, parse_rupiah

MAX_TITLE, MAX_TARGET, MAX_NOTE = 300, 300, 4000


@dataclass(frozen=True)
class ActivityData:
    """An activity as the DP3A's form gives it, checked."""

    indicator_code: str
    title: str
    target: str
    agency_id: int
    year: int
    budget: Decimal | None


@dataclass(frozen=True)
class ReportData:
    """A progress report as an agency's form gives it, checked (the evidence is chosen separately)."""

    status: RadStatus
    progress: int
    realised: Decimal | None
    note: str


# -- reading ---------------------------------------------------------------------------------------


def agencies_of(session: Session, place: Place) -> list[Agency]:
    """The active agencies of the kab/kota, by name: those an activity may be given to."""
    return list(session.exec(select(Agency).where(Agency.regency_code == place.regency.code, col(Agency.active))
                             .order_by(col(Agency.short_name))))


def activities(session: Session, place: Place, catalogue: Catalogue) -> list[RadActivity]:
    """The plan: its activities (not removed), in the catalogue's order of their indicators."""
    order = {code: index for index, code in enumerate(catalogue.indicators)}
    rows = session.exec(select(RadActivity).where(RadActivity.assessment_id == assessment_id(place),
                                                  col(RadActivity.removed_at).is_(None))
                        .order_by(col(RadActivity.id)))
    return sorted(rows, key=lambda a: order.get(a.indicator_code, len(order)))


def activity_of(session: Session, place: Place, activity_id: int) -> RadActivity:
    """An activity of this plan; another kab/kota's, a removed one or none: 404."""
    activity = session.get(RadActivity, activity_id)
    if activity is None or activity.assessment_id != assessment_id(place) or activity.removed_at is not None:
        raise HTTPException(404, _("There is no such activity in this action plan."))
    return activity


def reports_of(session: Session, activity_id: int) -> list[RadReport]:
    """An activity's reports, newest first."""
    return list(session.exec(select(RadReport).where(RadReport.activity_id == activity_id)
                             .order_by(col(RadReport.id).desc())))


def latest_reports(session: Session, activity_ids: list[int]) -> dict[int, RadReport]:
    """Each activity's latest report (the one that set its status and progress)."""
    latest: dict[int, RadReport] = {}
    if not activity_ids:
        return latest
    for report in session.exec(select(RadReport).where(col(RadReport.activity_id).in_(activity_ids))
                               .order_by(col(RadReport.id))):
        latest[report.activity_id] = report
    return latest


def lines(catalogue: Catalogue, plan: list[RadActivity], latest: dict[int, RadReport]) -> list[Line]:
    """The plan as `scoring.rad.summarise` counts it."""
    parts = part_of(catalogue)
    result = []
    for activity in plan:
        report = latest.get(saved_id(activity.id))
        result.append(Line(parts.get(activity.indicator_code, ""), RadStatus(activity.status).value, activity.progress, activity.budget,
                           report.realised if report is not None else None))
    return result


def part_of(catalogue: Catalogue) -> dict[str, str]:
    """Each indicator's part code."""
    return {i.code: p.code for p in catalogue.parts.values() for i in p.indicators}


def may_plan(user: User, place: Place) -> bool:
    """Add, edit and remove activities: the kab/kota's DP3A."""
    return user.role == Role.DP3A and user.regency_code == place.regency.code


def may_report(user: User, place: Place, activity: RadActivity) -> bool:
    """Report on an activity: the agency that carries it out, and the DP3A."""
    if user.regency_code != place.regency.code:
        return False
    return user.role == Role.DP3A or (user.role == Role.OPD and user.agency_id == activity.agency_id)


def rupiah(amount: Decimal | None) -> str:
    """An amount as the pages write it: "Rp 1.250.000" (no cents unless there are some)."""
    if amount is None:
        return "–"
    return "Rp " + format_number(amount.normalize() if amount % 1 else int(amount), grouping=True)


def rupiah_input(amount: Decimal | None) -> str:
    """An amount as a form field holds it, in the grouping `parse_rupiah` reads whatever the page's
    language ("1.250.000"): an English page would write "1,250,000", which reads as something else."""
    if amount is None:
        return ""
    return format_number(amount.normalize() if amount % 1 else int(amount), grouping=True, language="id")


# -- checking forms --------------------------------------------------------------------------------


def check_activity(session: Session, place: Place, catalogue: Catalogue, raw: dict[str, str]) -> ActivityData:
    """The activity a form sent, or a `Refusal` (422) naming what is wrong."""
    code = raw.get("indicator", "").strip()
    if code not in catalogue.indicators:
        raise Refusal(_("Choose an indicator of the instrument."), code="indicator")
    title = " ".join(raw.get("title", "").split())
    if not title:
        raise Refusal(_("Write the activity's name."), code="title")
    if len(title) > MAX_TITLE:
        raise Refusal(_("The activity's name is too long (at most %(n)s characters).") % {"n": MAX_TITLE}, code="title")
    target = " ".join(raw.get("target", "").split())
    if len(target) > MAX_TARGET:
        raise Refusal(_("The target is too long (at most %(n)s characters).") % {"n": MAX_TARGET}, code="target")
    agency = _agency(session, place, raw.get("agency", ""))
    year_text = raw.get("year", "").strip()
    if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4 and 2000 <= int(year_text) <= 2100):
        raise Refusal(_("Write the activity's year, e.g. %(year)s.") % {"year": place.cycle.year}, code="year")
    try:
        budget = parse_rupiah(raw.get("budget", ""))
    except BadAmount:
        raise Refusal(_("'%(value)s' is not an amount of rupiah. Write digits, e.g. 1.250.000.")
                      % {"value": raw.get("budget", "")[:40]}, code="budget") from None
    return ActivityData(code, title, target, saved_id(agency.id), int(year_text), budget)


def _agency(session: Session, place: Place, raw: str) -> Agency:
    text = raw.strip()
    agency = session.get(Agency, int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if agency is None or agency.regency_code != place.regency.code or not agency.active:
        raise Refusal(_("Choose the OPD responsible, one of this kab/kota's agencies."), code="agency")
    return agency


def check_report(raw: dict[str, str]) -> ReportData:
    """The report a form sent, or a `Refusal` (422) naming what is wrong."""
    try:
        status = RadStatus(raw.get("status", ""))
    except ValueError:
        raise Refusal(_("Choose where the activity stands."), code="status") from None
    try:
        progress = parse_percent(raw.get("progress", ""))
    except BadPercent:
        raise Refusal(_("The progress must be a whole percentage between 0 and 100."), code="progress") from None
    try:
        realised = parse_rupiah(raw.get("realised", ""))
    except BadAmount:
        raise Refusal(_("'%(value)s' is not an amount of rupiah. Write digits, e.g. 1.250.000.")
                      % {"value": raw.get("realised", "")[:40]}, code="realised") from None
    note = raw.get("note", "").strip()
    if len(note) > MAX_NOTE:
        raise Refusal(_("The note is too long (at most %(n)s characters).") % {"n": MAX_NOTE}, code="note")
    if status == RadStatus.DONE and progress != 100:
        raise Refusal(_("A finished activity is at 100%: write 100, or choose another status."), code="progress")
    return ReportData(status, progress, realised, note)


# -- changing --------------------------------------------------------------------------------------


def _audit_view(data: ActivityData | RadActivity) -> dict[str, object]:
    return {"indicator": data.indicator_code, "title": data.title, "target": data.target,
            "agency": data.agency_id, "year": data.year, "budget": str(data.budget) if data.budget is not None else None}


def add(session: Session, place: Place, user: User, data: ActivityData) -> tuple[RadActivity, bool]:
    """A new activity, audited; the same activity sent twice (a double click) is the one already
    there: (activity, whether it is new)."""
    hold(session, place.assessment)  # two identical posts at once: the second finds the first's row
    same = session.exec(select(RadActivity).where(
        RadActivity.assessment_id == assessment_id(place), RadActivity.indicator_code == data.indicator_code,
        RadActivity.title == data.title, RadActivity.agency_id == data.agency_id, RadActivity.year == data.year,
        col(RadActivity.removed_at).is_(None))).first()
    if same is not None:
        return same, False
    activity = RadActivity(assessment_id=assessment_id(place), created_by=saved_id(user.id), **asdict(data))
    session.add(activity)
    session.flush()
    audit.record(session, user, "rad.add", "radactivity", activity.id, regency_code=place.regency.code,
                 after=_audit_view(data))
    return activity, True


def edit(session: Session, place: Place, user: User, activity: RadActivity, data: ActivityData) -> bool:
    """Change an activity's plan (not where it stands: that is the reports'); False: nothing changed."""
    hold(session, place.assessment)
    before = _audit_view(activity)
    after = _audit_view(data)
    if before == after:
        return False
    for name, value in asdict(data).items():
        setattr(activity, name, value)
    activity.updated_at = utcnow()
    session.add(activity)
    audit.record(session, user, "rad.edit", "radactivity", activity.id, regency_code=place.regency.code,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return True


def remove(session: Session, place: Place, user: User, activity_id: int) -> RadActivity | None:
    """Take an activity out of the plan (the row and its reports stay); None: it was out already."""
    hold(session, place.assessment)
    activity = session.get(RadActivity, activity_id)
    if activity is None or activity.assessment_id != assessment_id(place):
        raise HTTPException(404, _("There is no such activity in this action plan."))
    if activity.removed_at is not None:
        return None
    activity.removed_at, activity.removed_by = utcnow(), saved_id(user.id)
    session.add(activity)
    audit.record(session, user, "rad.remove", "radactivity", activity.id, regency_code=place.regency.code,
                 before={"title": activity.title, "agency": activity.agency_id})
    return activity


def report(session: Session, place: Place, user: User, activity: RadActivity, data: ReportData,
           document_id: int | None) -> RadReport | None:
    """Append a progress report and let it set the activity's status and progress; the same report
    as the latest one (a double click, a resent form) is that one: None."""
    if not may_report(user, place, activity):
        raise NotAllowed(_("Only the OPD responsible for this activity (or the DP3A) reports on it."), status=403)
    hold(session, place.assessment)
    latest = session.exec(select(RadReport).where(RadReport.activity_id == activity.id)
                          .order_by(col(RadReport.id).desc())).first()
    if latest is not None and (latest.status, latest.progress, latest.realised, latest.note, latest.document_id) == (
            data.status, data.progress, data.realised, data.note, document_id):
        return None
    row = RadReport(activity_id=saved_id(activity.id), status=data.status, progress=data.progress,
                    realised=data.realised, note=data.note, document_id=document_id, reported_by=saved_id(user.id))
    session.add(row)
    activity.status, activity.progress, activity.updated_at = data.status, data.progress, utcnow()
    session.add(activity)
    session.flush()
    audit.record(session, user, "rad.report", "radreport", row.id, regency_code=place.regency.code,
                 after={"activity": activity.id, "status": data.status.value, "progress": data.progress,
                        "realised": str(data.realised) if data.realised is not None else None,
                        "document": document_id})
    return row
