"""Local time (WIB, Asia/Jakarta) as the UI shows and reads it. Stored times are aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")  # every time a user sees says "WIB" next to it


def as_aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_time(moment: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """"31-05-2024 16:00 WIB"; "" for no time."""
    if moment is None:
        return ""
    return as_aware(moment).astimezone(WIB).strftime(fmt) + " WIB"


def parse_local_input(text: str) -> datetime:
    """A datetime-local input's value ("2024-05-31T16:00") read as WIB, returned as aware UTC.
    Raises ValueError for anything else (also for a value that names its own zone)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        raise ValueError("expected a local time")
    return moment.replace(tzinfo=WIB).astimezone(UTC)


def local_input_value(moment: datetime | None) -> str:
    """The value of a datetime-local input showing `moment` in WIB."""
    if moment is None:
        return ""
    return as_aware(moment).astimezone(WIB).strftime("%Y-%m-%dT%H:%M")
