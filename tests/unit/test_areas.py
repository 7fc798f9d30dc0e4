"""Kelana/Dekela percentages from per-area records (scoring.areas): pure."""

from __future__ import annotations

from decimal import Decimal

from scoring.areas import VillageKind, percent, share, shares, village_kind

KECAMATAN = ["62.71.01", "62.71.02", "62.71.03", "62.71.04", "62.71.05"]


def test_share_counts_meeting_and_unrecorded():
    result = share("25.2", KECAMATAN, {"62.71.01": True, "62.71.02": False, "62.71.03": True})
    assert (result.total, result.meeting, result.unrecorded) == (5, 2, 2)
    assert result.percent == Decimal("40.00")
    assert result.qualifying == ("62.71.01", "62.71.03")
    assert not result.complete


def test_unrecorded_areas_count_as_not_meeting():
    assert share("25.2", KECAMATAN, {}).percent == Decimal("0.00")
    assert share("25.2", KECAMATAN, {c: True for c in KECAMATAN}).percent == Decimal("100.00")
    assert share("25.2", KECAMATAN, {c: True for c in KECAMATAN}).complete


def test_exact_rounding_half_up():
    assert percent(1, 3) == Decimal("33.33")
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 800) == Decimal("0.13")  # 0.125 rounds up, not to even
    assert percent(3, 7) == Decimal("42.86")


def test_no_areas_no_percentage():
    result = share("25.2", [], {"62.71.01": True})
    assert result.percent is None and result.total == 0 and result.meeting == 0


def test_records_of_areas_not_listed_are_ignored():
    result = share("25.2", KECAMATAN[:2], {"62.71.01": True, "99.99.99": True})
    assert (result.meeting, result.percent) == (1, Decimal("50.00"))


def test_shares_per_level():
    desa = ["62.71.01.1001", "62.71.01.1002", "62.71.02.1001", "62.71.02.1002"]
    records = [("62.71.01", "25.2", True), ("62.71.01.1001", "26.4", True), ("62.71.02.1002", "26.4", True),
               ("62.71.01.1002", "26.4", False), ("62.71.01", "99.9", True)]
    result = shares({"25.2": "kecamatan", "26.4": "desa", "26.2": "desa"}, {"kecamatan": KECAMATAN, "desa": desa},
                    records)
    assert set(result) == {"25.2", "26.4", "26.2"}
    assert result["25.2"].percent == Decimal("20.00")
    assert (result["26.4"].meeting, result["26.4"].unrecorded, result["26.4"].percent) == (2, 1, Decimal("50.00"))
    assert result["26.2"].percent == Decimal("0.00") and result["26.2"].unrecorded == 4


def test_village_kind_from_the_code_suffix():
    assert village_kind("62.71.01.1001") == VillageKind.KELURAHAN
    assert village_kind("11.01.01.2001") == VillageKind.DESA
    assert village_kind("11.01.01.3001") == VillageKind.OTHER
    assert village_kind("62.71.01") == VillageKind.OTHER


def test_catalogue_check_wants_a_criterion_and_a_percent_scale():
    from indicators import DEFAULT_CATALOGUE, load_catalogue
    from indicators.checks import check_catalogue

    data = load_catalogue(DEFAULT_CATALOGUE).data
    assert not [f for f in check_catalogue(data) if f.code.startswith("area_question")]
    part = data.parts[-1]
    indicator = part.indicators[0]
    question = indicator.questions[0].model_copy(update={"criterion": "", "scale": "ya_tidak"})
    broken = data.model_copy(update={"parts": (*data.parts[:-1], part.model_copy(update={"indicators": (
        indicator.model_copy(update={"questions": (question, *indicator.questions[1:])}), *part.indicators[1:])}))})
    codes = {f.code for f in check_catalogue(broken)}
    assert {"area_question_without_criterion", "area_question_not_percent"} <= codes
