"""Provinsi Layak Anak: a province qualifies when every kab/kota in it holds at least Pratama."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from indicators import Catalogue

MINIMUM_CATEGORY = "pratama"


@dataclass(frozen=True)
class ProvilaStatus:
    qualifies: bool
    holding_back: tuple[str, ...]  # regions below the minimum or without a result, in input order


def provila_status(
    catalogue: Catalogue,
    categories: Mapping[str, str | None],
    minimum: str = MINIMUM_CATEGORY,
) -> ProvilaStatus:
    """`categories` maps every kab/kota of one province to its category code (None: no result).

    A province with no kab/kota cannot qualify.
    """
    order = [b.code for b in catalogue.bands]
    floor = order.index(minimum)
    behind = tuple(
        region
        for region, category in categories.items()
        if category not in order or order.index(category) < floor
    )
    return ProvilaStatus(qualifies=bool(categories) and not behind, holding_back=behind)
