"""The season's pipeline: how many kab/kota stand at each stage, by province and in total, and the
award distribution next to the published one. Aggregate queries (GROUP BY) only: the national page
counts 514 kab/kota in a handful of queries, never one per region.

A kab/kota with no assessment of the year is "not taking part" (`NOT_TAKING_PART`). An award's
category is shown as fixed to the ministry; to everyone else only once the list is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.cache import RevisionCache
from app.models import Assessment, Award, Cycle, Province, Regency, Role, StageChange, User
from indicators import Catalogue
from scoring import ASSESSMENT_STAGES, Stage
from scoring.provila import MINIMUM_CATEGORY

NOT_TAKING_PART = "none"  # the pipeline's column for kab/kota with no assessment this year
# The pipeline's columns, in order: every stage an assessment can stand at, then "not taking part".
COLUMNS: tuple[str, ...] = (*(s.value for s in ASSESSMENT_STAGES), NOT_TAKING_PART)
NO_AWARD = ""  # Award.category for "no award"
OTHER = "other"  # a category the catalogue does not know (kept apart rather than counted as no award)


def stage_filter(value: str) -> str:
    """The `?tahap=` filter: a pipeline column, or "" (no filter) for anything else."""
    return value if value in COLUMNS else ""


def province_filter(session: Session, value: str) -> str:
    """The `?provinsi=` filter: an existing province's code, or "" for anything else."""
    if not (len(value) == 2 and value.isascii() and value.isdigit()):
        return ""
    return value if session.get(Province, value) is not None else ""


@dataclass
class Line:
    """One row of the pipeline: kab/kota per column (stage or not taking part)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    @property
    def regions(self) -> int:
        return sum(self.counts.values())

    @property
    def taking_part(self) -> int:
        return self.regions - self.counts[NOT_TAKING_PART]


@dataclass
class ProvinceLine(Line):
    code: str = ""
    name: str = ""
    provila: bool = False  # every kab/kota of the province has an award of Pratama or above fixed


@dataclass
class Distribution:
    """Kab/kota per award category (band code; `NO_AWARD`; `OTHER`)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Listed:
    """A kab/kota in the list under the filters: where it stands and since when."""

    code: str
    name: str
    province_name: str
    stage: str
    since: datetime | None


@dataclass
class NationalPipeline:
    lines: list[ProvinceLine]
    total: Line
    fixed: Distribution  # the awards the ministry has fixed this cycle
    published: Distribution | None  # the published list's (None: not yet published)
    published_at: datetime | None
    previous_year: int | None  # the last earlier cycle with a published list
    previous: Distribution | None
    provila: int
    listed: list[Listed] | None  # None: no stage filter, no list


def award_columns(catalogue: Catalogue) -> list[str]:
    """The distribution's rows: the award bands from the highest (Utama) down, then no award."""
    return [b.code for b in reversed(catalogue.bands) if b.award] + [NO_AWARD]


def category_code(catalogue: Catalogue, category: str) -> str:
    """An Award's category as a band code: its code or its name as written; "" stays no award."""
    wanted = category.strip().lower()
    if not wanted:
        return NO_AWARD
    for band in catalogue.bands:
        if wanted in (band.code.lower(), band.name.lower()):
            return band.code if band.award else NO_AWARD
    return OTHER


def stage_lines(session: Session, cycle: Cycle, province_code: str = "") -> dict[str, ProvinceLine]:
    """Kab/kota per stage, per province (every province, in code order; one if `province_code`)."""
    query = (select(Regency.province_code, Province.name, Assessment.stage, func.count())
             .select_from(Regency).join(Province, col(Province.code) == col(Regency.province_code))
             .outerjoin(Assessment, and_(col(Assessment.regency_code) == col(Regency.code),
                                         col(Assessment.cycle_id) == cycle.id))
             .group_by(col(Regency.province_code), col(Province.name), col(Assessment.stage)))
    if province_code:
        query = query.where(col(Regency.province_code) == province_code)
    lines: dict[str, ProvinceLine] = {}
    for code, name, stage, count in session.exec(query).all():
        line = lines.setdefault(code, ProvinceLine(code=code, name=name))
        line.counts[NOT_TAKING_PART if stage is None else Stage(stage).value] += count
    return dict(sorted(lines.items()))


