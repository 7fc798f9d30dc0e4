"""The names inside the hand-off package: folders and files a Windows PC can extract as they are.

A pure rule (no database, no file system), so that it can be tested on any text.

Why ASCII: the package goes to the DP3A's and the ministry's Windows PCs, where Explorer's built-in
"Extract all" has long read ZIP names in the PC's own code page and turned an "é" or a "–" into
mojibake. Indonesian is written in the Latin alphabet without accents, so transliterating costs
nothing real: "Peraturan Daerah Nomor 5 Tahun 2021 – Kota Layak Anak" keeps every letter;
"Kecamatan Pahandut Seberang (Pasar Kahayan)" too. Accents lose their mark ("é" -> "e"), typographic
dashes and quotes become "-" and "'", and anything with no Latin reading (Arabic or Chinese script,
symbols) is dropped. The same text always gives the same name.

What Windows refuses and this rule removes: the characters `< > : " / \\ | ? *` and control
characters; a trailing dot or space; the device names CON, PRN, AUX, NUL, COM1-9 and LPT1-9 as the
part before the first dot, whatever the extension ("nul.txt" and "COM1.tar.gz" too); paths near 260
characters (the extraction folder comes in front of ours: a path inside the ZIP stays under
`MAX_PATH`). Windows compares names without case: `unique` makes names unique that way.
"""

from __future__ import annotations

import re
import unicodedata

# A path inside the ZIP: the sensitive top folder (18), a part and a question folder, a file name.
# The folder it is extracted to comes in front (~60-90 characters), well under Windows' 260.
MAX_PATH = 160
MAX_FILE_NAME = 100  # `<code>_<n>_<title>.<ext>`
MAX_TITLE = 60  # the title's share of a file name
MAX_FOLDER = 20  # a part's or a question's code
DEFAULT_TITLE = "berkas"

_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)}
# Letters NFKD does not take apart, and typographic marks people paste from word processors.
_LATIN = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
    "ł": "l", "Ł": "L", "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
    "‐": "-", "‑": "-", "⁄": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": "'", "”": "'", "„": "'", "«": "'", "»": "'",
    "…": "...", "№": "No", "°": " ", "·": " ", "•": " ",
})
_SEPARATORS = re.compile(r"[/\\|]")  # "5/2021" -> "5-2021"
_REFUSED = re.compile(r'[<>:"?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"[a-z0-9]{1,5}")


def ascii_text(text: str) -> str:
    """`text` in ASCII letters: accents dropped, dashes and quotes made plain, the rest left out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN))
    kept = "".join(char for char in decomposed if not unicodedata.combining(char))
    return kept.translate(_LATIN).encode("ascii", "ignore").decode("ascii")


def _windows_safe(name: str) -> str:
    """No leading or trailing dot or space, and never a device name before the first dot."""
    name = name.strip(" .")
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        name = f"_{name}"
    return name


def _shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where one ends late enough."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space >= limit * 2 // 3 else cut


def segment(text: str, limit: int = MAX_TITLE, fallback: str = DEFAULT_TITLE) -> str:
    """One name (a folder, or the title part of a file name) safe on Windows, at most `limit` long."""
    plain = _SEPARATORS.sub("-", ascii_text(text))
    plain = _SPACES.sub(" ", _REFUSED.sub(" ", plain)).strip(" .")
    name = _windows_safe(_shorten(plain, limit))
    return name[:limit].rstrip(" .") or fallback


def extension_of(filename: str) -> str:
    """The extension of a stored file's name (its content's, `app.evidence.safe_filename`), lower-case;
    "bin" when there is none fit for a name."""
    dot = filename.rfind(".")
    found = filename[dot + 1:].lower() if dot >= 0 else ""
    return found if _EXTENSION.fullmatch(found) else "bin"


def title_of(title: str, filename: str) -> str:
    """What a file is called in the package: the library document's title, else its file name's stem."""
    if title.strip():
        return title
    dot = filename.rfind(".")
    return filename[:dot] if dot > 0 else filename


def file_name(code: str, n: int, title: str, extension: str) -> str:
    """`<code>_<n>_<title>.<ext>`: the n-th file (from 1) of question `code`, named by its title."""
    ext = extension if _EXTENSION.fullmatch(extension) else "bin"
    head = f"{segment(code, MAX_FOLDER, 'soal')}_{n}_"
    room = max(8, min(MAX_TITLE, MAX_FILE_NAME - len(head) - len(ext) - 1))
    return f"{head}{segment(title, room)}.{ext}"


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... before its extension: the first not in `taken` ignoring
    case (as Windows compares names), never longer than `MAX_FILE_NAME`. Adds what it returns to
    `taken` (casefolded)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        base = stem[: MAX_FILE_NAME - len(suffix) - len(dot + ext)].rstrip(" .") or "_"
        candidate = f"{base}{suffix}{dot}{ext}"
        n += 1
    taken.add(candidate.casefold())
    return candidate


def zip_path(*parts: str) -> str:
    """Folders and a file joined with "/" (ZIP's separator); each part already a `segment`."""
    path = "/".join(parts)
    if len(path) > MAX_PATH:
        raise ValueError(f"path longer than {MAX_PATH}: {path!r}")
    return path
