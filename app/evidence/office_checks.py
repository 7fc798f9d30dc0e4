"""Active content in ZIP-based office files: macros, scripts, and parts fetched from elsewhere.

OOXML (.docx, .xlsx): macro projects (`vbaProject.bin`, macro-enabled content types, Excel 4
macro sheets) are refused. So is every relationship that makes Word or Excel fetch something
from outside the file when it is opened: a remote template (the classic "template injection"
used to load macros into a plain .docx), linked OLE objects, frames, sub-documents, mail-merge
data and external data connections. Plain external hyperlinks stay allowed: reports are full
of them, and nothing is fetched until someone clicks. A template, picture or linked workbook
on the reader's own disk (`C:\\...`, a relative path) is allowed too: Word writes those for
every document made from a local template, and opening them reaches no server.

OpenDocument (.odt, .ods): `Basic/` and `Scripts/` folders (macros), script entries in the
manifest, event listeners (which run a macro, also one of LibreOffice's own, on load or on a
click), links to `macro:` or `vnd.sun.star.script:` URLs, and encrypted packages (their
content cannot be checked). The XML is scanned as bytes in pieces, not parsed: a spreadsheet's
content.xml is often 30 times its packed size, and a parse of 100 MB takes seconds while
this takes a quarter of one.
"""

from __future__ import annotations

import re
import zipfile
from urllib.parse import unquote

from lxml import etree

from app.evidence.refused import RefusedFile

_PIECE = 1024 * 1024
_OVERLAP = 4096

# --- OOXML ---------------------------------------------------------------------------------

_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"macrosheet")
_MACRO_RELATIONSHIPS = {"vbaProject", "vbaProjectSignature", "wordVbaData", "xlMacrosheet", "xlIntlMacrosheet"}
# External targets allowed when they stay on the reader's own disk; any other external
# relationship type except a hyperlink is refused wherever it points.
_LOCAL_ONLY_TYPES = {
    "attachedTemplate", "image", "externalLinkPath",
    "xlPathMissing", "xlStartup", "xlAlternateStartup", "xlLibrary",
}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")  # two letters at least: C: is a drive
_DRIVE = re.compile(r"^[A-Za-z]:/")


def check_ooxml(archive: zipfile.ZipFile, names: list[str]) -> None:
    lowered = [name.lower() for name in names]
    if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in lowered):
        raise RefusedFile("office_macros", "macro project or macro sheet")
    if _contains_any(archive, "[Content_Types].xml", _MACRO_CONTENT_TYPES):
        raise RefusedFile("office_macros", "macro-enabled content type")
    if "xl/connections.xml" in lowered:
        raise RefusedFile("office_external", "external data connections")
    for name, low in zip(names, lowered, strict=True):
        if low.endswith(".rels"):
            _check_relationships(archive, name)


def _check_relationships(archive: zipfile.ZipFile, name: str) -> None:
    with archive.open(name) as part:
        parsed = etree.iterparse(part, events=("end",), tag="{*}Relationship", resolve_entities=False,
                                 no_network=True, load_dtd=False)
        for _, element in parsed:
            kind = (element.get("Type") or "").rstrip("/").rsplit("/", 1)[-1]
            target = element.get("Target") or ""
            external = (element.get("TargetMode") or "").lower() == "external" or _is_remote(target)
            element.clear()
            if kind in _MACRO_RELATIONSHIPS:  # a macro project is found by this link, whatever its part's name
                raise RefusedFile("office_macros", f"{kind} relationship in {name}")
            if not external or kind == "hyperlink" or (kind in _LOCAL_ONLY_TYPES and not _is_remote(target)):
                continue
            raise RefusedFile("office_external", f"{kind} -> {target[:200]!r} in {name}")


