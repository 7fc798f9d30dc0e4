"""Answers as data: percentages, trends and what the figures make of the answer (scoring.figures)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import Figures, Measure
from scoring.figures import (
    NoPercent,
    Trend,
    YearFigure,
    evaluated_years,
    percent,
    suggest,
    summarise,
    trend,
    year_row,
)

D = Decimal
SHARE = Figures(measure=Measure.SHARE, unit="anak", unit_en="children", numerator="Anak", numerator_en="Children",
                denominator="Jumlah anak", denominator_en="Number of children")
COUNT = Figures(measure=Measure.COUNT, unit="bayi", unit_en="infants", numerator="Kematian bayi",
                numerator_en="Infant deaths")


def _rows(measure, *figures):
    years = evaluated_years(2025)
    return tuple(year_row(year, figure, measure) for year, figure in zip(years, figures, strict=True))


def test_the_evaluated_years_are_those_before_the_cycle():
    assert evaluated_years(2025) == (2023, 2024)
    assert evaluated_years(2025, 3) == (2022, 2023, 2024)


@pytest.mark.parametrize(("top", "bottom", "expected"), [
    (1, 3, D("33.33")), (2, 3, D("66.67")), (1, 8, D("12.50")), (1, 200, D("0.50")), (1, 400, D("0.25")),
    (1, 800, D("0.13")),  # 0.125 rounds half up
    (5, 5, D("100.00")), (0, 7, D("0.00")),
])
def test_percent_is_exact_and_rounded_half_up(top, bottom, expected):
    assert percent(D(top), D(bottom)) == expected


def test_a_zero_denominator_gives_no_percentage_and_says_why():
    row = year_row(2024, YearFigure(2024, D(0), D(0)), Measure.SHARE)
    assert row.percent is None and row.no_percent is NoPercent.ZERO_DENOMINATOR
    assert year_row(2024, None, Measure.SHARE).no_percent is NoPercent.NO_FIGURES
    count = year_row(2024, YearFigure(2024, D(4)), Measure.COUNT)
    assert count.percent is None and count.no_percent is NoPercent.COUNT and count.value == D(4)


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_percent_is_within_half_a_hundredth_of_the_exact_share(top, bottom):
    top = min(top, bottom)
    shown = percent(D(top), D(bottom))
    assert shown is not None and D(0) <= shown <= D(100)
    assert abs(shown - D(top) * 100 / D(bottom)) <= D("0.005")


def test_trend_compares_the_later_year_with_the_earlier():
    up = _rows(Measure.SHARE, YearFigure(2023, D(50), D(100)), YearFigure(2024, D(60), D(100)))
    assert trend(up) is Trend.UP
    down = _rows(Measure.COUNT, YearFigure(2023, D(9)), YearFigure(2024, D(4)))
    assert trend(down) is Trend.DOWN
    flat = _rows(Measure.SHARE, YearFigure(2023, D(1), D(2)), YearFigure(2024, D(50), D(100)))
    assert trend(flat) is Trend.FLAT
    assert trend(_rows(Measure.SHARE, None, YearFigure(2024, D(1), D(2)))) is None
    # a share of nothing has no percentage: nothing to compare
    assert trend(_rows(Measure.SHARE, YearFigure(2023, D(0), D(0)), YearFigure(2024, D(1), D(2)))) is None


@given(st.lists(st.integers(0, 1000), min_size=2, max_size=2))
def test_trend_of_counts_follows_their_order(values):
    rows = _rows(Measure.COUNT, *(YearFigure(y, D(v)) for y, v in zip((2023, 2024), values, strict=True)))
    expected = Trend.UP if values[1] > values[0] else Trend.DOWN if values[1] < values[0] else Trend.FLAT
    assert trend(rows) is expected


def test_on_a_percent_scale_the_latest_percentage_is_the_answer(catalogue):
    scale = catalogue.scales["persen"]
    summary = summarise(SHARE, scale, 2025, {2023: YearFigure(2023, D(1), D(3)), 2024: YearFigure(2024, D(2), D(3)),
                                             2019: YearFigure(2019, D(3), D(3))})
    assert [r.year for r in summary.rows] == [2023, 2024]
    assert summary.suggestion.value == D("66.67") and summary.suggestion.computed
    assert summary.trend is Trend.UP
    only_first = summarise(SHARE, scale, 2025, {2023: YearFigure(2023, D(1), D(4))})
    assert only_first.suggestion.value == D("25.00")
    assert summarise(SHARE, scale, 2025, {}).suggestion.value is None


def test_data_two_years_option_follows_the_years_entered(catalogue):
    scale = catalogue.scales["data_dua_tahun"]
    none = _rows(Measure.COUNT, None, None)
    one = _rows(Measure.COUNT, None, YearFigure(2024, D(3)))
    two = _rows(Measure.COUNT, YearFigure(2023, D(0)), YearFigure(2024, D(3)))
    assert suggest(scale, none).option == "tidak_ada"
    assert suggest(scale, one).option == "satu_tahun"
    assert suggest(scale, two).option == "dua_tahun"
    # disaggregated and analysed stays the person's choice, with both years entered
    assert suggest(scale, two, "dua_tahun_terpilah").option == "dua_tahun_terpilah"
    assert suggest(scale, one, "dua_tahun_terpilah").option == "satu_tahun"
    assert not suggest(scale, two).computed


def test_trend_scales_respect_their_direction(catalogue):
    rising = _rows(Measure.SHARE, YearFigure(2023, D(5), D(10)), YearFigure(2024, D(8), D(10)))
    falling = _rows(Measure.COUNT, YearFigure(2023, D(12)), YearFigure(2024, D(7)))
    naik, turun = catalogue.scales["tren_naik"], catalogue.scales["tren_turun"]
    assert suggest(naik, rising).option == "naik"
    assert suggest(turun, falling).option == "turun"
    assert suggest(turun, _rows(Measure.COUNT, YearFigure(2023, D(3)), YearFigure(2024, D(5)))).option == "naik"
    assert suggest(naik, _rows(Measure.SHARE, None, YearFigure(2024, D(1), D(2)))).option == "tidak_ada_data"
    # already at the best end: 100 % stays "naik", zero cases stay "turun"
    full = _rows(Measure.SHARE, YearFigure(2023, D(10), D(10)), YearFigure(2024, D(12), D(12)))
    assert suggest(naik, full).option == "naik"
    zero = _rows(Measure.COUNT, YearFigure(2023, D(0)), YearFigure(2024, D(0)))
    assert suggest(turun, zero).option == "turun"
    flat = _rows(Measure.COUNT, YearFigure(2023, D(4)), YearFigure(2024, D(4)))
    assert suggest(turun, flat).option == "tetap"


def test_other_scales_get_no_suggestion(catalogue):
    rows = _rows(Measure.SHARE, YearFigure(2023, D(1), D(2)), YearFigure(2024, D(1), D(2)))
    assert suggest(catalogue.scales["pelatihan_kha"], rows).option is None
    assert suggest(catalogue.scales["jumlah_lembaga"], rows).value is None
