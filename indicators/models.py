"""The KLA instrument as typed data.

These models describe `data/kla_clusters.yaml`. They check the shape of each
entry; the checks that need the whole catalogue (unique codes, sums, bands,
references between entries) live in `indicators.checks`, so that every fault
can be reported with its place in the file instead of stopping at the first.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer


def _to_fraction(value: object) -> Fraction:
    """Accept 0.5, 1, "1/3" or "0.25" and keep it exact.

    Floats go through their shortest text form so that 0.1 stays 1/10, not
    the binary approximation.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a fraction such as 0.5 or 1/3")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError("expected a fraction such as 0.5 or 1/3") from None
    raise ValueError("expected a fraction such as 0.5 or 1/3")


def _to_points(value: object) -> Decimal:
    """Points are decimals with at most two places (1.25, 3.2, 12)."""
    if isinstance(value, bool):
        raise ValueError("expected a number of points")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float, str)):
        try:
            return Decimal(repr(value) if isinstance(value, float) else str(value))
        except ArithmeticError:
            raise ValueError("expected a number of points") from None
    raise ValueError("expected a number of points")


Ratio = Annotated[
    Fraction, BeforeValidator(_to_fraction), PlainSerializer(lambda f: str(f), return_type=str)
]
Points = Annotated[
    Decimal, BeforeValidator(_to_points), PlainSerializer(lambda d: float(d), return_type=float)
]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(StrEnum):
    """Who answers a question: the regency/city itself, or each of its kecamatan or desa."""

    KABKOTA = "kabkota"
    KECAMATAN = "kecamatan"
    DESA = "desa"


class NotApplicable(StrEnum):
    """What answering "tidak berlaku" (not applicable) earns on a scale (`not_applicable:` in the YAML).

    ZERO is the default: it scores 0 like "none", as the tool always did. FULL earns the question's
    whole maximum (the right answer for a region that has no such children, e.g. no ABH cases).
    REFUSED: the scale does not offer "not applicable" at all."""

    ZERO = "zero"
    FULL = "full"
    REFUSED = "refused"


class Period(StrEnum):
    """The period a question's documents must come from (`period:` in the YAML; when absent it
    follows from the question's evidence types, see `scoring.periods`).

    For the cycle of year Y: CURRENT is "tahun berjalan", dated Y-1 or Y (the year evaluated and the
    year of the evaluation); TWO_YEARS is dated Y-2 to Y (data of the last two years); ANY is a
    standing regulation or decree, of any date while it is in force (its `valid_until`)."""

    CURRENT = "current"
    TWO_YEARS = "two_years"
    ANY = "any"


class Measure(StrEnum):
    """What a data question's yearly figure is: a share (numerator of a denominator, shown as a
    percentage) or a plain count."""

    SHARE = "share"
    COUNT = "count"


class InstrumentInfo(_Entry):
    code: Code
    year: int = Field(ge=2000, le=2100)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    max_total: Points
    source: str = ""


class Band(_Entry):
    """One category band on the total score, e.g. Madya: over 600 up to 700."""

    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    min: Points
    max: Points
    includes_min: bool
    includes_max: bool
    award: bool = True


class ReviewReason(_Entry):
    """A reason a reviewer can give when returning an answer."""

    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class Agency(_Entry):
    """A generic agency role (each kab/kota maps its own OPD names onto these)."""

    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    local_government: bool = True


class EvidenceType(_Entry):
    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class Option(_Entry):
    code: Code
    label: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    fraction: Ratio


class Threshold(_Entry):
    """From `min` upwards (inclusive) a number earns `fraction` of the maximum."""

    min: Points
    fraction: Ratio


class OptionsScale(_Entry):
    kind: Literal["options"]
    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    provisional: bool = True
    not_applicable: NotApplicable = NotApplicable.ZERO
    options: tuple[Option, ...] = Field(min_length=2)


class PercentScale(_Entry):
    """A percentage 0-100 earns that share of the maximum (or its complement)."""

    kind: Literal["percent"]
    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    provisional: bool = True
    not_applicable: NotApplicable = NotApplicable.ZERO
    lower_is_better: bool = False


class NumberScale(_Entry):
    kind: Literal["number"]
    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    provisional: bool = True
    not_applicable: NotApplicable = NotApplicable.ZERO
    unit: str = Field(min_length=1)
    unit_en: str = Field(min_length=1)
    thresholds: tuple[Threshold, ...] = Field(min_length=1)


Scale = Annotated[OptionsScale | PercentScale | NumberScale, Field(discriminator="kind")]


class Evidence(_Entry):
    """What a question asks to be attached."""

    types: tuple[Code, ...] = ()
    hint: str = ""
    required: bool = False


class Figures(_Entry):
    """A question answered as data: per year (the last `years` years before the cycle's) a numerator,
    and for a share its denominator, in `unit`; the percentage is computed, never typed."""

    measure: Measure
    unit: str = Field(min_length=1)
    unit_en: str = Field(min_length=1)
    numerator: str = Field(min_length=1)  # what is counted, e.g. "Anak yang memiliki akta kelahiran"
    numerator_en: str = Field(min_length=1)
    denominator: str = ""  # a share's whole, e.g. "Jumlah anak"; empty for a count
    denominator_en: str = ""
    years: int = Field(default=2, ge=1, le=5)


class Question(_Entry):
    code: Code
    source_code: str = Field(min_length=1)
    text: str = Field(min_length=1)
    max: Points
    level: Level = Level.KABKOTA
    agencies: tuple[Code, ...] = Field(min_length=1)
    scale: Code
    evidence: Evidence = Evidence()
    sensitive: bool = False
    period: Period | None = None  # None: from the evidence types (scoring.periods)
    figures: Figures | None = None  # answered as yearly data
    # Kelana/Dekela: the short name of what a kecamatan or desa must have for this question, as
    # the DP3A ticks it per kecamatan/desa ("Forum Anak Kecamatan"); empty elsewhere.
    criterion: str = ""
    criterion_en: str = ""


class Indicator(_Entry):
    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    max: Points
    # True where the copy's question maxima add up to more than the official
    # indicator maximum: the indicator then scores min(sum, max).
    capped: bool = False
    note: str = ""
    questions: tuple[Question, ...] = Field(min_length=1)


class Part(_Entry):
    code: Code
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    max: Points
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class Gate(_Entry):
    """An optional rule: to enter `category`, `question` must score at least `min_fraction`."""

    category: Code
    question: Code
    min_fraction: Ratio = Fraction(1)
    active: bool = False
    note: str = ""


class CatalogueData(_Entry):
    """The file as written; `indicators.catalogue.Catalogue` adds the look-ups."""

    instrument: InstrumentInfo
    categories: tuple[Band, ...] = Field(min_length=1)
    review_reasons: tuple[ReviewReason, ...] = Field(min_length=1)
    agencies: tuple[Agency, ...] = Field(min_length=1)
    evidence_types: tuple[EvidenceType, ...] = Field(min_length=1)
    scales: tuple[Scale, ...] = Field(min_length=1)
    gates: tuple[Gate, ...] = ()
    parts: tuple[Part, ...] = Field(min_length=1)