def distribution(session: Session, catalogue: Catalogue, cycle_id: int, *, province_code: str = "",
                 published_only: bool = False) -> Distribution:
    """Awards per category in a cycle (`published_only`: of the kab/kota the published list awarded)."""
    query = (select(Award.category, func.count()).join(Assessment, col(Assessment.id) == col(Award.assessment_id))
             .where(col(Assessment.cycle_id) == cycle_id).group_by(col(Award.category)))
    if province_code:
        query = query.join(Regency, col(Regency.code) == col(Assessment.regency_code)).where(
            col(Regency.province_code) == province_code)
    if published_only:
        query = query.where(col(Assessment.stage) == Stage.AWARDED)
    counts = dict.fromkeys(award_columns(catalogue), 0)
    for category, count in session.exec(query).all():
        key = category_code(catalogue, category)
        counts[key] = counts.get(key, 0) + count
    return Distribution(counts)


def _provila_provinces(session: Session, catalogue: Catalogue, cycle_id: int,
                       lines: dict[str, ProvinceLine]) -> None:
    """Mark the provinces whose every kab/kota has an award of at least Pratama fixed (one query)."""
    order = [b.code for b in catalogue.bands]
    enough = set(order[order.index(MINIMUM_CATEGORY):])
    query = (select(Regency.province_code, Award.category, func.count())
             .select_from(Award).join(Assessment, col(Assessment.id) == col(Award.assessment_id))
             .join(Regency, col(Regency.code) == col(Assessment.regency_code))
             .where(col(Assessment.cycle_id) == cycle_id)
             .group_by(col(Regency.province_code), col(Award.category)))
    qualifying: dict[str, int] = {}
    for code, category, count in session.exec(query).all():
        if category_code(catalogue, category) in enough:
            qualifying[code] = qualifying.get(code, 0) + count
    for code, line in lines.items():
        line.provila = line.regions > 0 and qualifying.get(code, 0) >= line.regions


def previous_published(session: Session, year: int) -> Cycle | None:
    """The last cycle before `year` whose award list is published."""
    return session.exec(select(Cycle).where(col(Cycle.year) < year, col(Cycle.published_at).is_not(None))
                        .order_by(col(Cycle.year).desc())).first()


def listed(session: Session, cycle: Cycle, stage: str, province_code: str = "") -> list[Listed]:
    """The kab/kota in one pipeline column, and when each reached its stage (its latest move there)."""
    reached = (select(StageChange.assessment_id, StageChange.to_stage, func.max(StageChange.at).label("since"))
               .group_by(col(StageChange.assessment_id), col(StageChange.to_stage)).subquery())
    query = (sa_select(col(Regency.code), col(Regency.name), col(Province.name), col(Assessment.stage),
                       reached.c.since)
             .select_from(Regency).join(Province, col(Province.code) == col(Regency.province_code))
             .outerjoin(Assessment, and_(col(Assessment.regency_code) == col(Regency.code),
                                         col(Assessment.cycle_id) == cycle.id))
             .outerjoin(reached, and_(reached.c.assessment_id == col(Assessment.id),
                                      reached.c.to_stage == col(Assessment.stage)))
             .order_by(col(Regency.code)))
    if stage == NOT_TAKING_PART:
        query = query.where(col(Assessment.id).is_(None))
    elif stage:
        query = query.where(col(Assessment.stage) == Stage(stage))
    if province_code:
        query = query.where(col(Regency.province_code) == province_code)
    return [Listed(code, name, province, NOT_TAKING_PART if at is None else Stage(at).value, since)
            for code, name, province, at, since in session.execute(query).all()]


_figures: RevisionCache = RevisionCache(size=64)


def season_state(session: Session, cycle: Cycle) -> tuple[object, ...]:
    """What the national figures are made of, in one cheap query: the cycle's assessments (how many,
    the last one opened, the sum of their revisions: every stage move, award and publication is
    audited, and `audit.record` bumps the assessment's revision), the regions, the publication."""
    assessments = session.execute(
        sa_select(func.count(col(Assessment.id)), func.max(col(Assessment.id)), func.sum(col(Assessment.revision)))
        .where(col(Assessment.cycle_id) == cycle.id)).one()
    regions = session.execute(sa_select(func.count()).select_from(Regency)).scalar()
    previous = previous_published(session, cycle.year)
    return (cycle.id, cycle.published_at, *assessments, regions, previous.id if previous is not None else None)


