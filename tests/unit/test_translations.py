"""Bahasa Indonesia first: every message the code and templates show has its Indonesian translation.

The messages are extracted the way `pybabel extract -F babel.cfg` does (as
scripts/translate.py runs it), so a new `_()` or `{% trans %}` without an entry
in locales/id/LC_MESSAGES/messages.po fails here instead of showing English to an OPD.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _extracted() -> dict[str, str]:
    """msgid (the singular for plurals) -> where it was found first."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, str] = {}
    # Babel's default filter skips folders starting with "." or "_" (.venv, .git).
    for filename, lineno, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _translated(language: str) -> dict[str, object]:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {m.id[0] if isinstance(m.id, tuple) else m.id: m.string for m in catalog if m.id}


def test_every_message_has_an_indonesian_translation():
    indonesian = _translated("id")
    missing = [f"{where}: {msgid!r}" for msgid, where in _extracted().items()
               if not indonesian.get(msgid) or (isinstance(indonesian[msgid], tuple) and not all(indonesian[msgid]))]
    assert not missing, "untranslated (add them to locales/id/LC_MESSAGES/messages.po):\n" + "\n".join(missing)


def test_the_catalogue_finds_messages_in_code_and_templates():
    found = _extracted()
    assert any(where.startswith("app/") for where in found.values())
    assert any(where.startswith("templates/") for where in found.values())
    assert "Answer saved" in found  # marked with N_() in a table, not translated where defined
