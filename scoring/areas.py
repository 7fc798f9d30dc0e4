"""Kelana/Dekela from per-area records: the share of a kab/kota's kecamatan (or desa/kelurahan) that
meet each question's criterion, as the percentage that question is answered with.

Pure: the caller reads the areas and the records. An area with no record counts as not meeting the
criterion, and the result says how many are still unrecorded (the page tells the DP3A). For a
lower-is-better question ("kecamatan yang memiliki kasus gizi buruk") a record means "has the
condition": the percentage is the share of areas with it, and the scale's `lower_is_better` turns
it into points like any typed percentage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class VillageKind(StrEnum):
    """What a desa-level area is, from its Kemendagri code's 4-digit suffix."""

    KELURAHAN = "kelurahan"  # 1xxx: an urban village, part of the kab/kota's administration
    DESA = "desa"  # 2xxx: a village with its own government
    OTHER = "other"  # any other suffix (a handful of codes in the source)


def village_kind(code: str) -> VillageKind:
    """`62.71.01.1001` is a kelurahan, `11.01.01.2001` a desa."""
    suffix = code.rsplit(".", 1)[-1]
    if len(suffix) == 4 and suffix[0] == "1":
        return VillageKind.KELURAHAN
    if len(suffix) == 4 and suffix[0] == "2":
        return VillageKind.DESA
    return VillageKind.OTHER


def percent(meeting: int, total: int) -> Decimal | None:
    """`meeting` of `total` as a percentage, exact, rounded half-up to 2 places; None without areas."""
    if total <= 0:
        return None
    return (HUNDRED * meeting / Decimal(total)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AreaShare:
    """One question's result: how many of the kab/kota's areas of its level meet the criterion."""

    question_code: str
    total: int  # areas of the question's level in the kab/kota
    meeting: int  # recorded as meeting the criterion (for lower-is-better: as having the condition)
    unrecorded: int  # areas nobody has recorded yet (counted as not meeting)
    percent: Decimal | None  # None: the kab/kota has no such areas
    qualifying: tuple[str, ...] = ()  # the codes of the areas meeting it, in the given order

    @property
    def complete(self) -> bool:
        return self.unrecorded == 0


def share(question_code: str, area_codes: Sequence[str], records: Mapping[str, bool]) -> AreaShare:
    """`records`: area code -> meets, for this question (areas not in `area_codes` are ignored:
    a record of an area the source no longer lists does not count)."""
    qualifying = tuple(code for code in area_codes if records.get(code) is True)
    unrecorded = sum(1 for code in area_codes if code not in records)
    return AreaShare(question_code, len(area_codes), len(qualifying), unrecorded,
                     percent(len(qualifying), len(area_codes)), qualifying)


def shares(levels: Mapping[str, str], areas: Mapping[str, Sequence[str]],
           records: Iterable[tuple[str, str, bool]]) -> dict[str, AreaShare]:
    """Every question's share. `levels`: question code -> its level ("kecamatan" or "desa");
    `areas`: level -> the area codes of that level in the kab/kota; `records`: (area code,
    question code, meets) of the cycle."""
    by_question: dict[str, dict[str, bool]] = {code: {} for code in levels}
    for area_code, question_code, meets in records:
        if question_code in by_question:
            by_question[question_code][area_code] = meets
    return {code: share(code, areas.get(level, ()), by_question[code]) for code, level in levels.items()}
