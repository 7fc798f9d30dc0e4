"""The rest of the nation in the demo's 2024 season: the other provinces' kab/kota spread over the
stages and categories so that the national counts look like the published distribution (355
awarded of 464 taking part: 22 Utama, 69 Nindya, 125 Madya, 139 Pratama; 13 Provinsi Layak Anak).

Some 450 assessments with their answers and every stage's decisions: written in bulk (a few
INSERTs of many rows each, no ORM object per row) from a handful of planned answer sets
(`demo_season.plan_award`), so that `kla demo` stays quick. Nobody clicks through these kab/kota
as the DP3A: they have no agencies, assignments or evidence files, and no submission events; the
province's decisions are signed by a demo account of each province (also standing in for the
kab/kota's DP3A), the ministry's by the national admin.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, inspect
from sqlmodel import Session, SQLModel, col, select

from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    Award,
    Cycle,
    Province,
    Regency,
    ReviewAction,
    ReviewEvent,
    Role,
    StageChange,
    User,
    saved_id,
)
from app.services import audit
from app.services.demo_season import MOVED_ON, Plan, answers_for_target, decided_on, plan_award
from scoring import MOVES, Move, Scorer, Stage, deciding_stage, stages_reached
from scoring import Answer as ScoredAnswer

KALTENG = "62"
# The 2025 published distribution the demo's national counts follow.
PUBLISHED = {"utama": 22, "nindya": 69, "madya": 125, "pratama": 139}
PARTICIPANTS = 464
# Provinces whose every kab/kota ends at least Pratama: Provinsi Layak Anak (13 of them).
PROVILA = ("13", "14", "19", "21", "31", "32", "33", "34", "35", "36", "51", "64", "73")
# Where the participants without an award stopped (frozen there once the list was published).
EARLY_STAGES = (Stage.SELF,) * 7 + (Stage.PROVINCE,) * 7 + (Stage.MINISTRY,) * 4 + (Stage.FIELD,) * 2
TEMPLATES = 4  # planned answer sets per category (and for the early stages)
DEVIATION_REASON = ("Kasus kekerasan terhadap anak yang menonjol pada tahun penilaian belum tertangani; "
                    "kategori ditetapkan satu tingkat di bawah hasil nilai (rapat Tim Independen).")
# A decision to write: the stage, its own figure (None: the earlier one stands), who, when.
Decision = tuple[Stage, Decimal | None, int, datetime]
_ORDER = [Move.SUBMIT, Move.HAND_ON, Move.TO_FIELD, Move.TO_FINAL, Move.PUBLISH]


@dataclass
class Cast:
    """Who stands where: awarded kab/kota with their category, the others with their stage."""

    awarded: dict[str, str] = field(default_factory=dict)
    early: dict[str, Stage] = field(default_factory=dict)
    deviation: str | None = None  # a kab/kota whose category the ministry fixed below its band


def cast_nation(by_province: dict[str, list[str]], kalteng: dict[str, str | None], rng: random.Random) -> Cast:
    """Spread the kab/kota of every province but Kalimantan Tengah (`kalteng`: its categories, None for
    no award) so that the whole nation meets PUBLISHED, PARTICIPANTS and PROVILA exactly."""
    counts = Counter(PUBLISHED)
    counts.subtract(Counter(c for c in kalteng.values() if c))
    provila = [r for p in PROVILA for r in by_province.get(p, [])]
    rest = {p: regs for p, regs in sorted(by_province.items()) if p not in PROVILA}
    holdouts = {rng.choice(regs) for regs in rest.values()}  # one short of Pratama keeps a province out
    pool = [r for regs in rest.values() for r in regs if r not in holdouts]
    awarded = provila + rng.sample(pool, sum(counts.values()) - len(provila))
    chosen = set(awarded)
    others = sorted(holdouts) + [r for r in pool if r not in chosen]
    # Papua's kab/kota take part less often than others: they come first among those who stayed out.
    others.sort(key=lambda r: rng.random() * (0.4 if r.startswith("9") else 1.0))
    early = others[len(others) - (PARTICIPANTS - len(kalteng) - len(awarded)):]
    result = Cast(early={r: rng.choice(EARLY_STAGES) for r in early})
    in_provila = set(provila)
    awarded.sort(key=lambda r: rng.random() - (0.3 if r in in_provila else 0.0))
    position = 0
    for category in ("utama", "nindya", "madya", "pratama"):
        for regency in awarded[position:position + counts[category]]:
            result.awarded[regency] = category
        position += counts[category]
    result.deviation = next(r for r in awarded[::-1] if r not in in_provila)
    return result


def build_nation(session: Session, scorer: Scorer, cycle: Cycle, kalteng: dict[str, str | None], admin: User,
                 password_hash: str, rng: random.Random) -> int:
    """Write the other provinces' season; returns how many assessments it wrote (0 if already there)."""
    there = session.exec(select(Assessment.id).join(Regency, col(Regency.code) == col(Assessment.regency_code))
                         .where(Assessment.cycle_id == cycle.id, Regency.province_code != KALTENG)).first()
    if there is not None:
        return 0
    by_province: dict[str, list[str]] = {}
    for code, province in session.exec(select(Regency.code, Regency.province_code).order_by(Regency.code)):
        if province != KALTENG:
            by_province.setdefault(province, []).append(code)
    cast = cast_nation(by_province, kalteng, rng)
    codes = list(scorer.questions)
    plans = {c: [plan_award(scorer, codes, c, rng) for _ in range(TEMPLATES)] for c in PUBLISHED}
    early = [answers_for_target(scorer, codes, rng.uniform(300, 650), rng) for _ in range(TEMPLATES)]
    signers = _province_accounts(session, password_hash)
    # One row per assessment, then one bulk insert per table.
    stages = {r: Stage.AWARDED for r in cast.awarded} | cast.early
    order = sorted(stages)
    ids = session.execute(insert(Assessment).returning(col(Assessment.id), sort_by_parameter_order=True), [
        {"cycle_id": cycle.id, "regency_code": r, "stage": stages[r], "window_open": stages[r] == Stage.SELF,
         "submitted_at": None if stages[r] == Stage.SELF else MOVED_ON[Move.SUBMIT], "revision": 0}
        for r in order]).scalars().all()
    writer = _Writer(rng, admin, signers)
    for regency, assessment_id in zip(order, ids, strict=True):
        category = cast.awarded.get(regency)
        if category is not None:
            band = "madya" if regency == cast.deviation else category
            plan = rng.choice(plans[band])
            writer.awarded(assessment_id, regency, plan, category, reason=DEVIATION_REASON if band != category else "")
        else:
            writer.early(assessment_id, regency, stages[regency], rng.choice(early))
    writer.flush(session)
    audit.record(session, admin, "demo.nation", "cycle", cycle.id,
                 after={"assessments": len(order), "awarded": len(cast.awarded), "deviation": cast.deviation})
    return len(order)


