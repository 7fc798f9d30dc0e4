"""Languages of the UI: Bahasa Indonesia first, English on request.

Message ids are English; `locales/id/LC_MESSAGES/messages.po` translates them.
The .po files are compiled in memory at start-up, so there is no build step.
The locale lives in a context variable set per request: a Jinja environment
shared by concurrent requests must never carry one request's language into
another's page.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def _load(language: str) -> NullTranslations:
    po_file = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


_TRANSLATIONS = {language: _load(language) for language in LANGUAGES}


def choose_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def gettext(message: str) -> str:
    return _TRANSLATIONS[current_language.get()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _TRANSLATIONS[current_language.get()].ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (the name Babel's extractor looks for)
    """Mark a message for the catalogue without translating it yet (tables built at import)."""
    return message


def pick(indonesian: str, english: str) -> str:
    """Choose between the two language versions the catalogue carries."""
    return english if current_language.get() == "en" and english else indonesian


def decimal_mark() -> str:
    return "," if current_language.get() == "id" else "."