def national_pipeline(session: Session, catalogue: Catalogue, cycle: Cycle, *, province_code: str = "",
                      stage: str = "") -> NationalPipeline:
    """The national page's figures, kept per state of the season (`season_state`): the page is the
    same for every ministry user until an assessment of the cycle changes."""
    key = ("national", id(catalogue), season_state(session, cycle), province_code, stage)
    return _figures.get(session.get_bind(), key,
                        lambda: _national(session, catalogue, cycle, province_code=province_code, stage=stage))


def _national(session: Session, catalogue: Catalogue, cycle: Cycle, *, province_code: str,
              stage: str) -> NationalPipeline:
    """The national page's figures; the filters narrow the provinces and list one column's kab/kota."""
    assert cycle.id is not None
    lines = stage_lines(session, cycle, province_code)
    _provila_provinces(session, catalogue, cycle.id, lines)
    total = Line()
    for line in lines.values():
        for key, count in line.counts.items():
            total.counts[key] += count
    previous = previous_published(session, cycle.year)
    return NationalPipeline(
        lines=list(lines.values()), total=total,
        fixed=distribution(session, catalogue, cycle.id, province_code=province_code),
        published=(distribution(session, catalogue, cycle.id, province_code=province_code, published_only=True)
                   if cycle.published_at is not None else None),
        published_at=cycle.published_at,
        previous_year=previous.year if previous is not None else None,
        previous=(distribution(session, catalogue, previous.id, province_code=province_code, published_only=True)
                  if previous is not None and previous.id is not None else None),
        provila=sum(1 for line in lines.values() if line.provila),
        listed=listed(session, cycle, stage, province_code) if stage else None,
    )


# -- one province ---------------------------------------------------------------------------------


def sees_fixed_awards(user: User, cycle: Cycle) -> bool:
    """An award's category before the list is published: the ministry (its national team and reviewers);
    everyone once it is published."""
    return cycle.published_at is not None or user.role in (Role.ADMIN, Role.REVIEWER)


def sees_fixed_awards_in(session: Session, user: User, year: int) -> bool:
    """`sees_fixed_awards` for the cycle of `year` (no cycle: no award to see)."""
    cycle = session.exec(select(Cycle).where(col(Cycle.year) == year)).first()
    return cycle is not None and sees_fixed_awards(user, cycle)


@dataclass
class ProvinceRow:
    code: str
    name: str
    stage: str  # a Stage value or NOT_TAKING_PART
    since: datetime | None
    award: str | None  # band code / NO_AWARD / OTHER; None: none fixed, or not for this user's eyes


@dataclass
class ProvincePipeline:
    line: ProvinceLine
    rows: list[ProvinceRow]
    fixed: Distribution | None  # None: not for this user's eyes before publication
    published: Distribution | None
    previous_year: int | None
    previous: Distribution | None


def province_pipeline(session: Session, catalogue: Catalogue, cycle: Cycle, province_code: str,
                      user: User) -> ProvincePipeline:
    assert cycle.id is not None
    lines = stage_lines(session, cycle, province_code)
    _provila_provinces(session, catalogue, cycle.id, lines)
    line = lines.get(province_code) or ProvinceLine(code=province_code)
    show = sees_fixed_awards(user, cycle)
    awards: dict[str, str] = {}
    if show:
        query = (select(Assessment.regency_code, Award.category)
                 .join(Assessment, col(Assessment.id) == col(Award.assessment_id))
                 .join(Regency, col(Regency.code) == col(Assessment.regency_code))
                 .where(col(Assessment.cycle_id) == cycle.id, col(Regency.province_code) == province_code))
        if cycle.published_at is not None and user.role not in (Role.ADMIN, Role.REVIEWER):
            query = query.where(col(Assessment.stage) == Stage.AWARDED)
        awards = {code: category_code(catalogue, category) for code, category in session.exec(query).all()}
    rows = [ProvinceRow(r.code, r.name, r.stage, r.since, awards.get(r.code))
            for r in listed(session, cycle, "", province_code)]
    ministry = user.role in (Role.ADMIN, Role.REVIEWER)
    previous = previous_published(session, cycle.year)
    return ProvincePipeline(
        line=line, rows=rows,
        fixed=distribution(session, catalogue, cycle.id, province_code=province_code) if ministry else None,
        published=(distribution(session, catalogue, cycle.id, province_code=province_code, published_only=True)
                   if cycle.published_at is not None else None),
        previous_year=previous.year if previous is not None else None,
        previous=(distribution(session, catalogue, previous.id, province_code=province_code, published_only=True)
                  if previous is not None and previous.id is not None else None),
    )
