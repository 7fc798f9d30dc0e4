"""Local time (WIB, Asia/Jakarta) as the UI shows and reads it. Stored times are aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

WIB = ZoneInfo("Asia/Jakarta")  # every time a user sees says "WIB" next to it


def as_aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_time(moment: datetime | None, pattern: str = "dd-MM-yyyy HH:mm") -> str:
    """"31-05-2024 16:00 WIB" (`pattern` in Babel's date pattern syntax, e.g. "HH:mm"); "" for no time.
    All digits, the same in both languages: the form people write dates in on paper."""
    if moment is None:
        return ""
    return format_datetime(as_aware(moment), pattern, tzinfo=WIB, locale="id") + " WIB"


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
