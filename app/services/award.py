"""The award: the category the ministry fixes for each kab/kota from its final total, the award
list of the year, Provila, and the publication that freezes the year.

- The bands decide (`scoring.category_for` on the FINAL sheet; below Pratama: no award). The
  ministry may fix another category, with a written reason.
- An award is fixed on the final total of that moment: a final figure changed afterwards makes it
  stale, and the year cannot be published until it is fixed again.
- Publication moves every kab/kota at FINAL that has an award to AWARDED and freezes the year
  (`season.frozen`): awards and final figures are read-only from then on. Before it, only the
  ministry sees the list (a draft); after it, every signed-in user (it is public information).

Nothing here commits: the route commits its one unit of work."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app import access
from app.i18n import N_, pick
from app.i18n import gettext as _
from app.models import Assessment, Award, Cycle, Province, Regency, User, saved_id, utcnow
from app.refusals import NotAllowed, Refusal
from app.services import audit, review, season, season_years
from app.services.answers import scored_answers
from indicators import Band, Catalogue
from scoring import (
    REVIEW_STAGES,
    Move,
    ProvilaStatus,
    Scorer,
    Stage,
    category_for,
    from_cents,
    provila_status,
    season_scores,
)

NO_AWARD = ""  # Award.category (and band_category) of a kab/kota below Pratama, or fixed without one
NO_AWARD_LABEL = N_("No award")


def award_bands(catalogue: Catalogue) -> list[Band]:
    """The categories that are an award, highest first (as the list and the form show them)."""
    return [band for band in reversed(catalogue.bands) if band.award]


def category_codes(catalogue: Catalogue) -> list[str]:
    """What the ministry may fix: an award category, or no award."""
    return [band.code for band in award_bands(catalogue)] + [NO_AWARD]


@dataclass(frozen=True)
class FinalTotal:
    """An assessment's final total and what the bands make of it."""

    cents: int
    complete: bool  # every answered question has a final figure (FINAL inherits the field standing)
    undecided: int
    band: Band
    band_category: str  # the band's code, or NO_AWARD below Pratama


def final_total(session: Session, scorer: Scorer, assessment: Assessment) -> FinalTotal:
    state = review.load_state(session, assessment)
    scores = season_scores(scorer, scored_answers(state.answers),
                             {stage: state.verdicts(stage) for stage in REVIEW_STAGES})
    total = scores.totals[Stage.FINAL]
    band = category_for(scorer, scores.sheets[Stage.FINAL])
    return FinalTotal(total.points, total.complete, total.undecided, band, band.code if band.award else NO_AWARD)


def award_of(session: Session, assessment: Assessment) -> Award | None:
    return session.exec(select(Award).where(Award.assessment_id == assessment.id)).first()


def is_stale(award: Award, total: FinalTotal) -> bool:
    """The final total changed since the award was fixed."""
    return from_cents(total.cents) != Decimal(award.total)


def check_award_open(assessment: Assessment, cycle: Cycle, total: FinalTotal | None = None) -> None:
    if season.frozen(cycle):
        raise NotAllowed(_("The award list of %(year)s is published: awards are read-only.") % {"year": cycle.year},
                         code="frozen")
    if assessment.stage != Stage.FINAL:
        raise NotAllowed(_("An award is fixed once final verification has started."), code="not_final")
    if total is not None and not total.complete:
        raise NotAllowed(_("Final verification is not complete: %(n)s questions have no final figure yet.")
                         % {"n": total.undecided}, code="final_incomplete")


