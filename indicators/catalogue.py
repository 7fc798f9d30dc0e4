"""A validated catalogue with the look-ups the rest of the tool needs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from indicators.models import (
    Agency,
    Band,
    CatalogueData,
    EvidenceType,
    Indicator,
    Part,
    Question,
    ReviewReason,
    Scale,
)


@dataclass(frozen=True)
class QuestionRef:
    """A question with the indicator and part it belongs to."""

    question: Question
    indicator: Indicator
    part: Part


@dataclass(frozen=True)
class Catalogue:
    data: CatalogueData
    questions: dict[str, QuestionRef] = field(init=False, repr=False)
    indicators: dict[str, Indicator] = field(init=False, repr=False)
    parts: dict[str, Part] = field(init=False, repr=False)
    scales: dict[str, Scale] = field(init=False, repr=False)
    agencies: dict[str, Agency] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        refs = {
            q.code: QuestionRef(q, i, p)
            for p in self.data.parts
            for i in p.indicators
            for q in i.questions
        }
        set_ = object.__setattr__
        set_(self, "questions", refs)
        set_(self, "indicators", {i.code: i for p in self.data.parts for i in p.indicators})
        set_(self, "parts", {p.code: p for p in self.data.parts})
        set_(self, "scales", {s.code: s for s in self.data.scales})
        set_(self, "agencies", {a.code: a for a in self.data.agencies})

    def __hash__(self) -> int:
        return id(self)

    @property
    def year(self) -> int:
        return self.data.instrument.year

    @property
    def max_total(self) -> Decimal:
        return self.data.instrument.max_total

    @property
    def bands(self) -> tuple[Band, ...]:
        """Category bands from the lowest score up."""
        return tuple(sorted(self.data.categories, key=lambda b: b.min))

    @property
    def review_reasons(self) -> tuple[ReviewReason, ...]:
        return self.data.review_reasons

    @property
    def evidence_types(self) -> dict[str, EvidenceType]:
        return {e.code: e for e in self.data.evidence_types}

    def iter_questions(self) -> Iterator[QuestionRef]:
        return iter(self.questions.values())

    def scale_of(self, question: Question) -> Scale:
        return self.scales[question.scale]

    def questions_for_agency(self, agency_code: str) -> list[QuestionRef]:
        return [ref for ref in self.questions.values() if agency_code in ref.question.agencies]

    def agency_by_alias(self, name: str) -> Agency | None:
        """Find the generic agency for a local spelling ("Capil" -> DUKCAPIL)."""
        wanted = _fold(name)
        for agency in self.data.agencies:
            if wanted == _fold(agency.code) or wanted in (_fold(a) for a in agency.aliases):
                return agency
        return None


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())
