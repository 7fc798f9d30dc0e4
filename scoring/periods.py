"""Whether a document fits the period its question asks for: the checks a reviewer used to do by eye
("bukan tahun berjalan", a decree no longer in force, a required file without a title or year, a
carried-over file that needs a newer version). Pure: the app reads the documents and calls these.

The period of a question (`indicators.models.Period`) is `Question.period` when the YAML sets it,
otherwise it follows from the question's evidence types (`question_period`):

- `data_dua_tahun` among them: TWO_YEARS (data of the last two years);
- only standing types (`regulasi`, `sk_gugus_tugas`, `mou`, `sertifikat_kha`, `rad_kla`), apart from
  the neutral `dokumen_pendukung`: ANY (a standing document, of any date while it is in force);
- otherwise CURRENT ("tahun berjalan": photos, reports, budget extracts, news, innovations,
  matrices, the child profile, other supporting documents, or no type at all).

A standing document attached to a question whose derived period mixes standing and current types
(a Perda beside a report) is judged by whether it is still in force, not by its date: the YAML
asked for both kinds. An explicit `period:` applies to every document of its question (15.4's
training certificates must be of the last two years).

For the cycle of year Y: CURRENT is dated Y-1 or Y, TWO_YEARS Y-2 to Y, ANY any year up to Y; a
document dated after Y is out of period whatever the question asks; one whose `valid_until` is
before 1 January of Y has expired.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from indicators.models import Period, Question

# Evidence types (the YAML's `evidence_types`) of documents that stand while they are in force.
STANDING_TYPES = frozenset({"regulasi", "sk_gugus_tugas", "mou", "sertifikat_kha", "rad_kla"})
TWO_YEAR_TYPES = frozenset({"data_dua_tahun"})
NEUTRAL_TYPES = frozenset({"dokumen_pendukung"})  # says nothing about the period
# Document kinds (`app.models.DocumentKind` values) that stand while in force.
STANDING_KINDS = frozenset({"perda", "perkada", "sk", "surat_edaran", "sop", "mou", "certificate"})


class Flag(StrEnum):
    """What a reviewer would return a document for, found without opening it."""

    OUT_OF_PERIOD = "out_of_period"  # "bukan tahun berjalan": dated outside the question's period
    EXPIRED = "expired"  # no longer in force (valid_until before the cycle's year)
    NO_TITLE = "no_title"  # required evidence without a title
    NO_YEAR = "no_year"  # required evidence without a date or year
    NEEDS_NEWER = "needs_newer"  # carried from the previous cycle and out of this one's period


# The review reason (`review_reasons` in the YAML) each flag suggests. EXPIRED suggests
# "bukan tahun berjalan", not "bukan dokumen asli/sah": an expired decree is genuine, it is just not
# the one in force in the year evaluated, and the fix is the same as for an old file (bring the
# current one).
REASONS: dict[Flag, str] = {
    Flag.OUT_OF_PERIOD: "bukan_tahun_berjalan",
    Flag.NEEDS_NEWER: "bukan_tahun_berjalan",
    Flag.EXPIRED: "bukan_tahun_berjalan",
    Flag.NO_TITLE: "tidak_lengkap",
    Flag.NO_YEAR: "tidak_lengkap",
}
# The flags the queue's "bukan tahun berjalan" filter and the submit checks look for.
PERIOD_FLAGS = frozenset({Flag.OUT_OF_PERIOD, Flag.EXPIRED, Flag.NEEDS_NEWER})
ORDER = tuple(Flag)


@dataclass(frozen=True)
class Requirement:
    """What a question asks of its documents' dates (`requirement`)."""

    period: Period
    required: bool = False  # the question requires evidence
    standing_ok: bool = False  # standing documents are judged by being in force (a derived, mixed period)


@dataclass(frozen=True)
class DocumentFacts:
    """What the check reads of a document (its library metadata)."""

    kind: str = "other"
    title: str = ""
    year: int | None = None
    issued_on: date | None = None
    valid_until: date | None = None
    carried: bool = False

    @property
    def dated(self) -> int | None:
        """The year it bears: `year`, else its date's."""
        if self.year is not None:
            return self.year
        return self.issued_on.year if self.issued_on is not None else None


def derived_period(types: Iterable[str]) -> Period:
    """The period the evidence types of a question imply (see the module's docstring)."""
    telling = set(types) - NEUTRAL_TYPES
    if telling & TWO_YEAR_TYPES:
        return Period.TWO_YEARS
    if telling and telling <= STANDING_TYPES:
        return Period.ANY
    return Period.CURRENT


def question_period(question: Question) -> Period:
    return question.period or derived_period(question.evidence.types)


def requirement(question: Question) -> Requirement:
    period = question_period(question)
    standing_ok = question.period is None and bool(set(question.evidence.types) & STANDING_TYPES)
    return Requirement(period, question.evidence.required, standing_ok)


def years(period: Period, cycle_year: int) -> tuple[int, int]:
    """The first and last year a document of `period` may bear in the cycle of `cycle_year` (ANY: 0)."""
    first = {Period.CURRENT: cycle_year - 1, Period.TWO_YEARS: cycle_year - 2, Period.ANY: 0}[period]
    return first, cycle_year


def effective_period(facts: DocumentFacts, need: Requirement) -> Period:
    """The period this document is judged by: a standing document on a mixed question stands while in force."""
    if need.standing_ok and facts.kind in STANDING_KINDS:
        return Period.ANY
    return need.period


def flags(facts: DocumentFacts, need: Requirement, cycle_year: int) -> frozenset[Flag]:
    """What is wrong with this document as evidence of a question asking `need`, in the cycle of `cycle_year`.

    NEEDS_NEWER stands in for OUT_OF_PERIOD on a carried-over document (it says the same, and what to do);
    a carried-over document that expired is EXPIRED and NEEDS_NEWER. NO_TITLE and NO_YEAR only for a
    question that requires evidence: old files have neither, and only required evidence is checked."""
    found: set[Flag] = set()
    year = facts.dated
    if year is not None:
        first, last = years(effective_period(facts, need), cycle_year)
        if not first <= year <= last:
            found.add(Flag.OUT_OF_PERIOD)
    if facts.valid_until is not None and facts.valid_until < date(cycle_year, 1, 1):
        found.add(Flag.EXPIRED)
    if facts.carried and found & {Flag.OUT_OF_PERIOD, Flag.EXPIRED}:
        found.discard(Flag.OUT_OF_PERIOD)
        found.add(Flag.NEEDS_NEWER)
    if need.required:
        if not facts.title.strip():
            found.add(Flag.NO_TITLE)
        if year is None:
            found.add(Flag.NO_YEAR)
    return frozenset(found)


def ordered(found: Collection[Flag]) -> list[Flag]:
    """Flags in a stable order (the enum's), for display."""
    return [flag for flag in ORDER if flag in found]


def reasons(found: Collection[Flag]) -> list[str]:
    """The review reasons these flags suggest, once each, in flag order."""
    return list(dict.fromkeys(REASONS[flag] for flag in ordered(found)))


def out_of_period(found: Collection[Flag]) -> bool:
    """Whether these flags call for "bukan tahun berjalan" (the queue's filter, the submit checks)."""
    return any(flag in PERIOD_FLAGS for flag in found)


def expected_years(facts: DocumentFacts, need: Requirement, cycle_year: int) -> tuple[int, int] | None:
    """The years a dated document of this question may bear ("pertanyaan meminta tahun 2023-2024"),
    or None where any year up to the cycle's will do (a standing document)."""
    period = effective_period(facts, need)
    return None if period == Period.ANY else years(period, cycle_year)
