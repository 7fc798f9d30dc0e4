"""Kelana/Dekela from the source: a kab/kota's kecamatan and desa/kelurahan (npm `idn-area-data`,
ODbL, shipped in `data/regions/`), what each one meets of the part's criteria in a cycle
(`AreaRecord`), and "apply": the part's percentages written as the answers, each with the list of
qualifying areas attached as its evidence.

Areas are loaded into the `Area` table per kab/kota the first time it needs them, never for all 514.
Records change under the rules of answering (`app.services.questions`): only while the question's
answer may change for this user (the window, a reopening, the stage, the year not frozen), an
agency only on the questions assigned to it. The percentages are `scoring.areas`' work.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.evidence import EvidenceStore
from app.exports.kelana_list import AreaLine, area_list_workbook
from app.i18n import gettext as _
from app.models import (
    Agency,
    Answer,
    Area,
    AreaLevel,
    AreaRecord,
    Document,
    DocumentKind,
    Evidence,
    Role,
    User,
    saved_id,
    utcnow,
)
from app.refusals import NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit, documents, questions, season
from app.services import evidence as evidence_service
from app.services.answers import AnswerInput
from app.services.locks import hold
from indicators import Catalogue
from indicators.models import Level, Question
from scoring import Scorer
from scoring.areas import AreaShare, shares

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "regions"
_AREA_CODE = re.compile(r"[0-9.]{1,13}")  # "62.71.01", "62.71.01.1001"
LIST_PREFIX = "daftar-kelana-"  # the file name of a generated list: replaced, never piled up

# -- the areas of a kab/kota -------------------------------------------------------------------


def read_areas(regency_code: str, folder: Path = DATA_DIR) -> list[Area]:
    """The kecamatan and desa/kelurahan of one kab/kota from the shipped files (lines are filtered by
    their code's prefix before they are parsed: one kab/kota of 83,762 desa in a fraction of a second)."""
    prefix = regency_code + "."
    found: list[Area] = []
    for code, parent, name in _rows(folder / "districts.csv.gz", prefix):
        if parent == regency_code:
            found.append(Area(code=code, level=AreaLevel.KECAMATAN, regency_code=regency_code, name=name))
    for code, parent, name in _rows(folder / "villages.csv.gz", prefix):
        found.append(Area(code=code, level=AreaLevel.DESA, regency_code=regency_code, parent_code=parent, name=name))
    return found


def _rows(path: Path, prefix: str) -> Iterator[tuple[str, str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        wanted = [line for line in file if line.startswith(prefix)]
    for row in csv.reader(wanted):
        if len(row) == 3:
            yield row[0], row[1], row[2]


def ensure_areas(session: Session, regency_code: str) -> None:
    """Load the kab/kota's areas into `Area` unless they are there (two requests at once: the second
    insert skips what the first wrote)."""
    if session.exec(select(Area.code).where(Area.regency_code == regency_code).limit(1)).first() is not None:
        return
    rows = [{"code": a.code, "level": a.level.value, "regency_code": a.regency_code, "parent_code": a.parent_code,
             "name": a.name} for a in read_areas(regency_code)]
    if not rows:
        return
    table = Area.__table__  # type: ignore[attr-defined]  # SQLModel's table, untyped
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=["code"]))
    session.flush()


def areas_of(session: Session, regency_code: str, level: AreaLevel, parent: str | None = None) -> list[Area]:
    ensure_areas(session, regency_code)
    query = select(Area).where(Area.regency_code == regency_code, Area.level == level)
    if parent is not None:
        query = query.where(Area.parent_code == parent)
    return list(session.exec(query.order_by(col(Area.code))))


def area_in(session: Session, regency_code: str, code: str) -> Area | None:
    """The area `code` of this kab/kota (None for another's or none: the route answers 404)."""
    ensure_areas(session, regency_code)
    area = session.get(Area, code) if _AREA_CODE.fullmatch(code) else None  # never a NUL for PostgreSQL
    return area if area is not None and area.regency_code == regency_code else None


# -- the part's questions and who may record them --------------------------------------------------


def area_questions(catalogue: Catalogue, level: AreaLevel | None = None) -> list[Question]:
    """The questions answered per kecamatan or desa (the Kelana/Dekela part), in the instrument's order."""
    return [ref.question for ref in catalogue.iter_questions() if ref.question.level != Level.KABKOTA
            and (level is None or ref.question.level.value == level.value)]


def area_scope(session: Session, user: User) -> str | None:
    """The kecamatan whose areas this account records, when its agency is a kecamatan's own office
    (`Agency.area_code`): it sees and records that kecamatan and its desa/kelurahan only, every criterion
    of the part whatever the assignments. None: any other account (its rights are its role's)."""
    if user.role != Role.OPD or user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.area_code if agency is not None else None


def in_scope(area: Area, scope: str | None) -> bool:
    """Whether an account of this scope (`area_scope`) may see and record this area."""
    return scope is None or area.code == scope or area.parent_code == scope


def scoped_area(session: Session, regency_code: str, user: User, code: str) -> Area | None:
    """The area `code` of this kab/kota within the user's scope (None: the route answers 404)."""
    area = area_in(session, regency_code, code)
    return area if area is not None and in_scope(area, area_scope(session, user)) else None


def editable_codes(session: Session, place: questions.Place, user: User, catalogue: Catalogue) -> set[str]:
    """The area questions whose records this user may change now: as their answers may change (the
    window, a reopening, the stage, the year not frozen); an agency only its assigned questions, a
    kecamatan's own office every one (within its areas: `record`)."""
    if season.frozen(place.cycle) or user.role not in (Role.DP3A, Role.OPD):
        return set()
    codes = [q.code for q in area_questions(catalogue)]
    if user.role == Role.OPD and area_scope(session, user) is None:
        mine = questions.assigned_codes(session, questions.assessment_id(place), user.agency_id)
        codes = [code for code in codes if code in mine]
    stored = answer_service.answers_of(session, questions.assessment_id(place), codes)
    return {code for code in codes
            if questions.may_edit(place, user, stored.get(code), questions.is_reopened(session, stored.get(code))
                                  is not None)}


def records_of(session: Session, assessment_id: int, area_codes: list[str] | None = None) -> list[AreaRecord]:
    query = select(AreaRecord).where(AreaRecord.assessment_id == assessment_id)
    if area_codes is not None:
        query = query.where(col(AreaRecord.area_code).in_(area_codes))
    return list(session.exec(query))


def record(session: Session, place: questions.Place, user: User, catalogue: Catalogue, area: Area,
           meets: Mapping[str, bool], note: str | None = None, document_id: int | None = None) -> int:
    """Record what one area meets, for one or several questions of its level at once; `note` and
    `document_id` (its evidence, a document of the library), when given, go to each of them.
    Returns how many records changed (0: the same as stored, nothing written)."""
    answer_service.check_not_frozen(place.cycle)
    level_codes = {q.code for q in area_questions(catalogue, area.level)}
    if not meets or any(code not in level_codes for code in meets):
        raise Refusal(_("Choose the criteria of this area's level."))
    if not in_scope(area, area_scope(session, user)):
        raise NotAllowed(_("This area is not one of your kecamatan's."))
    allowed = editable_codes(session, place, user, catalogue)
    if any(code not in allowed for code in meets):
        raise NotAllowed(_("These criteria cannot be changed now: their answers are read-only for you."))
    assessment_id = questions.assessment_id(place)
    # Two first records of one area at once would both insert: the kab/kota's row (or SQLite's write
    # lock) orders them, so the second sees the first's row instead of hitting the unique constraint.
    hold(session, place.assessment)
    stored = {r.question_code: r for r in session.exec(select(AreaRecord).where(
        AreaRecord.assessment_id == assessment_id, AreaRecord.area_code == area.code))}
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for code, value in sorted(meets.items()):
        row = stored.get(code)
        new_note = note if note is not None else (row.note if row else "")
        new_document = document_id if document_id is not None else (row.document_id if row else None)
        if row is not None and (row.meets, row.note, row.document_id) == (value, new_note, new_document):
            continue
        if row is None:
            row = AreaRecord(assessment_id=assessment_id, area_code=area.code, question_code=code)
        else:
            before[code] = {"meets": row.meets, "note": row.note, "document": row.document_id}
        row.meets, row.note, row.document_id = value, new_note, new_document
        row.updated_by, row.updated_at = user.id, utcnow()
        session.add(row)
        after[code] = {"meets": value, "note": new_note, "document": new_document}
    if after:
        session.flush()
        audit.record(session, user, "area.record", "area", area.code, regency_code=place.regency.code,
                     before=before or None, after={"area": area.name, "questions": after})
    return len(after)


def evidence_document(session: Session, place: questions.Place, user: User, catalogue: Catalogue,
                      codes: Iterable[str], stored_sha256: str, filename: str) -> Document:
    """The library document of an area's evidence file (already in the store and checked) recorded for
    `codes`: a sensitive file (`EvidenceAccess.may_attach`) is refused, since the Kelana/Dekela page names
    an area's documents to whoever sees the kab/kota's answers."""
    access = evidence_service.EvidenceAccess.of(session, catalogue, user, place)
    if not all(access.may_attach(stored_sha256, code) for code in codes):
        raise Refusal(evidence_service.sensitive_refusal())
    return documents.library_document(session, questions.assessment_id(place), stored_sha256, filename, user)


# -- the percentages -------------------------------------------------------------------------------


def results(session: Session, place: questions.Place, catalogue: Catalogue,
            only_recorded: bool = False) -> dict[str, AreaShare]:
    """Each area question's share of the kab/kota's areas; `only_recorded`: of the questions that
    have at least one record in this cycle (the ones computed from records)."""
    regency = place.regency.code
    levels = {q.code: q.level.value for q in area_questions(catalogue)}
    areas = {level.value: [a.code for a in areas_of(session, regency, level)] for level in AreaLevel}
    rows = records_of(session, questions.assessment_id(place))
    found = shares(levels, areas, ((r.area_code, r.question_code, r.meets) for r in rows))
    if only_recorded:
        recorded = {r.question_code for r in rows}
        return {code: share for code, share in found.items() if code in recorded}
    return found


def computed_share(session: Session, place: questions.Place, catalogue: Catalogue, code: str) -> AreaShare | None:
    """A question's share when its answer is computed from records (None: typed, or not an area question)."""
    ref = catalogue.questions.get(code)
    if ref is None or ref.question.level == Level.KABKOTA:
        return None
    assessment_id = questions.assessment_id(place)
    if session.exec(select(AreaRecord.id).where(AreaRecord.assessment_id == assessment_id,
                                                AreaRecord.question_code == code).limit(1)).first() is None:
        return None
    return results(session, place, catalogue, only_recorded=True).get(code)


def check_typed(session: Session, place: questions.Place, code: str, given: AnswerInput,
                stored: Answer | None, catalogue: Catalogue) -> None:
    """A save from the card of an answer computed from records may change its note, not its value."""
    if computed_share(session, place, catalogue, code) is None:
        return
    value = None if stored is None or stored.value is None else Decimal(stored.value)
    if given.value != value or given.not_applicable != bool(stored and stored.not_applicable):
        raise Refusal(_("This answer is computed from the Kelana/Dekela records: change the records and apply "
                        "them instead of typing it."), code="computed")


@dataclass
class Applied:
    """What "apply" did, per question code."""

    written: list[str] = field(default_factory=list)  # the answer's value changed
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # code -> why (read-only, no areas)
    lists: int = 0  # generated lists attached or replaced


def apply(session: Session, place: questions.Place, user: User, catalogue: Catalogue, scorer: Scorer,
          store: EvidenceStore) -> Applied:
    """Write the computed percentage of every recorded area question as its answer (through the
    answer service, version-checked), and attach each one's list of qualifying areas."""
    answer_service.check_not_frozen(place.cycle)
    done = Applied()
    for code, share in results(session, place, catalogue, only_recorded=True).items():
        if share.percent is None:
            done.skipped[code] = _("This kab/kota has no such areas in the source.")
            continue
        question = questions.open_question(session, place, user, catalogue, code)
        try:
            questions.check_answer_editable(place, user, question)
        except Refusal as refusal:
            done.skipped[code] = refusal.message
            continue
        current = question.answer
        if current is not None:
            answer_service.lock_answers(session, [current])
        given = AnswerInput(value=share.percent, note=current.note if current else "")
        outcome = answer_service.save_answer(session, place.assessment, code, given,
                                             current.version if current else 0, user, scorer,
                                             reopened=question.reopened, current=current)
        (done.written if outcome.written else done.unchanged).append(code)
        if _attach_list(session, place, user, catalogue, store, code, share, outcome.answer):
            done.lists += 1
    return done


def _attach_list(session: Session, place: questions.Place, user: User, catalogue: Catalogue, store: EvidenceStore,
                 code: str, share: AreaShare, answer: Answer) -> bool:
    """Attach the generated list of this question's areas to its answer, replacing the previous one
    (False: the same list is attached already)."""
    question = catalogue.questions[code].question
    level = AreaLevel(question.level.value)
    areas = areas_of(session, place.regency.code, level)
    parents = {a.code: a.name for a in areas_of(session, place.regency.code, AreaLevel.KECAMATAN)}
    marks = {r.area_code: r for r in records_of(session, questions.assessment_id(place)) if r.question_code == code}
    lines = [AreaLine(a.code, a.name, parents.get(a.parent_code or "", ""),
                      marks[a.code].meets if a.code in marks else None, marks[a.code].note if a.code in marks else "")
             for a in areas]
    title = list_title(question, level, place.regency.name, place.cycle.year)
    data = area_list_workbook(title, question.text, question.criterion, level == AreaLevel.DESA, share, lines,
                              place.cycle.year)
    stored = store.save_file(io.BytesIO(data))
    evidence_service.register(session, stored)
    current = list(session.exec(
        select(Evidence).join(Document, col(Document.id) == col(Evidence.document_id))
        .where(Evidence.answer_id == answer.id, col(Evidence.removed_at).is_(None), Document.kind == DocumentKind.DATA,
               col(Evidence.filename).startswith(LIST_PREFIX))))
    if any(e.sha256 == stored.sha256 for e in current):
        return False
    for old in current:
        evidence_service.remove(session, place.assessment, old, user)
    filename = f"{LIST_PREFIX}{code}.xlsx"
    document = documents.library_document(session, questions.assessment_id(place), stored.sha256, filename, user)
    document.kind, document.title, document.year = DocumentKind.DATA, title, place.cycle.year
    document.issuer = place.regency.name
    session.add(document)
    evidence = documents.link(session, saved_id(answer.id), document, user, filename)
    audit.record(session, user, "evidence.generate", "evidence", evidence.id, regency_code=place.regency.code,
                 after={"question": code, "file": filename, "sha256": stored.sha256, "title": title})
    return True


def list_title(question: Question, level: AreaLevel, regency_name: str, year: int) -> str:
    """The generated list's title, in Indonesian like the ministry's application."""
    word = "kecamatan" if level == AreaLevel.KECAMATAN else "desa/kelurahan"
    return f"Daftar {word}: {question.criterion} — {regency_name} {year}"