def _windows(archive: zipfile.ZipFile, name: str):
    """The part in 1 MiB pieces, lower-cased and without NULs (so UTF-16 XML reads like UTF-8),
    each piece preceded by the end of the one before, so that no token is cut in two."""
    tail = b""
    with archive.open(name) as part:
        while piece := part.read(_PIECE):
            window = tail + piece.replace(b"\x00", b"").lower()
            yield window
            tail = window[-_OVERLAP:]


def _contains_any(archive: zipfile.ZipFile, name: str, tokens: tuple[bytes, ...]) -> bool:
    return any(token in window for window in _windows(archive, name) for token in tokens)


def _is_remote(target: str) -> bool:
    """Whether opening `target` may reach another machine (URL, UNC path, file://host/...)."""
    path = unquote(target).strip().replace("\\", "/")
    if path.lower().startswith("file:"):
        path = path[5:]
        if path.startswith("///") and not path.startswith("////"):
            return False  # file:///C:/... or file:///Users/...: this machine
        return path.startswith("//")  # file://host/share (file:/path is local)
    return path.startswith("//") or (bool(_SCHEME.match(path)) and not _DRIVE.match(path))


# --- OpenDocument --------------------------------------------------------------------------

_ODF_MACRO_FOLDERS = ("basic/", "scripts/")
_ODF_MANIFEST = "META-INF/manifest.xml"
_ODF_MANIFEST_SCRIPT = re.compile(
    rb"full-path\s*=\s*[\"'](?:\./)?(?:basic|scripts)/|media-type\s*=\s*[\"'][^\"']*script"
)
# Cheap literal finds first (on lowered bytes without NULs, so UTF-16 XML counts too); each
# hit is then confirmed where it stands: an element name, or the start of a link's value.
_ODF_PREFIX = re.compile(rb"(?:[\w.\-]+:)?")
_ODF_HREF = re.compile(rb"href\s*=\s*[\"']\s*(?:&#|macro:|vnd\.sun\.star\.script:)")
_ODF_ELEMENTS = (b"event-listener", b"script")
_ODF_ANYWHERE = (b"vnd.sun.star.script:", b"macro:/")


def check_opendocument(archive: zipfile.ZipFile, names: list[str]) -> None:
    if any(name.lower().startswith(_ODF_MACRO_FOLDERS) for name in names):
        raise RefusedFile("office_macros", "Basic/ or Scripts/ folder")
    if _ODF_MANIFEST in names:
        if _contains_any(archive, _ODF_MANIFEST, (b"encryption-data",)):
            raise RefusedFile("encrypted", "encrypted OpenDocument package")
        if any(_ODF_MANIFEST_SCRIPT.search(window) for window in _windows(archive, _ODF_MANIFEST)):
            raise RefusedFile("office_macros", "script entry in the manifest")
    for name in names:
        if name.lower().endswith(".xml"):
            _scan_odf_part(archive, name)


def _scan_odf_part(archive: zipfile.ZipFile, name: str) -> None:
    for window in _windows(archive, name):
        found = next((token for token in _ODF_ANYWHERE if token in window), None)
        found = found or next((token for token in _ODF_ELEMENTS if _has_element(window, token)), None)
        if found or any(_ODF_HREF.match(window, start) for start in _finds(window, b"href")):
            raise RefusedFile("office_macros", f"{(found or b'href').decode()} in {name}")


def _has_element(window: bytes, name: bytes) -> bool:
    """`<name` or `<prefix:name`, followed by a space, `/` or `>`: an element, not a word in the text."""
    for start in _finds(window, name):
        after = window[start + len(name) : start + len(name) + 1]
        opening = window.rfind(b"<", max(0, start - 64), start)
        if after in (b" ", b"\t", b"\r", b"\n", b"/", b">") and opening != -1 and \
                _ODF_PREFIX.fullmatch(window, opening + 1, start):
            return True
    return False


def _finds(window: bytes, token: bytes):
    start = window.find(token)
    while start != -1:
        yield start
        start = window.find(token, start + 1)