def _province_accounts(session: Session, password_hash: str) -> dict[str, int]:
    """A province verifier for each province without one (they sign the province's decisions)."""
    have = {p: u for p, u in session.exec(select(User.province_code, User.id).where(User.role == Role.PROVINCE))}
    for province in session.exec(select(Province).order_by(Province.code)):
        if province.code in have:
            continue
        slug = "".join(ch for ch in province.name.lower() if ch.isalnum())
        username = f"prov.{slug}"[:60]
        # Every demo account has an address on the reserved domain (RFC 2606), as demo.py's do (issue 24).
        user = User(username=username, full_name=f"Verifikator Provinsi {province.name}", role=Role.PROVINCE,
                    password_hash=password_hash, province_code=province.code, email=f"{username}@example.org")
        session.add(user)
        session.flush()
        have[province.code] = user.id
    return {p: saved_id(u) for p, u in have.items() if p is not None}


class _Writer:
    """Collects the rows of many assessments, then writes each table in one executemany."""

    def __init__(self, rng: random.Random, admin: User, signers: dict[str, int]) -> None:
        self.rng = rng
        self.admin = saved_id(admin.id)
        self.signers = signers
        self.answers: list[dict[str, Any]] = []
        self.decisions: list[list[Decision]] = []  # per answer row
        self.changes: list[dict[str, Any]] = []
        self.awards: list[dict[str, Any]] = []
        self.assessment_ends: list[int] = []  # where each assessment's answers end in `answers`

    def _signer(self, stage: Stage, regency: str) -> int:
        return self.signers[regency[:2]] if stage in (Stage.DP3A, Stage.PROVINCE) else self.admin

    def _moves(self, assessment_id: int, regency: str, stage: Stage) -> None:
        for move in _ORDER:
            start, end = MOVES[move]
            if start == stage:
                break
            self.changes.append({"assessment_id": assessment_id, "move": move, "from_stage": start, "to_stage": end,
                                 "note": "", "at": MOVED_ON[move],
                                 "user_id": self._signer(Stage.PROVINCE if move in (Move.SUBMIT, Move.HAND_ON)
                                                         else Stage.MINISTRY, regency)})
            if end == stage:
                break

    def awarded(self, assessment_id: int, regency: str, plan: Plan, category: str, *, reason: str) -> None:
        self._moves(assessment_id, regency, Stage.AWARDED)
        dates = {s: decided_on(s, self.rng) for s in stages_reached(Stage.AWARDED)}
        for code, given in plan.answers.items():
            decisions: list[Decision] = []
            for stage in stages_reached(Stage.AWARDED):
                score = plan.score_at(stage, code)
                if stage in (Stage.FIELD, Stage.FINAL) and score is None:
                    continue  # they decide on what they change and inherit the rest
                decisions.append((stage, score, self._signer(stage, regency), dates[stage]))
            self._answer(assessment_id, code, given, AnswerStatus.APPROVED, decisions)
        self.assessment_ends.append(len(self.answers))
        self.awards.append({"assessment_id": assessment_id, "total": Decimal(plan.final_cents) / 100,
                            "band_category": plan.category, "category": category, "reason": reason,
                            "decided_by": self.admin, "decided_at": MOVED_ON[Move.PUBLISH] - timedelta(days=3)})

    def early(self, assessment_id: int, regency: str, stage: Stage, answers: dict[str, ScoredAnswer]) -> None:
        """Stopped at `stage`: earlier stages decided everything, the stage itself part of it."""
        self._moves(assessment_id, regency, stage)
        current = deciding_stage(stage)
        share = self.rng.uniform(0.3, 0.9)
        codes = sorted(answers)
        if stage == Stage.SELF:  # still filling in: part answered, part checked by the DP3A
            codes = self.rng.sample(codes, int(len(codes) * self.rng.uniform(0.3, 0.9)))
        dates = {s: decided_on(s, self.rng) for s in stages_reached(stage)}
        for code in codes:
            decisions: list[Decision] = []
            for review in stages_reached(stage):
                if review in (Stage.FIELD, Stage.FINAL) or (review == current and self.rng.random() > share):
                    continue
                decisions.append((review, None, self._signer(review, regency), dates[review]))
            status = AnswerStatus.APPROVED if decisions else (
                AnswerStatus.SUBMITTED if self.rng.random() < 0.6 else AnswerStatus.DRAFT)
            self._answer(assessment_id, code, answers[code], status, decisions)
        self.assessment_ends.append(len(self.answers))

    def _answer(self, assessment_id: int, code: str, given: ScoredAnswer, status: AnswerStatus,
                decisions: list[Decision]) -> None:
        self.answers.append({"assessment_id": assessment_id, "question_code": code, "option": given.option,
                             "value": given.value, "note": "", "not_applicable": False, "status": status,
                             "version": 1, "updated_at": MOVED_ON[Move.SUBMIT] - timedelta(days=10),
                             "submitted_at": None if status == AnswerStatus.DRAFT
                             else MOVED_ON[Move.SUBMIT] - timedelta(days=8)})
        self.decisions.append(decisions)

    def flush(self, session: Session) -> None:
        # Core statements on the tables: the ORM's bulk path costs more than the rows here. The answers
        # go in one statement per assessment: RETURNING across many batches of one statement gets slow.
        answers, events = _table(Answer), _table(ReviewEvent)
        answer_ids: list[int] = []
        start = 0
        for end in self.assessment_ends:
            answer_ids += session.execute(answers.insert().returning(answers.c.id, sort_by_parameter_order=True),
                                          self.answers[start:end]).scalars().all()
            start = end
        rows: list[dict[str, Any]] = [
            {"answer_id": answer_id, "stage": stage, "action": ReviewAction.APPROVED, "reasons": [], "note": "",
             "score": score, "user_id": user_id, "at": at}
            for answer_id, decisions in zip(answer_ids, self.decisions, strict=True)
            for stage, score, user_id, at in decisions]
        for table, table_rows in ((events, rows), (_table(StageChange), self.changes), (_table(Award), self.awards)):
            if table_rows:
                session.execute(table.insert(), table_rows)


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, inspect(model).local_table)
