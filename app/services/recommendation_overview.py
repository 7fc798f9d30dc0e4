"""Recommendations seen across cycles and places: those of earlier cycles still open (the
workspace card and the recommendations page of a new cycle), and the follow-up rates per kab/kota
and per province (the province and national pages). The rules of one recommendation live in
`app.services.recommendations`.

The rates are two aggregate queries (GROUP BY), whatever the number of kab/kota."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import Session, col, select

from app.models import Assessment, Cycle, Province, Recommendation, Regency, User, saved_id
from app.services.recommendations import Status, today, visible
from indicators import Catalogue


def earlier_assessments(session: Session, assessment: Assessment, year: int) -> dict[int, int]:
    """The kab/kota's assessments of earlier cycles: id -> year."""
    rows = session.exec(select(Assessment.id, Cycle.year).join(Cycle, col(Cycle.id) == col(Assessment.cycle_id))
                        .where(Assessment.regency_code == assessment.regency_code, Cycle.year < year)).all()
    return {saved_id(a): y for a, y in rows}


@dataclass
class Earlier:
    rec: Recommendation
    year: int


def still_open_earlier(session: Session, assessment: Assessment, year: int, user: User) -> list[Earlier]:
    """Recommendations of earlier cycles not closed yet (that `user` may see), newest cycle first."""
    years = earlier_assessments(session, assessment, year)
    if not years:
        return []
    recs = [r for r in visible(session, list(years), user) if r.status != Status.CLOSED]
    return sorted((Earlier(r, years[r.assessment_id]) for r in recs), key=lambda e: (-e.year, -(e.rec.id or 0)))


def earlier_on_question(session: Session, assessment: Assessment, year: int, user: User,
                        catalogue: Catalogue, code: str) -> list[Earlier]:
    """For the workspace card of question `code`: the open recommendations of earlier cycles on the
    question, and those on its indicator without a question."""
    ref = catalogue.questions.get(code)
    if ref is None:
        return []
    return [e for e in still_open_earlier(session, assessment, year, user)
            if e.rec.question_code == code or (e.rec.question_code is None
                                               and e.rec.indicator_code == ref.indicator.code)]


# -- follow-up rates -----------------------------------------------------------------------------


@dataclass
class Rates:
    """Counts per status of one kab/kota (or one province), and how many are overdue."""

    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def followed_up(self) -> int:
        return self.counts[Status.REPORTED] + self.counts[Status.CLOSED]

    @property
    def rate(self) -> int | None:
        """Followed up (reported or closed) over all, in whole per cent; None without recommendations."""
        return round(100 * self.followed_up / self.total) if self.total else None


def _overdue(on: date) -> ColumnElement[Any]:
    late = and_(col(Recommendation.status).in_((Status.OPEN, Status.ASSIGNED)),
                col(Recommendation.due_on).is_not(None), col(Recommendation.due_on) < on)
    return func.sum(case((late, 1), else_=0))


def _rates(session: Session, key: Any, year: int, where: ColumnElement[bool] | None = None) -> dict[str, Rates]:
    query = (select(key, Recommendation.status, func.count(), _overdue(today()))
             .select_from(Recommendation)
             .join(Assessment, col(Assessment.id) == col(Recommendation.assessment_id))
             .join(Cycle, col(Cycle.id) == col(Assessment.cycle_id))
             .join(Regency, col(Regency.code) == col(Assessment.regency_code))
             .where(Cycle.year == year))
    if where is not None:
        query = query.where(where)
    found: dict[str, Rates] = {}
    for code, status, count, late in session.exec(query.group_by(key, Recommendation.status)):
        rates = found.setdefault(code, Rates())
        rates.counts[Status(status)] += count
        rates.overdue += int(late or 0)
    return found


@dataclass
class RateRow:
    code: str
    name: str
    rates: Rates
    kab_kota: int = 0  # national rows: kab/kota of the province with recommendations


SORTS = ("name", "open", "overdue", "rate")


def _sorted(rows: list[RateRow], sort: str) -> list[RateRow]:
    """By name; by open or overdue ones, most first; by rate, lowest first (those needing a push)."""
    if sort == "open":
        return sorted(rows, key=lambda r: (-(r.rates.total - r.rates.counts[Status.CLOSED]), r.name))
    if sort == "overdue":
        return sorted(rows, key=lambda r: (-r.rates.overdue, r.name))
    if sort == "rate":
        return sorted(rows, key=lambda r: (r.rates.rate is None, r.rates.rate or 0, r.name))
    return sorted(rows, key=lambda r: r.name)


def province_rows(session: Session, province_code: str, year: int, sort: str = "name") -> list[RateRow]:
    """Every kab/kota of the province taking part in `year`, with its rates (none: all zero)."""
    rates = _rates(session, Regency.code, year, col(Regency.province_code) == province_code)
    regencies = session.exec(select(Regency.code, Regency.name)
                             .join(Assessment, col(Assessment.regency_code) == col(Regency.code))
                             .join(Cycle, col(Cycle.id) == col(Assessment.cycle_id))
                             .where(Regency.province_code == province_code, Cycle.year == year)).all()
    return _sorted([RateRow(code, name, rates.get(code, Rates())) for code, name in regencies], sort)


def national_rows(session: Session, year: int, sort: str = "name") -> list[RateRow]:
    """Every province, its recommendations summed over its kab/kota."""
    rates = _rates(session, Regency.province_code, year)
    with_recs = dict(session.exec(
        select(Regency.province_code, func.count(func.distinct(Assessment.regency_code)))
        .select_from(Recommendation).join(Assessment, col(Assessment.id) == col(Recommendation.assessment_id))
        .join(Cycle, col(Cycle.id) == col(Assessment.cycle_id))
        .join(Regency, col(Regency.code) == col(Assessment.regency_code))
        .where(Cycle.year == year).group_by(Regency.province_code)).all())
    provinces = session.exec(select(Province.code, Province.name)).all()
    return _sorted([RateRow(code, name, rates.get(code, Rates()), with_recs.get(code, 0))
                    for code, name in provinces], sort)
