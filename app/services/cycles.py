"""A new evaluation cycle, and last cycle's answers carried forward for the DP3A to confirm.

When the instrument changes between years, a mapping file says which old
question code became which new one (`old: new`, or `old: null` for a question
that no longer exists); codes not in the mapping keep their code if the new
instrument still has it.

Nothing here commits: the `kla cycle open` command and the carry-over route do, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlmodel import Session, col, select

from app.i18n import gettext as _
from app.models import (
    Answer,
    Assessment,
    CarryOver,
    CarryStatus,
    Cycle,
    Document,
    Evidence,
    Regency,
    User,
    saved_id,
    utcnow,
)
from app.refusals import NotAllowed, Refusal
from app.services import audit, documents, season_years
from app.services.answers import is_answered, scored
from app.services.evidence import EvidenceAccess
from app.services.setup import open_assessment
from indicators import Catalogue
from scoring import AnswerError, Scorer, Stage


class MappingError(Refusal):
    """The mapping file cannot be used; the message says why, in Indonesian."""


def load_mapping(path: Path, catalogue: Catalogue) -> dict[str, str | None]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"Berkas pemetaan tidak dapat dibaca: {exc}") from None
    if not isinstance(raw, dict):
        raise MappingError("Berkas pemetaan harus berisi pasangan kode_lama: kode_baru.")
    mapping: dict[str, str | None] = {}
    for old, new in raw.items():
        if new is not None and str(new) not in catalogue.questions:
            raise MappingError(f"Kode baru '{new}' (untuk '{old}') tidak ada dalam instrumen.")
        mapping[str(old)] = None if new is None else str(new)
    return mapping


def new_code(old: str, mapping: dict[str, str | None], catalogue: Catalogue) -> str | None:
    if old in mapping:
        return mapping[old]
    return old if old in catalogue.questions else None


def ensure_year(session: Session, catalogue: Catalogue, year: int) -> Cycle:
    cycle = session.exec(select(Cycle).where(Cycle.year == year)).first()
    if cycle is None:
        info = catalogue.data.instrument
        cycle = Cycle(year=year, instrument_code=info.code, instrument_version=info.version)
        session.add(cycle)
        session.flush()
        season_years.forget_after_commit(session)  # the menus' pipeline link goes to the latest cycle
    return cycle


@dataclass
class OpenedCycle:
    cycle: Cycle
    assessments: int
    proposed: int


def open_cycle(
    session: Session,
    catalogue: Catalogue,
    year: int,
    *,
    from_year: int | None = None,
    mapping: dict[str, str | None] | None = None,
    province_code: str | None = None,
) -> OpenedCycle:
    """Open `year` for every kab/kota that took part in `from_year` (or all of a province),
    proposing their answers for the DP3A to confirm."""
    mapping = mapping or {}
    cycle = ensure_year(session, catalogue, year)
    previous = session.exec(select(Cycle).where(Cycle.year == from_year)).first() if from_year else None
    regencies_query = select(Regency)
    if province_code:
        regencies_query = regencies_query.where(Regency.province_code == province_code)
    if previous is not None:
        regencies_query = regencies_query.join(Assessment, col(Assessment.regency_code) == Regency.code).where(
            Assessment.cycle_id == previous.id)
    opened = proposed = 0
    for regency in session.exec(regencies_query.order_by(Regency.code)).all():
        assessment = open_assessment(session, regency, cycle, catalogue)
        opened += 1
        if previous is None:
            continue
        old = session.exec(select(Assessment).where(Assessment.cycle_id == previous.id,
                                                    Assessment.regency_code == regency.code)).first()
        proposed += _propose(session, assessment, old, mapping, catalogue)
    return OpenedCycle(cycle, opened, proposed)


def _propose(session: Session, assessment: Assessment, old: Assessment | None, mapping: dict[str, str | None],
             catalogue: Catalogue) -> int:
    if old is None:  # the regency was selected for taking part in the previous cycle
        return 0
    existing = set(session.exec(select(CarryOver.question_code).where(CarryOver.assessment_id == assessment.id)))
    count = 0
    for answer in session.exec(select(Answer).where(Answer.assessment_id == old.id)):
        code = new_code(answer.question_code, mapping, catalogue)
        if code is None or code in existing or not is_answered(answer):
            continue
        session.add(CarryOver(assessment_id=saved_id(assessment.id), question_code=code, source_answer_id=saved_id(answer.id)))
        existing.add(code)
        count += 1
    return count


class CarryError(Refusal):
    """One proposed answer cannot be carried over; `code` says why (already_decided, already_answered,
    off_scale)."""


def _already_decided() -> CarryError:
    return CarryError(_("This answer has already been accepted or rejected."), code="already_decided")


@dataclass
class CarryOutcome:
    done: int = 0
    refused: int = 0  # already decided, already answered, or no longer on the scale
    withheld: int = 0  # sensitive files not copied (`Carried.withheld_files`)


def check_carry_open(assessment: Assessment) -> None:
    """Carrying over is for the kab/kota's own stage only."""
    if assessment.stage != Stage.SELF:
        raise NotAllowed(_("This cycle has been submitted: nothing can be carried over now."))


