"""Points as whole hundredths ("cents").

The rekap sheets show scores with two decimals, so every question score is
rounded once to a hundredth and every sum after that is an exact integer sum:
no float drift, and 600.00 never turns into 599.9999.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

HUNDRED = Decimal(100)


def to_cents(points: Decimal | int | str) -> int:
    """12.5 points -> 1250. Anything finer than a hundredth is rounded half up."""
    value = Decimal(points) * HUNDRED
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def share_of(fraction: Fraction, max_cents: int) -> int:
    """`fraction` of `max_cents`, rounded half up to a whole cent (fraction >= 0)."""
    numerator = fraction.numerator * max_cents
    return (2 * numerator + fraction.denominator) // (2 * fraction.denominator)


def format_points(cents: int, decimal_mark: str = ".") -> str:
    """1250 -> '12.50' (or '12,50' with the Indonesian decimal mark)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}{decimal_mark}{part:02d}"
