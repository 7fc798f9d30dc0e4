"""The file name kept for display and download, made from whatever the browser sent.

Why: the client's name is untrusted text. It may carry a path (`../../etc/passwd`, or the
full `C:\\Users\\...` path old browsers send), control or bidi characters that make
`gambar‮fdp.exe` read as a PDF, characters Windows cannot save, or an extension that
lies about the content. The name is only ever a label: storage is by content hash (see
`store.py`), so here it only has to be harmless and honest, and the extension always
follows what `sniff()` found in the bytes.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 120
DEFAULT_STEM = "berkas"

_FORBIDDEN = set('<>:"/\\|?*')
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}  # controls, invisible format/bidi marks, lone surrogates
_SEPARATORS = re.compile(r"[/\\]")
# A trailing ".abc" counts as an extension only if it has a letter: "v1.2" keeps its ".2".
_EXTENSION_LIKE = re.compile(r"\.(?=[0-9A-Za-z]{0,4}[A-Za-z])[0-9A-Za-z]{1,5}$")
_EQUIVALENT_EXTENSIONS = {".jpg": (".jpg", ".jpeg")}
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)
}


def safe_filename(raw: str, extension: str) -> str:
    """A display name for `raw` that ends in `extension` (the sniffed canonical one)."""
    extension = extension if extension.startswith(".") else f".{extension}"
    name = _clean(_last_component(raw or ""))
    stem, extension = _split_extension(name, extension.lower())
    stem = _strip_edges(stem[: MAX_NAME_LENGTH - len(extension)])
    if stem.upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return f"{stem or DEFAULT_STEM}{extension}"


def _last_component(raw: str) -> str:
    return _SEPARATORS.split(raw)[-1]


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = "".join(" " if char.isspace() else char for char in name)  # tabs, newlines: one space
    name = "".join(
        char
        for char in name
        if char not in _FORBIDDEN and unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    # Again: removing an invisible mark can leave a letter and an accent to be composed.
    return _strip_edges(unicodedata.normalize("NFC", " ".join(name.split())))


def _strip_edges(name: str) -> str:
    """No leading dot (hidden files) and no trailing dot or space (Windows drops them)."""
    return name.lstrip(". ").rstrip(". ")


def _split_extension(name: str, extension: str) -> tuple[str, str]:
    """Drop the claimed extension; keep `.jpeg` for a JPEG, otherwise use the sniffed one."""
    accepted = _EQUIVALENT_EXTENSIONS.get(extension, (extension,))
    stem, claimed = name, ""
    if match := _EXTENSION_LIKE.search(name):
        stem, claimed = name[: match.start()], match.group().lower()
    if claimed in accepted:
        extension = claimed
    elif stem.lower().endswith(accepted):  # "laporan.pdf.exe": do not make "laporan.pdf.pdf"
        stem = stem[: stem.rfind(".")]
    return stem, extension
