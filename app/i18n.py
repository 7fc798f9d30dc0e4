"""Languages of the UI: Bahasa Indonesia first, English on request.

Message ids are English; `locales/id/LC_MESSAGES/messages.po` translates them.
The .po files are compiled in memory at start-up (`load_translations`, else on first
use), so there is no build step.
The locale lives in a context variable set per request: a Jinja environment
shared by concurrent requests must never carry one request's language into
another's page.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_decimal_symbol
from babel.support import NullTranslations, Translations

from scoring import format_points

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def _translations(language: str) -> NullTranslations:
    """The compiled catalogue of `language`: read on first use, or by `load_translations` at start-up."""
    po_file = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def load_translations() -> int:
    """Compile every catalogue now (the app's lifespan calls this, so no request pays for it)."""
    return len([_translations(language) for language in LANGUAGES])


@contextmanager
def using_language(language: str) -> Iterator[None]:
    """Speak `language` inside the block (a command of the CLI, a test), then the one before."""
    token = current_language.set(choose_language(language))
    try:
        yield
    finally:
        current_language.reset(token)


def choose_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def gettext(message: str) -> str:
    return _translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(current_language.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose translation differs by place (msgctxt): the CLI's "Total" is not the web's."""
    return str(_translations(current_language.get()).pgettext(context, message))


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (the name Babel's extractor looks for)
    """Mark a message for the catalogue without translating it yet (tables built at import)."""
    return message


def pick(indonesian: str, english: str) -> str:
    """Choose between the two language versions the catalogue carries."""
    return english if current_language.get() == "en" and english else indonesian


def decimal_mark(language: str | None = None) -> str:
    """The decimal mark of `language` (default: the current one), for the pure core's formatters."""
    return _decimal_symbol(language or current_language.get())


@cache
def _decimal_symbol(language: str) -> str:
    # Babel's lookup costs ~7 us a call; a page of scores shows a thousand numbers.
    return get_decimal_symbol(language)


# Numbers as the UI shows them: Babel's symbols for the language, and no grouping except where a
# caller asks (a score column reads "1000,00", a limit in a sentence "1.000.000").

def format_number(value: int | float | Decimal, *, grouping: bool = False, language: str | None = None) -> str:
    """A number with every decimal it has and no trailing zeros: 50, "87,5", "0,001"."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not grouping:  # the common case, as Babel writes it (tests/app/test_numbers.py), 10x cheaper
        return format(number.normalize(), "f").replace(".", decimal_mark(language))
    return format_decimal(number, format="#,##0", locale=language or current_language.get(),
                          decimal_quantization=False)


def format_fixed(value: int | float | Decimal, digits: int, *, language: str | None = None) -> str:
    """A number with exactly `digits` decimals (rounded half to even, as Python's format does)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    # What Babel's pattern "0.00" writes (tests/app/test_numbers.py), at a tenth of its cost.
    return format(number, f".{digits}f").replace(".", decimal_mark(language))


def format_decimal_points(value: Decimal | int, *, language: str | None = None) -> str:
    """A catalogue maximum (Decimal) with two decimals: "12,50"."""
    return format_fixed(value, 2, language=language)


def format_cents(cents: int, *, language: str | None = None) -> str:
    """Points stored as cents: 1250 -> "12,50" ("12.50" in English). The pure core's formatter with
    Babel's decimal mark: the same text as Babel's formatter (tests/app/test_numbers.py) at a
    twentieth of its cost, which counts on a page of a thousand scores."""
    return format_points(cents, decimal_mark(language))


def format_file_size(size: int, *, language: str | None = None) -> str:
    """Bytes as "1,5 MB" from one megabyte up, else whole kilobytes ("12 KB", at least 1)."""
    megabyte = 1024 * 1024
    if size >= megabyte:
        return f"{format_fixed(Decimal(size) / megabyte, 1, language=language)} MB"
    return f"{format_number(max(1, round(size / 1024)), language=language)} KB"