def proposed(session: Session, assessment_id: int) -> list[CarryOver]:
    """The carries still waiting for the DP3A's word."""
    return list(session.exec(select(CarryOver).where(CarryOver.assessment_id == assessment_id,
                                                     CarryOver.status == CarryStatus.PROPOSED)).all())


def decide(session: Session, scorer: Scorer, assessment: Assessment, user: User, carries: Sequence[CarryOver],
           *, accepted: bool) -> CarryOutcome:
    """Accept (or reject) each of `carries`; those that cannot be carried over are counted, not raised."""
    check_carry_open(assessment)
    outcome = CarryOutcome()
    for carry in carries:
        try:
            if accepted:
                outcome.withheld += accept(session, scorer, assessment, carry, user).withheld_files
            else:
                reject(session, assessment, carry, user)
            outcome.done += 1
        except CarryError:
            outcome.refused += 1
    return outcome


@dataclass
class Carried:
    answer: Answer
    withheld_files: int  # sensitive files not copied onto a question that is not sensitive


def accept(session: Session, scorer: Scorer, assessment: Assessment, carry: CarryOver, user: User) -> Carried:
    """Copy the old answer (and its current evidence, without copying files) into this cycle as a draft.

    A file goes along only where `EvidenceAccess` allows it: one the user may see, and a sensitive file
    only onto a sensitive question (an instrument change may map a sensitive question onto another)."""
    if carry.status != CarryStatus.PROPOSED:
        raise _already_decided()
    source = session.get(Answer, carry.source_answer_id)
    assert source is not None  # a foreign key; answers are never deleted
    present = session.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                                Answer.question_code == carry.question_code)).first()
    if present is not None and is_answered(present):
        raise CarryError(_("The question is already answered in this cycle."), code="already_answered")
    value = scored(source)
    if value is not None:
        try:
            scorer.question_points(carry.question_code, value)
        except AnswerError:
            raise CarryError(_("The answer no longer fits the question's scale."), code="off_scale") from None
    answer = present or Answer(assessment_id=saved_id(assessment.id), question_code=carry.question_code, updated_by=user.id)
    answer.option, answer.value = source.option, source.value
    answer.not_applicable, answer.note = source.not_applicable, source.note
    answer.updated_by, answer.updated_at = user.id, utcnow()
    session.add(answer)
    session.flush()
    regency = session.get(Regency, assessment.regency_code)
    assert regency is not None and answer.id is not None
    evidence_access = EvidenceAccess(session, scorer.catalogue, user, regency_code=regency.code,
                                     province_code=regency.province_code, assessment_id=saved_id(assessment.id),
                                     stage=assessment.stage)
    withheld = 0
    for evidence in session.exec(select(Evidence).where(Evidence.answer_id == source.id, col(Evidence.removed_at).is_(None))):
        if not (evidence_access.may_see(evidence, source.question_code)
                and evidence_access.may_attach(evidence.sha256, carry.question_code)):
            withheld += 1
            continue
        source_document = session.get(Document, evidence.document_id) if evidence.document_id else None
        document = (documents.carry_document(session, saved_id(assessment.id), source_document, user)
                    if source_document is not None
                    else documents.library_document(session, saved_id(assessment.id), evidence.sha256,
                                                    evidence.filename, user))
        documents.link(session, saved_id(answer.id), document, user, evidence.filename)
    _decide(session, assessment, carry, CarryStatus.ACCEPTED, user)
    return Carried(answer, withheld)


def reject(session: Session, assessment: Assessment, carry: CarryOver, user: User) -> None:
    if carry.status != CarryStatus.PROPOSED:
        raise _already_decided()
    _decide(session, assessment, carry, CarryStatus.REJECTED, user)


def _decide(session: Session, assessment: Assessment, carry: CarryOver, status: CarryStatus, user: User) -> None:
    carry.status, carry.decided_by, carry.decided_at = status, user.id, utcnow()
    session.add(carry)
    audit.record(session, user, f"carryover.{status}", "answer", carry.source_answer_id,
                 regency_code=assessment.regency_code, after={"question": carry.question_code, "status": status})
