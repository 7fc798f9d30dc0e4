"""Which category a total earns, exactly at every boundary, with optional gates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from indicators import Band, Catalogue
from scoring.engine import Scorer, ScoreSheet
from scoring.points import to_cents


@dataclass(frozen=True)
class CentBand:
    band: Band
    min: int
    max: int

    def contains(self, cents: int) -> bool:
        above = cents > self.min or (self.band.includes_min and cents == self.min)
        below = cents < self.max or (self.band.includes_max and cents == self.max)
        return above and below

    def entry_cents(self) -> int:
        """The lowest total (in cents) that falls in this band."""
        return self.min if self.band.includes_min else self.min + 1


@dataclass(frozen=True)
class GateFailure:
    category: str
    question: str
    needed_cents: int
    scored_cents: int


@lru_cache(maxsize=16)
def cent_bands(catalogue: Catalogue) -> tuple[CentBand, ...]:
    return tuple(CentBand(b, to_cents(b.min), to_cents(b.max)) for b in catalogue.bands)


def band_for(bands: Sequence[CentBand], total_cents: int) -> CentBand:
    for band in bands:
        if band.contains(total_cents):
            return band
    raise ValueError(f"total {total_cents} is outside every band")


def category_for(scorer: Scorer, sheet: ScoreSheet, *, apply_gates: bool = True) -> Band:
    """The category of a score sheet; an unmet active gate holds it below that gate."""
    bands = cent_bands(scorer.catalogue)
    position = bands.index(band_for(bands, sheet.total))
    if apply_gates:
        for failure in gate_failures(scorer, sheet):
            gated = next(i for i, b in enumerate(bands) if b.band.code == failure.category)
            position = min(position, gated - 1)
    return bands[max(position, 0)].band


def gate_failures(scorer: Scorer, sheet: ScoreSheet) -> list[GateFailure]:
    """Active gates whose question scores less than the gate asks."""
    failures = []
    for gate in scorer.catalogue.data.gates:
        if not gate.active:
            continue
        compiled = scorer.questions[gate.question]
        scored = sheet.questions.get(gate.question, 0)
        fraction = gate.min_fraction
        if scored * fraction.denominator < fraction.numerator * compiled.max_cents:
            needed = -(-fraction.numerator * compiled.max_cents // fraction.denominator)
            failures.append(GateFailure(gate.category, gate.question, needed, scored))
    return failures


def rank(catalogue: Catalogue, category_code: str | None) -> int:
    """Position of a category from the lowest band up; -1 for none."""
    codes = [b.code for b in catalogue.bands]
    return codes.index(category_code) if category_code in codes else -1
