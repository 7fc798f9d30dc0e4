"""The arithmetic of the action plan (RAD KLA): amounts in rupiah as people type them, percentages, and
the progress per cluster (`scoring.rad`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.rad import BadAmount, BadPercent, Line, Progress, parse_percent, parse_rupiah, summarise


@pytest.mark.parametrize(("text", "amount"), [
    ("1.250.000", Decimal("1250000.00")),
    ("1250000", Decimal("1250000.00")),
    ("Rp 1.250.000", Decimal("1250000.00")),
    ("Rp. 1.250.000,50", Decimal("1250000.50")),
    ("rp1250000,5", Decimal("1250000.50")),
    (" 1.250 ", Decimal("1250.00")),
    ("0", Decimal("0.00")),
    ("", None),
    ("   ", None),
    ("99.999.999.999.999,99", Decimal("99999999999999.99")),
])
def test_amounts_in_rupiah(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("text", ["12.5", "1.25.000", "1,250,000", "-5000", "1.250.000,505", "12 juta", "1e6",
                                  "100.000.000.000.000", "١٢٣", "1250000.50", "Rp"])
def test_what_is_not_an_amount(text):
    if text == "Rp":
        assert parse_rupiah(text) is None  # only the currency: nothing typed
        return
    with pytest.raises(BadAmount):
        parse_rupiah(text)


@given(st.integers(min_value=0, max_value=10**13))
def test_an_amount_grouped_as_the_pages_write_it_reads_back(whole):
    grouped = f"{whole:,}".replace(",", ".")
    assert parse_rupiah(grouped) == parse_rupiah(str(whole)) == Decimal(whole)


@pytest.mark.parametrize(("text", "percent"), [("0", 0), ("100", 100), ("75%", 75), (" 40 ", 40)])
def test_percentages(text, percent):
    assert parse_percent(text) == percent


@pytest.mark.parametrize("text", ["101", "-1", "50,5", "", "abc", "1000", "²"])
def test_what_is_not_a_percentage(text):
    with pytest.raises(BadPercent):
        parse_percent(text)


def test_progress_per_part_leaves_the_cancelled_out_of_the_average_and_the_budget():
    lines = [Line("K3", "done", 100, Decimal(1_000_000), Decimal(900_000)),
             Line("K3", "ongoing", 45, Decimal(3_000_000), Decimal(1_000_000)),
             Line("K3", "cancelled", 10, Decimal(2_000_000), Decimal(100_000)),
             Line("K4", "delayed", 20, None, None),
             Line("K4", "planned", 0, Decimal(500_000), None)]
    by_part, total = summarise(lines, ["KL", "K3", "K4"])
    assert list(by_part) == ["KL", "K3", "K4"]
    assert by_part["KL"] == Progress() and by_part["KL"].average == 0 and by_part["KL"].realised_share is None
    k3 = by_part["K3"]
    assert (k3.count, k3.done, k3.ongoing, k3.cancelled, k3.delayed) == (3, 1, 1, 1, 0)
    assert k3.average == Decimal("72.5")
    assert (k3.budget, k3.realised) == (Decimal(4_000_000), Decimal(2_000_000))  # money spent stays spent
    assert k3.realised_share == Decimal("50.0")
    k4 = by_part["K4"]
    assert (k4.count, k4.delayed, k4.planned, k4.average, k4.budget) == (2, 1, 1, Decimal(10), Decimal(500_000))
    assert (total.count, total.average) == (5, Decimal("41.3"))  # 165 / 4 = 41.25, half up
    assert total.budget == Decimal(4_500_000)


def test_a_plan_of_cancelled_activities_averages_to_nothing():
    _by_part, total = summarise([Line("K1", "cancelled", 30, Decimal(5), None)], ["K1"])
    assert (total.count, total.average, total.budget, total.realised_share) == (1, 0, 0, None)


@given(st.lists(st.tuples(st.sampled_from(["K1", "K2"]), st.sampled_from(["planned", "ongoing", "done", "delayed",
                                                                         "cancelled"]),
                          st.integers(0, 100)), max_size=30))
def test_the_parts_add_up_to_the_whole_plan(rows):
    by_part, total = summarise([Line(part, status, progress) for part, status, progress in rows], ["K1", "K2"])
    assert total.count == len(rows) == sum(p.count for p in by_part.values())
    for name in ("planned", "ongoing", "done", "delayed", "cancelled"):
        assert getattr(total, name) == sum(getattr(p, name) for p in by_part.values())
    assert 0 <= total.average <= 100
