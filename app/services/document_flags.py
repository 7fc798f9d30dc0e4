"""The period check of every current file of an assessment (`scoring.periods`): which files a
reviewer would return for their date ("bukan tahun berjalan"), validity, missing title or year, or
because they were carried over and need a newer version; per file, per answer, per assessment.

One read of the assessment's current attachments with their documents, cached per assessment
revision (a change to a document's metadata is audited, which bumps the revision): the review
queue lists hundreds of answers and asks once.

Flags name a file: show a file's flags only where the user may see the file (`EvidenceAccess`); an
answer's count of flagged files is a count, never a name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.cache import RevisionCache
from app.db import read_rows
from app.i18n import gettext as _
from app.models import Answer, Assessment, CarryOver, CarryStatus, Document, Evidence, saved_id
from indicators import Catalogue
from scoring import periods
from scoring.periods import DocumentFacts, Flag


@dataclass(frozen=True)
class FileFlags:
    """The flags of one attachment (an `Evidence` row) and what a reviewer needs to act on them."""

    evidence_id: int
    answer_id: int
    code: str  # the question's
    flags: tuple[Flag, ...]  # in display order
    carried: bool  # its document was carried over from the previous cycle
    year: int | None  # the year the document bears
    expected: tuple[int, int] | None  # the years the question asks for (None: any year while in force)

    @property
    def reasons(self) -> list[str]:
        """The review reasons these flags suggest (codes of the catalogue's `review_reasons`)."""
        return periods.reasons(self.flags)

    @property
    def out_of_period(self) -> bool:
        return periods.out_of_period(self.flags)

    @property
    def needs_newer(self) -> bool:
        return Flag.NEEDS_NEWER in self.flags


@dataclass
class AssessmentFlags:
    """Every current file's flags, by evidence id, and the flagged files of each answer."""

    by_file: dict[int, FileFlags] = field(default_factory=dict)
    by_answer: dict[int, list[FileFlags]] = field(default_factory=dict)  # flagged files only

    def of_answer(self, answer_id: int) -> list[FileFlags]:
        return self.by_answer.get(answer_id, [])

    def out_of_period(self, answer_id: int) -> int:
        """How many of the answer's current files call for "bukan tahun berjalan"."""
        return sum(1 for f in self.of_answer(answer_id) if f.out_of_period)

    def flagged_codes(self) -> set[str]:
        """The questions with at least one flagged file."""
        return {f.code for files in self.by_answer.values() for f in files}

    def out_of_period_codes(self) -> set[str]:
        return {f.code for files in self.by_answer.values() for f in files if f.out_of_period}


_cache = RevisionCache(size=64)


def assessment_flags(session: Session, assessment: Assessment, catalogue: Catalogue, cycle_year: int) -> AssessmentFlags:
    """The flags of every current file of the assessment (cached per revision)."""
    key = (assessment.id, assessment.revision, id(catalogue), cycle_year)
    return _cache.get(session.get_bind(), key,
                      lambda: _read(session, saved_id(assessment.id), catalogue, cycle_year))


def _read(session: Session, assessment_id: int, catalogue: Catalogue, cycle_year: int) -> AssessmentFlags:
    rows = read_rows(session, sa_select(
        col(Evidence.id), col(Evidence.answer_id), col(Answer.question_code), col(Document.kind),
        col(Document.title), col(Document.year), col(Document.issued_on), col(Document.valid_until),
        col(Document.carried_from))
        .join(Answer, col(Answer.id) == col(Evidence.answer_id))
        .outerjoin(Document, col(Document.id) == col(Evidence.document_id))
        .where(col(Answer.assessment_id) == assessment_id, col(Evidence.removed_at).is_(None))
        .order_by(col(Evidence.id))).all()
    result = AssessmentFlags()
    needs: dict[str, periods.Requirement] = {}
    by_answer: dict[int, list[FileFlags]] = defaultdict(list)
    for evidence_id, answer_id, code, kind, title, year, issued_on, valid_until, carried_from in rows:
        ref = catalogue.questions.get(code)
        if ref is None:
            continue  # a retired question: nothing to check it against
        need = needs.get(code)
        if need is None:
            need = needs[code] = periods.requirement(ref.question)
        facts = DocumentFacts(kind=str(kind or "other"), title=title or "", year=year, issued_on=issued_on,
                              valid_until=valid_until, carried=carried_from is not None)
        found = periods.flags(facts, need, cycle_year)
        item = FileFlags(evidence_id, answer_id, code, tuple(periods.ordered(found)), facts.carried, facts.dated,
                         periods.expected_years(facts, need, cycle_year))
        result.by_file[evidence_id] = item
        if item.flags:
            by_answer[answer_id].append(item)
    result.by_answer = dict(by_answer)
    return result


def flagged_among(session: Session, assessment: Assessment, catalogue: Catalogue, cycle_year: int,
                  codes: list[str]) -> int:
    """How many of these questions' answers hold a flagged file (a count: what "submit all" warns of)."""
    flagged = assessment_flags(session, assessment, catalogue, cycle_year).flagged_codes()
    return len(flagged.intersection(codes))


def answer_flags(session: Session, assessment: Assessment, catalogue: Catalogue, cycle_year: int,
                 evidence_ids: list[int]) -> dict[int, FileFlags]:
    """The flags of these files (by evidence id): what a card or a detail page shows of the files it lists."""
    every = assessment_flags(session, assessment, catalogue, cycle_year).by_file
    return {i: every[i] for i in evidence_ids if i in every}


# -- carry-over ------------------------------------------------------------------------------------


def carry_flags(session: Session, assessment: Assessment, catalogue: Catalogue, cycle_year: int,
                carries: list[CarryOver]) -> dict[int, int]:
    """Per carry-over (by id), how many of its files need a newer version in this cycle: of an accepted
    one, its answer's carried files here (NEEDS_NEWER); of one still proposed (or rejected), last cycle's
    files as they would be if carried. Two reads whatever the number of answers (the carry-over page
    is the DP3A's, who sees every file: these are counts)."""
    here = assessment_flags(session, assessment, catalogue, cycle_year)
    answer_ids = dict(read_rows(session, sa_select(col(Answer.question_code), col(Answer.id))
                                .where(col(Answer.assessment_id) == assessment.id)).all())
    result: dict[int, int] = {}
    pending = [c for c in carries if c.status != CarryStatus.ACCEPTED]
    for carry in carries:
        if carry.status == CarryStatus.ACCEPTED and carry.question_code in answer_ids:
            result[saved_id(carry.id)] = sum(1 for f in here.of_answer(answer_ids[carry.question_code])
                                             if f.needs_newer)
    if not pending:
        return result
    rows = read_rows(session, sa_select(
        col(Evidence.answer_id), col(Document.kind), col(Document.title), col(Document.year),
        col(Document.issued_on), col(Document.valid_until))
        .outerjoin(Document, col(Document.id) == col(Evidence.document_id))
        .where(col(Evidence.answer_id).in_([c.source_answer_id for c in pending]),
               col(Evidence.removed_at).is_(None))).all()
    by_source: dict[int, list[DocumentFacts]] = defaultdict(list)
    for answer_id, kind, title, year, issued_on, valid_until in rows:
        by_source[answer_id].append(DocumentFacts(kind=str(kind or "other"), title=title or "", year=year,
                                                  issued_on=issued_on, valid_until=valid_until, carried=True))
    for carry in pending:
        ref = catalogue.questions.get(carry.question_code)
        if ref is None:
            continue
        need = periods.requirement(ref.question)
        result[saved_id(carry.id)] = sum(1 for facts in by_source.get(carry.source_answer_id, [])
                                         if Flag.NEEDS_NEWER in periods.flags(facts, need, cycle_year))
    return result


# -- words ------------------------------------------------------------------------------------------


def flag_labels() -> dict[str, str]:
    """What each flag is called on the pages (a template global would re-derive nothing)."""
    return {
        Flag.OUT_OF_PERIOD: _("not from the period asked for"),
        Flag.EXPIRED: _("no longer in force"),
        Flag.NO_TITLE: _("no title"),
        Flag.NO_YEAR: _("no year"),
        Flag.NEEDS_NEWER: _("needs a newer version"),
    }


def return_note(item: FileFlags, filename: str) -> str:
    """The note a return from this file's flag starts with, e.g. "laporan.pdf: dated 2019; the question
    asks for 2023-2024."."""
    parts = []
    if item.year is not None and item.expected is not None and item.out_of_period:
        parts.append(_("dated %(year)s; the question asks for %(first)s-%(last)s") % {
            "year": item.year, "first": item.expected[0], "last": item.expected[1]})
    elif item.year is not None and item.out_of_period and Flag.EXPIRED not in item.flags:
        parts.append(_("dated %(year)s, after the year evaluated") % {"year": item.year})
    if Flag.EXPIRED in item.flags:
        parts.append(_("no longer in force"))
    if Flag.NEEDS_NEWER in item.flags:
        parts.append(_("carried over from the previous cycle: upload the newer version"))
    if Flag.NO_TITLE in item.flags or Flag.NO_YEAR in item.flags:
        parts.append(_("give the document its title and year"))
    return f"{filename}: " + "; ".join(parts) + "." if parts else ""