def fix_award(session: Session, catalogue: Catalogue, assessment: Assessment, cycle: Cycle, user: User,
              total: FinalTotal, category: str, reason: str) -> Award | None:
    """Fix (or change) the award of the kab/kota; None: the same award stands already (nothing written)."""
    check_award_open(assessment, cycle, total)
    if category not in category_codes(catalogue):
        raise Refusal(_("Choose a category."), code="unknown_category")
    if category != total.band_category and not reason:
        raise Refusal(_("A category other than the one the final total gives needs a written reason."),
                      code="reason_required")
    amount = from_cents(total.cents)
    award = award_of(session, assessment)
    before = _values(award) if award is not None else None
    if award is not None and before == {"total": str(amount), "band_category": total.band_category,
                                        "category": category, "reason": reason}:
        return None
    if award is None:
        award = Award(assessment_id=saved_id(assessment.id), total=amount, band_category=total.band_category,
                      category=category, reason=reason, decided_by=saved_id(user.id))
        season_years.forget_after_commit(session)  # the menu's award list may move to this year
    else:
        award.total, award.band_category, award.category, award.reason = amount, total.band_category, category, reason
        award.decided_by, award.decided_at = saved_id(user.id), utcnow()
    session.add(award)
    session.flush()
    audit.record(session, user, "award.fix", "award", award.id, regency_code=assessment.regency_code,
                 before=before, after=_values(award))
    return award


def _values(award: Award) -> dict[str, str]:
    return {"total": str(Decimal(award.total).quantize(Decimal("0.01"))), "band_category": award.band_category,
            "category": award.category, "reason": award.reason}


# -- the list of the year ---------------------------------------------------------------------------


def may_see_list(user: User, cycle: Cycle) -> bool:
    """The ministry always; once published, every signed-in user (the list is public information)."""
    return access.may_run_season(user) or season.frozen(cycle)


@dataclass(frozen=True)
class AwardRow:
    province: Province
    regency: Regency
    assessment: Assessment
    award: Award


@dataclass(frozen=True)
class ProvilaRow:
    province: Province
    regions: int
    awarded: int  # kab/kota holding an award category
    status: ProvilaStatus
    holding_back: list[str]  # names of the kab/kota holding it back


@dataclass
class AwardList:
    cycle: Cycle
    rows: list[AwardRow]  # every fixed award, sorted by province then kab/kota
    counts: dict[str, int]  # by category (NO_AWARD included), over every fixed award
    provila: list[ProvilaRow]
    without_award: list[tuple[Province, Regency]] = field(default_factory=list)  # at FINAL, no award yet
    before_final: int = 0  # assessments of the year not yet at FINAL

    def shown(self, province: str, category: str) -> list[AwardRow]:
        """The rows a filter keeps ("" keeps every province or category; "none": no award)."""
        wanted = NO_AWARD if category == "none" else category
        return [r for r in self.rows if (not province or r.province.code == province)
                and (not category or r.award.category == wanted)]

    @property
    def provila_count(self) -> int:
        return sum(1 for p in self.provila if p.status.qualifies)


def cycle_of(session: Session, year: int) -> Cycle | None:
    return session.exec(select(Cycle).where(Cycle.year == year)).first()


def award_list(session: Session, catalogue: Catalogue, cycle: Cycle) -> AwardList:
    provinces = {p.code: p for p in session.exec(select(Province))}
    regencies = session.exec(select(Regency).order_by(col(Regency.name))).all()
    assessments = {a.regency_code: a for a in session.exec(select(Assessment).where(Assessment.cycle_id == cycle.id))}
    awards = {w.assessment_id: w for w in session.exec(
        select(Award).join(Assessment, col(Assessment.id) == col(Award.assessment_id))
        .where(Assessment.cycle_id == cycle.id))}
    rows: list[AwardRow] = []
    without: list[tuple[Province, Regency]] = []
    by_province: dict[str, list[Regency]] = {}
    categories: dict[str, str | None] = {}
    for regency in regencies:
        by_province.setdefault(regency.province_code, []).append(regency)
        assessment = assessments.get(regency.code)
        award = awards.get(cast(int, assessment.id)) if assessment is not None else None
        categories[regency.code] = award.category if award is not None else None
        if assessment is not None and award is not None:
            rows.append(AwardRow(provinces[regency.province_code], regency, assessment, award))
        elif assessment is not None and assessment.stage == Stage.FINAL:
            without.append((provinces[regency.province_code], regency))
    rows.sort(key=lambda r: (r.province.name, r.regency.name))
    without.sort(key=lambda pair: (pair[0].name, pair[1].name))
    provila = []
    for code, province in sorted(provinces.items(), key=lambda item: item[1].name):
        members = by_province.get(code, [])
        if not members:
            continue
        # Every kab/kota of the province counts: one without an award (or below Pratama) holds it back.
        status = provila_status(catalogue, {r.code: categories[r.code] for r in members})
        names = {r.code: r.name for r in members}
        awarded = sum(1 for r in members if categories[r.code])
        provila.append(ProvilaRow(province, len(members), awarded, status, [names[c] for c in status.holding_back]))
    before_final = sum(1 for a in assessments.values() if a.stage not in (Stage.FINAL, Stage.AWARDED))
    return AwardList(cycle, rows, dict(Counter(r.award.category for r in rows)), provila, without, before_final)


