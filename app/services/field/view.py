"""What the field pages read: one kab/kota's field verification (`field_page`) and the list of
assignments (`assignments`: a verifier's teams, or every kab/kota of the ministry's season)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.db import read_rows
from app.models import (
    Assessment,
    Cycle,
    FieldActivity,
    FieldSchedule,
    FieldTeamMember,
    Finding,
    FindingFile,
    Regency,
    ReviewAction,
    Role,
    User,
    saved_id,
)
from app.services.answers import scored_answers
from app.services.field.planning import schedule_of, start_problems, team, verifiers
from app.services.field.records import adjustment_note
from app.services.field.rights import FieldRights
from app.services.review import load_state
from indicators import Catalogue
from indicators.models import Indicator, Part
from scoring import REVIEW_STAGES, Scorer, SeasonScores, Stage, Verdict, season_scores

# The stages of the ministry's season an assignment list shows.
SEASON_LIST = (Stage.MINISTRY, Stage.FIELD, Stage.FINAL)


@dataclass
class FindingView:
    finding: Finding
    author: User | None
    activity: FieldActivity | None
    files: list[FindingFile]
    adjustments: list[tuple[str, object]]  # question code, the FIELD decision's row (its score)


@dataclass
class IndicatorView:
    part: Part
    indicator: Indicator
    ministry_cents: int  # what the ministry's review stands behind
    field_cents: int  # what field verification stands behind (the ministry's where it adjusted nothing)
    undecided: int  # answered questions the ministry has not decided (the figures are "so far")
    findings: list[FindingView] = field(default_factory=list)


@dataclass
class FieldPage:
    rights: FieldRights
    schedule: FieldSchedule | None
    team: list[tuple[FieldTeamMember, User]]
    activities: list[tuple[FieldActivity, User | None]]
    indicators: list[IndicatorView]
    scores: SeasonScores | None
    candidates: list[User]  # verifiers not on the team (for the ministry's form)
    problems: list[str]  # what keeps field verification from starting (for the ministry)

    @property
    def findings(self) -> int:
        return sum(len(i.findings) for i in self.indicators)


def field_page(session: Session, assessment: Assessment, catalogue: Catalogue, scorer: Scorer,
               rights: FieldRights) -> FieldPage:
    members = team(session, assessment)
    activities: list[tuple[FieldActivity, User | None]] = list(session.exec(
        select(FieldActivity, User).join(User, col(User.id) == FieldActivity.created_by, isouter=True)
        .where(FieldActivity.assessment_id == assessment.id)
        .order_by(col(FieldActivity.on), col(FieldActivity.id))))
    indicators: list[IndicatorView] = []
    scores = None
    if rights.findings:
        scores, indicators = _indicators(session, assessment, catalogue, scorer, rights,
                                         {a.id: a for a, _u in activities})
    candidates = []
    if rights.plan:
        on_team = {m.user_id for m, _u in members}
        candidates = [u for u in verifiers(session) if u.id not in on_team]
    return FieldPage(rights, schedule_of(session, assessment), members, activities, indicators, scores, candidates,
                     start_problems(session, assessment, catalogue) if rights.start else [])


def _indicators(session: Session, assessment: Assessment, catalogue: Catalogue, scorer: Scorer, rights: FieldRights,
                activities: dict[int | None, FieldActivity]) -> tuple[SeasonScores, list[IndicatorView]]:
    state = load_state(session, assessment)
    verdicts: dict[Stage, Mapping[str, Verdict]] = {stage: state.verdicts(stage) for stage in REVIEW_STAGES
                                                    if stage != Stage.FINAL}
    scores = season_scores(scorer, scored_answers(state.answers), verdicts, stages=(Stage.MINISTRY, Stage.FIELD))
    query = select(Finding).where(Finding.assessment_id == assessment.id)
    if not rights.sensitive:
        query = query.where(col(Finding.sensitive).is_(False))
    findings = list(session.exec(query.order_by(col(Finding.id))))
    files: dict[int, list[FindingFile]] = defaultdict(list)
    authors: dict[int, User] = {}
    if findings:
        for row in session.exec(select(FindingFile).where(col(FindingFile.finding_id).in_([f.id for f in findings]),
                                                          col(FindingFile.removed_at).is_(None))
                                .order_by(col(FindingFile.id))):
            files[row.finding_id].append(row)
        authors = {saved_id(u.id): u for u in session.exec(select(User).where(
            col(User.id).in_({f.created_by for f in findings})))}
    by_indicator: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_indicator[finding.indicator_code].append(finding)
    ministry, field_sheet = scores.sheets[Stage.MINISTRY], scores.sheets[Stage.FIELD]
    result = []
    for part in catalogue.data.parts:
        for indicator in part.indicators:
            answered = [q.code for q in indicator.questions if q.code in scores.self_assessed.questions]
            views = [FindingView(f, authors.get(f.created_by), activities.get(f.activity_id), files.get(saved_id(f.id), []),
                                 _adjustments(state, indicator, f)) for f in by_indicator.get(indicator.code, [])]
            result.append(IndicatorView(part, indicator, ministry.indicators[indicator.code],
                                        field_sheet.indicators[indicator.code],
                                        sum(1 for c in answered if c not in ministry.questions), views))
    return scores, result


def _adjustments(state: object, indicator: Indicator, finding: Finding) -> list[tuple[str, object]]:
    """The FIELD decisions a finding made: on its indicator's questions, by its author, with its text
    as their note (`adjustment_note`: a decision records no finding id, the note ties them)."""
    found = []
    for question in indicator.questions:
        answer = state.answers.get(question.code)  # type: ignore[attr-defined]
        if answer is None:
            continue
        for event in state.events.get(answer.id, []):  # type: ignore[attr-defined]
            if (event.stage == Stage.FIELD and event.action == ReviewAction.APPROVED
                    and event.note == adjustment_note(finding)
                    and event.user_id == finding.created_by and event.at >= finding.created_at):
                found.append((question.code, event))
                break
    return found


# -- the list of assignments ---------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    regency_code: str
    regency_name: str
    province_code: str
    year: int
    stage: Stage
    starts_on: date | None
    ends_on: date | None
    mode: str | None
    members: int
    lead: bool = False  # the user leads this team (a verifier's list)


def assignments(session: Session, user: User, *, year: int, province: str | None = None) -> list[Assignment]:
    """A verifier: the kab/kota whose team they are on (every year, the latest first). The ministry:
    every kab/kota of `year` in its part of the season (MINISTRY, FIELD, FINAL), in `province` when
    given. One query: the team sizes come from a grouped subquery, not one count per kab/kota."""
    sizes = (sa_select(col(FieldTeamMember.assessment_id).label("assessment_id"),
                       func.count(col(FieldTeamMember.id)).label("members"))
             .group_by(col(FieldTeamMember.assessment_id)).subquery())
    columns = [col(Regency.code), col(Regency.name), col(Regency.province_code), col(Cycle.year),
               col(Assessment.stage), col(FieldSchedule.starts_on), col(FieldSchedule.ends_on),
               col(FieldSchedule.mode), func.coalesce(sizes.c.members, 0)]
    query = (sa_select(*columns).select_from(Assessment)
             .join(Regency, col(Regency.code) == col(Assessment.regency_code))
             .join(Cycle, col(Cycle.id) == col(Assessment.cycle_id))
             .outerjoin(FieldSchedule, col(FieldSchedule.assessment_id) == col(Assessment.id))
             .outerjoin(sizes, sizes.c.assessment_id == col(Assessment.id)))
    if user.role == Role.VERIFIER:
        query = (query.add_columns(col(FieldTeamMember.lead))
                 .join(FieldTeamMember, col(FieldTeamMember.assessment_id) == col(Assessment.id))
                 .where(col(FieldTeamMember.user_id) == user.id)
                 .order_by(col(Cycle.year).desc(), col(FieldSchedule.starts_on), col(Regency.code)))
    else:
        query = (query.where(col(Cycle.year) == year, col(Assessment.stage).in_(SEASON_LIST))
                 .order_by(col(Regency.province_code), col(Regency.code)))
        if province:
            query = query.where(col(Regency.province_code) == province)
    return [Assignment(regency_code=row[0], regency_name=row[1], province_code=row[2], year=row[3],
                       stage=Stage(row[4]), starts_on=row[5], ends_on=row[6],
                       mode=str(row[7]) if row[7] is not None else None, members=int(row[8]),
                       lead=bool(row[9]) if len(row) > 9 else False)
            for row in read_rows(session, query)]
