"""Keep the translation catalogues in step with the code.

    .venv/bin/python scripts/translate.py          extract, update id/en, list untranslated ids
    .venv/bin/python scripts/translate.py --fill F  apply translations from a YAML file {msgid: msgstr}
                                                    (a message with a context: {"ctxt|msgid": msgstr})

Message ids are English; the Indonesian catalogue must translate every one
(a test checks it). The English catalogue stays empty: ids are the English text.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
BABEL = str(Path(sys.executable).parent / "pybabel")
ID_PO = ROOT / "locales" / "id" / "LC_MESSAGES" / "messages.po"


def extract() -> None:
    pot = ROOT / "locales" / "messages.pot"
    subprocess.run([BABEL, "extract", "-F", "babel.cfg", "-o", str(pot), "--no-location", "--omit-header", "."],
                   cwd=ROOT, check=True, capture_output=True)
    subprocess.run([BABEL, "update", "-i", str(pot), "-d", "locales", "--no-fuzzy-matching", "--ignore-obsolete"],
                   cwd=ROOT, check=True, capture_output=True)


def fill(mapping_file: Path) -> None:
    mapping = yaml.safe_load(mapping_file.read_text(encoding="utf-8")) or {}
    with ID_PO.open("rb") as handle:
        catalog = read_po(handle, locale="id")
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        # A message with a context (msgctxt "cli") takes only a key naming it, "cli|Total": the same
        # English word may read differently there than on the web pages.
        key = f"{message.context}|{message.id}" if message.context else message.id
        if key in mapping:
            message.string = mapping[key]
    with ID_PO.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False)


def untranslated() -> list[str]:
    with ID_PO.open("rb") as handle:
        catalog = read_po(handle, locale="id")
    return [m.id for m in catalog if m.id and not m.string]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--fill":
        fill(Path(sys.argv[2]))
    else:
        extract()
    missing = untranslated()
    print(f"{len(missing)} untranslated")
    for msgid in missing:
        print(f"  {msgid!r}")
