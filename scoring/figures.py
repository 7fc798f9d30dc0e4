"""Answers as data: the yearly figures of a data question, what they compute and what they suggest.

A question with `figures:` in the instrument is answered per year with a numerator and, for a share,
its denominator. For the cycle of year Y the figures are of the `years` years before it: with the
usual two, Y-2 and Y-1 (cycle 2025: 2023 and 2024), the years that are over and whose data exist
when the region answers. Their documents may still be dated up to Y (`Period.TWO_YEARS` is Y-2..Y:
a report on 2024 is often signed in 2025).

From the figures follow, without anything typed twice:
- per year the percentage of a share (exact, rounded half up to 2 places; none for a count, and none
  when the denominator is 0, with the reason);
- the trend from the earlier year to the later (up, down, flat);
- what the answer should be: on a percent scale the latest year's percentage IS the answer's value;
  on `data_dua_tahun` the option follows from how many years have figures (whether the data are
  disaggregated and analysed stays the person's choice); on `tren_naik` / `tren_turun` the option
  follows from the trend, in the scale's direction.

Pure: no database, no web (the service `app.services.figures` stores and applies them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from indicators import Figures, Measure, NumberScale, OptionsScale, PercentScale

HUNDRED = Decimal(100)
_TWO_PLACES = Decimal("0.01")


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class NoPercent(StrEnum):
    """Why a year shows no percentage."""

    COUNT = "count"  # the figure is a count: there is nothing to divide by
    NO_FIGURES = "no_figures"  # nothing entered for that year
    ZERO_DENOMINATOR = "zero_denominator"  # a share of nothing: no percentage can be computed


@dataclass(frozen=True, slots=True)
class YearFigure:
    """What was entered for one year (the denominator is None for a count)."""

    year: int
    numerator: Decimal
    denominator: Decimal | None = None


@dataclass(frozen=True, slots=True)
class YearRow:
    """One evaluated year as the card and the exports show it."""

    year: int
    figure: YearFigure | None
    percent: Decimal | None
    no_percent: NoPercent | None  # why `percent` is None (None when there is one, or for a count)

    @property
    def value(self) -> Decimal | None:
        """What the year compares by: the percentage of a share, the number of a count."""
        if self.figure is None:
            return None
        return self.percent if self.figure.denominator is not None else self.figure.numerator


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the figures make of the answer: a value (percent scales), an option, or nothing."""

    value: Decimal | None = None
    option: str | None = None
    computed: bool = False  # True: the value is the answer's (computed, not typed); else advice


@dataclass(frozen=True, slots=True)
class FigureSummary:
    rows: tuple[YearRow, ...]
    trend: Trend | None
    suggestion: Suggestion


def evaluated_years(cycle_year: int, years: int = 2) -> tuple[int, ...]:
    """The years whose figures a cycle asks for, oldest first: 2025, 2 -> (2023, 2024)."""
    return tuple(range(cycle_year - years, cycle_year))


def percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator * 100, exact, rounded half up to 2 places; None for a denominator of 0."""
    if denominator == 0:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)


def year_row(year: int, figure: YearFigure | None, measure: Measure) -> YearRow:
    if figure is None:
        return YearRow(year, None, None, NoPercent.NO_FIGURES if measure is Measure.SHARE else None)
    if measure is Measure.COUNT or figure.denominator is None:
        return YearRow(year, figure, None, NoPercent.COUNT if measure is Measure.COUNT else NoPercent.NO_FIGURES)
    share = percent(figure.numerator, figure.denominator)
    return YearRow(year, figure, share, None if share is not None else NoPercent.ZERO_DENOMINATOR)


def trend(rows: Iterable[YearRow]) -> Trend | None:
    """From the earlier to the later of the last two years that have a value (None with fewer)."""
    values = [row.value for row in rows if row.value is not None]
    if len(values) < 2:
        return None
    before, latest = values[-2], values[-1]
    if latest > before:
        return Trend.UP
    if latest < before:
        return Trend.DOWN
    return Trend.FLAT


# The option scales whose answer follows from the figures, by scale code (data/kla_clusters.yaml).
# data_dua_tahun: options by the number of years with figures (0, 1, all); the best option
# (disaggregated and analysed) is the person's choice and is never overridden.
_YEARS_OPTIONS = ("tidak_ada", "satu_tahun", "dua_tahun")
_YEARS_KEPT = frozenset({"dua_tahun_terpilah"})
# tren_naik / tren_turun: the good direction, and the option of each trend.
_TREND_SCALES: dict[str, tuple[Trend, dict[Trend, str]]] = {
    "tren_naik": (Trend.UP, {Trend.UP: "naik", Trend.FLAT: "tetap", Trend.DOWN: "turun"}),
    "tren_turun": (Trend.DOWN, {Trend.UP: "naik", Trend.FLAT: "tetap", Trend.DOWN: "turun"}),
}
_NO_DATA = "tidak_ada_data"


def suggest(scale: OptionsScale | PercentScale | NumberScale, rows: tuple[YearRow, ...],
            current_option: str | None = None) -> Suggestion:
    """What the figures make of the answer on `scale` (see the module's docstring)."""
    latest = next((row for row in reversed(rows) if row.value is not None), None)
    if isinstance(scale, PercentScale):
        if latest is None or latest.percent is None:
            return Suggestion()
        return Suggestion(value=min(latest.percent, HUNDRED), computed=True)
    if not isinstance(scale, OptionsScale):
        return Suggestion()
    codes = {o.code for o in scale.options}
    if scale.code == "data_dua_tahun" and set(_YEARS_OPTIONS) <= codes:
        entered = sum(1 for row in rows if row.figure is not None)
        if entered == 0:
            return Suggestion(option=_YEARS_OPTIONS[0])
        if entered < len(rows):
            return Suggestion(option=_YEARS_OPTIONS[1])
        return Suggestion(option=current_option if current_option in _YEARS_KEPT else _YEARS_OPTIONS[2])
    if scale.code in _TREND_SCALES:
        good, options = _TREND_SCALES[scale.code]
        if not set(options.values()) | {_NO_DATA} <= codes:
            return Suggestion()
        direction = trend(rows)
        if direction is None:
            return Suggestion(option=_NO_DATA)
        # "naik: ... atau sudah 100%" and "turun: ... atau nol": already at the best end counts as the good way.
        if latest is not None and _at_best_end(good, latest):
            direction = good
        return Suggestion(option=options[direction])
    return Suggestion()


def _at_best_end(good: Trend, latest: YearRow) -> bool:
    """Already at the best a measure can be: a share of 100 % where higher is better, 0 where lower is."""
    if good is Trend.UP:
        return latest.percent is not None and latest.percent >= HUNDRED
    return latest.value == 0


def summarise(figures: Figures, scale: OptionsScale | PercentScale | NumberScale, cycle_year: int,
              entered: Mapping[int, YearFigure], current_option: str | None = None) -> FigureSummary:
    """The rows of the evaluated years (entries for other years are ignored), the trend and the suggestion."""
    rows = tuple(year_row(year, entered.get(year), figures.measure)
                 for year in evaluated_years(cycle_year, figures.years))
    return FigureSummary(rows, trend(rows), suggest(scale, rows, current_option))
