"""The arithmetic of the action plan (RAD KLA): reading rupiah and percentages as people type them,
and the progress of the plan per part of the instrument (cluster). Pure: no database, no language.

The rules of the summary (the monitoring report's, on the page and in the workbook alike):
- `count` is every activity of the plan (removed ones are no longer in it);
- a cancelled activity will not be carried out: it is left out of the average progress and of the
  planned budget, but what it had spent stays spent (`realised` counts every activity);
- the average progress is the mean of the percentages, rounded to one decimal (half up), 0 when no
  activity is left to average.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_RUPIAH = Decimal("99999999999999.99")  # Numeric(16, 2)
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d{1,2})?$", re.ASCII)  # 1.250.000 or 1.250.000,50
_PLAIN = re.compile(r"^\d+(,\d{1,2})?$", re.ASCII)  # 1250000 or 1250000,50


class BadAmount(ValueError):
    """Not an amount of rupiah (the text, letters, a negative number, too large)."""


class BadPercent(ValueError):
    """Not a whole percentage between 0 and 100."""


def parse_rupiah(text: str) -> Decimal | None:
    """An amount typed in rupiah, or None when left empty: "1.250.000", "1250000", "Rp 1.250.000,50".

    A dot groups thousands (Indonesian): "1.250" is one thousand two hundred and fifty, so a dot
    must be followed by exactly three digits, and cents follow a comma; "12.5" is refused rather
    than guessed."""
    cleaned = text.strip()
    if cleaned[:2].casefold() == "rp":
        cleaned = cleaned[2:].lstrip(". ")
    cleaned = cleaned.replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    if _GROUPED.match(cleaned):
        number = cleaned.replace(".", "").replace(",", ".")
    elif _PLAIN.match(cleaned):
        number = cleaned.replace(",", ".")
    else:
        raise BadAmount(text)
    try:
        amount = Decimal(number).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit digits only
        raise BadAmount(text) from exc
    if amount > MAX_RUPIAH:
        raise BadAmount(text)
    return amount


def parse_percent(text: str) -> int:
    """A whole percentage, 0..100 ("75" or "75%")."""
    cleaned = text.strip().removesuffix("%").strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 3 or int(cleaned) > 100:
        raise BadPercent(text)
    return int(cleaned)


@dataclass(frozen=True)
class Line:
    """One activity as the summary counts it: its part, where it stands, its money."""

    part: str
    status: str  # a RadStatus value
    progress: int
    budget: Decimal | None = None
    realised: Decimal | None = None  # the latest report's


@dataclass
class Progress:
    """The plan's progress over some activities (one part, or the whole plan)."""

    count: int = 0
    planned: int = 0
    ongoing: int = 0
    done: int = 0
    delayed: int = 0
    cancelled: int = 0
    budget: Decimal = Decimal(0)  # planned, without the cancelled activities
    realised: Decimal = Decimal(0)
    _progress_sum: int = field(default=0, repr=False)

    @property
    def average(self) -> Decimal:
        """The mean progress of the activities still in the plan (not cancelled), one decimal."""
        counted = self.count - self.cancelled
        if not counted:
            return Decimal(0)
        return (Decimal(self._progress_sum) / counted).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def realised_share(self) -> Decimal | None:
        """The realised budget as a percentage of the planned one (None: nothing planned), one decimal."""
        if not self.budget:
            return None
        return (self.realised * 100 / self.budget).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def add(self, line: Line) -> None:
        self.count += 1
        setattr(self, line.status, getattr(self, line.status) + 1)
        self.realised += line.realised or 0
        if line.status != "cancelled":
            self._progress_sum += line.progress
            self.budget += line.budget or 0


def summarise(lines: Iterable[Line], parts: Iterable[str]) -> tuple[dict[str, Progress], Progress]:
    """The progress of each of `parts` (in that order, each present even with no activity) and of
    the whole plan."""
    by_part = {part: Progress() for part in parts}
    total = Progress()
    for line in lines:
        by_part.setdefault(line.part, Progress()).add(line)
        total.add(line)
    return by_part, total
