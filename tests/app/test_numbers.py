"""The UI's number formatters (app.i18n) write what Babel's formatter writes for the language; they
take only its symbols, for speed (a page of scores shows a thousand numbers)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from app import i18n

LANGUAGES = ("id", "en")
decimals = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False,
                       places=6)


@pytest.mark.parametrize("language", LANGUAGES)
@given(cents=st.integers(min_value=-10**11, max_value=10**11))
def test_points_as_babel_writes_them(language, cents):
    expected = format_decimal(Decimal(cents).scaleb(-2), format="0.00", locale=language)
    assert i18n.format_cents(cents, language=language) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("digits", [0, 1, 2])
@given(number=decimals)
def test_fixed_decimals_as_babel_writes_them(language, digits, number):
    pattern = "0." + "0" * digits if digits else "0"
    assert i18n.format_fixed(number, digits, language=language) == format_decimal(number, format=pattern,
                                                                                 locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
@given(number=decimals)
def test_a_number_with_its_own_decimals_as_babel_writes_it(language, number):
    expected = format_decimal(number, format="0", locale=language, decimal_quantization=False)
    assert i18n.format_number(number, language=language) == expected


def test_the_indonesian_comma_and_the_english_point():
    assert i18n.format_cents(8750, language="id") == "87,50"
    assert i18n.format_number(Decimal("87.5"), language="en") == "87.5"
    assert i18n.format_number(1_000_000, grouping=True, language="id") == "1.000.000"