# -- publication ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishCheck:
    to_publish: list[AwardRow]  # at FINAL with an award: moved to AWARDED
    stale: list[AwardRow]  # the final total changed since the award was fixed

    @property
    def ready(self) -> bool:
        return bool(self.to_publish) and not self.stale


def publish_check(session: Session, scorer: Scorer, listing: AwardList) -> PublishCheck:
    """What publishing would do (the confirmation step shows it) and what stops it."""
    to_publish = [r for r in listing.rows if r.assessment.stage == Stage.FINAL]
    stale = [r for r in to_publish if is_stale(r.award, final_total(session, scorer, r.assessment))]
    return PublishCheck(to_publish, stale)


def check_not_published(cycle: Cycle) -> None:
    if season.frozen(cycle):
        raise NotAllowed(_("The award list of %(year)s has been published already: nothing changed.")
                         % {"year": cycle.year}, code="already_published")


def publish(session: Session, cycle: Cycle, check: PublishCheck, user: User) -> int:
    """Publish the year's list: the cycle is frozen and every kab/kota at FINAL with an award moves
    to AWARDED. Returns how many moved. Happens once (the second request finds it published)."""
    check_not_published(cycle)
    if not check.to_publish:
        raise NotAllowed(_("No award is fixed yet: there is nothing to publish."), code="nothing_to_publish")
    if check.stale:
        names = ", ".join(r.regency.name for r in check.stale)
        raise NotAllowed(_("The final total changed after the award was fixed: fix the award again first (%(names)s).")
                         % {"names": names}, code="stale_award")
    now = utcnow()
    # Of two publications at once (a double click, two tabs), the first UPDATE wins; the other finds it done.
    done = cast(CursorResult[Any], session.execute(
        update(Cycle).where(col(Cycle.id) == cycle.id, col(Cycle.published_at).is_(None))
        .values(published_at=now, published_by=user.id).execution_options(synchronize_session=False)))
    if done.rowcount != 1:
        session.refresh(cycle)
        check_not_published(cycle)
    set_committed_value(cycle, "published_at", now)
    set_committed_value(cycle, "published_by", user.id)
    season_years.forget_after_commit(session)  # the year switcher of the award list offers it to everyone now
    for row in check.to_publish:
        season.move(session, row.assessment, Move.PUBLISH, user)
    counts = Counter(r.award.category for r in check.to_publish)
    audit.record(session, user, "cycle.publish", "cycle", cycle.id, regency_code=None,
                 before={"published_at": None},
                 after={"published_at": now.isoformat(), "year": cycle.year, "awarded": len(check.to_publish),
                        "categories": {k or "none": v for k, v in sorted(counts.items())}})
    return len(check.to_publish)


def category_label(catalogue: Catalogue, code: str) -> str:
    """A category as the pages name it: the band's name, or "No award"."""
    bands = {b.code: b for b in catalogue.bands}
    return pick(bands[code].name, bands[code].name_en) if code in bands else _(NO_AWARD_LABEL)

