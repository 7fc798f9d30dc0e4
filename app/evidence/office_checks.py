"""Active content in ZIP-based office files: macros, scripts, embedded objects, parts fetched from elsewhere.

OOXML (.docx, .xlsx): macro projects (`vbaProject.bin`, macro-enabled content types, Excel 4
macro sheets) are refused, found by part name, by content type and by relationship type. So
is every relationship that makes Word or Excel fetch something from outside the file when it
is opened: a remote template (the classic "template injection" used to load macros into a
plain .docx), linked OLE objects, frames, sub-documents, mail-merge data and external data
connections. Plain external hyperlinks stay allowed: reports are full of them, and nothing is
fetched until someone clicks. A template, picture or linked workbook on the reader's own disk
(`C:\\...`, a relative path) is allowed too: Word writes those for every document made from
a local template, and opening them reaches no server. `[Content_Types].xml` and the `.rels`
parts are parsed as XML (character references decoded, no DTD loaded, no network), and
relationship types compared without regard to case, as Office compares them.

Embedded objects: ActiveX controls are refused. Every other part that is itself a file, an
OLE compound file or a ZIP package, is checked like an upload, one level deep: Word and Excel
documents are kept (an embedded worksheet is what holds a chart's data, `word/embeddings/
Microsoft_Excel_Worksheet.xlsx`, and old documents carry charts as embedded .xls), unless
they hold macros or objects of their own; packages of any other file (a program shown as an
icon), Equation Editor objects and anything else are refused. Pictures stay pictures.

OpenDocument (.odt, .ods): `Basic/` and `Scripts/` folders (macros), script entries in the
manifest, event listeners (which run a macro, also one of LibreOffice's own, on load or on a
click), links to `macro:` or `vnd.sun.star.script:` URLs, also when written with character
references (`scr&#105;pt`), and encrypted packages (their content cannot be checked). XML
with entity declarations is refused as damaged: a parser would expand `&s;` into `script`,
and LibreOffice never writes them. The XML
is scanned as bytes in pieces, not parsed: a spreadsheet's content.xml is often 30 times its
packed size, and a parse of 100 MB takes seconds while this takes a quarter of one. Embedded
files are checked as in OOXML.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from lxml import etree

from app.evidence.ole import OLE_MAGIC, ole_kind
from app.evidence.refused import RefusedFile

_PIECE = 1024 * 1024
_OVERLAP = 4096
MAX_EMBEDDED_BYTES = 32 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"

# --- OOXML ---------------------------------------------------------------------------------

_MACRO_CONTENT_TYPES = ("macroenabled", "vbaproject", "macrosheet")
_MACRO_RELATIONSHIPS = {"vbaproject", "vbaprojectsignature", "vbaprojectsignatureagile", "vbaprojectsignaturev3",
                        "wordvbadata", "xlmacrosheet", "xlintlmacrosheet"}
_CONTROL_RELATIONSHIPS = {"control", "activexcontrolbinary"}
# External targets allowed when they stay on the reader's own disk; any other external
# relationship type except a hyperlink is refused wherever it points.
_LOCAL_ONLY_TYPES = {
    "attachedtemplate", "image", "externallinkpath",
    "xlpathmissing", "xlstartup", "xlalternatestartup", "xllibrary",
}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")  # two letters at least: C: is a drive
_DRIVE = re.compile(r"^[A-Za-z]:/")


def check_ooxml(archive: zipfile.ZipFile, names: list[str], *, nested: bool = False) -> None:
    lowered = [name.lower() for name in names]
    if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in lowered):
        raise RefusedFile("office_macros", "macro project or macro sheet")
    if any("/activex/" in f"/{name}" for name in lowered):
        raise RefusedFile("office_embedded", "ActiveX control")
    if "[Content_Types].xml" in names:
        for element in _elements(archive, "[Content_Types].xml", "{*}Default", "{*}Override"):
            content_type = (element.get("ContentType") or "").lower()
            if any(token in content_type for token in _MACRO_CONTENT_TYPES):
                raise RefusedFile("office_macros", f"content type {content_type[:200]!r}")
            if "activex" in content_type:
                raise RefusedFile("office_embedded", f"content type {content_type[:200]!r}")
    if "xl/connections.xml" in lowered:
        raise RefusedFile("office_external", "external data connections")
    for name, low in zip(names, lowered, strict=True):
        if low.endswith(".rels"):
            _check_relationships(archive, name)
    check_embedded(archive, names, nested=nested)


def _check_relationships(archive: zipfile.ZipFile, name: str) -> None:
    for element in _elements(archive, name, "{*}Relationship"):
        kind = (element.get("Type") or "").rstrip("/").rsplit("/", 1)[-1].lower()
        target = element.get("Target") or ""
        external = (element.get("TargetMode") or "").lower() == "external" or _is_remote(target)
        if kind in _MACRO_RELATIONSHIPS:  # a macro project is found by this link, whatever its part's name
            raise RefusedFile("office_macros", f"{kind} relationship in {name}")
        if kind in _CONTROL_RELATIONSHIPS:
            raise RefusedFile("office_embedded", f"ActiveX {kind} relationship in {name}")
        if not external or kind == "hyperlink" or (kind in _LOCAL_ONLY_TYPES and not _is_remote(target)):
            continue
        raise RefusedFile("office_external", f"{kind} -> {target[:200]!r} in {name}")


def _elements(archive: zipfile.ZipFile, name: str, *tags: str) -> Iterator[Any]:
    """The part's elements with these tags, parsed as XML: no DTD loaded, nothing from the network."""
    with archive.open(name) as part:
        parsed = etree.iterparse(part, events=("end",), tag=tags, resolve_entities=False,
                                 no_network=True, load_dtd=False)
        for _, element in parsed:
            yield element
            element.clear()


def _is_remote(target: str) -> bool:
    """Whether opening `target` may reach another machine (URL, UNC path, file://host/...)."""
    path = unquote(target).strip().replace("\\", "/")
    if path.lower().startswith("file:"):
        path = path[5:]
        if path.startswith("///") and not path.startswith("////"):
            return False  # file:///C:/... or file:///Users/...: this machine
        return path.startswith("//")  # file://host/share (file:/path is local)
    return path.startswith("//") or (bool(_SCHEME.match(path)) and not _DRIVE.match(path))


# --- embedded files ------------------------------------------------------------------------


def check_embedded(archive: zipfile.ZipFile, names: list[str], *, nested: bool = False) -> None:
    """Parts that are files of their own (OLE compound files, ZIP packages), checked like uploads."""
    for info in archive.infolist():  # by content, not by name: a part's name says nothing to Office
        if info.is_dir():
            continue
        with archive.open(info) as part:
            head = part.read(8)
        if head != OLE_MAGIC and not head.startswith(_ZIP_MAGIC):
            continue
        if nested or info.file_size > MAX_EMBEDDED_BYTES:
            raise RefusedFile("office_embedded", f"{info.filename}: nested too deep, or too large to check")
        with archive.open(info) as part:
            data = part.read(MAX_EMBEDDED_BYTES + 1)
        if head == OLE_MAGIC:
            if ole_kind(data) is None:
                raise RefusedFile("office_embedded", f"{info.filename}: OLE object that is not Word or Excel")
        else:
            _check_package(info.filename, data)


def _check_package(name: str, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
            if len(infos) > 10_000 or sum(info.file_size for info in infos) > 8 * MAX_EMBEDDED_BYTES:
                raise RefusedFile("zip_bomb", f"{name}: embedded package inflates too far")
            inner = [info.filename for info in infos]
            if "[Content_Types].xml" in inner:
                check_ooxml(package, inner, nested=True)
            elif "mimetype" in inner:
                check_opendocument(package, inner, nested=True)
            else:
                raise RefusedFile("office_embedded", f"{name}: package that is not an Office document")
    except RefusedFile:
        raise
    except Exception as exc:  # hostile input: an embedded package that cannot be read is not checked
        raise RefusedFile("office_embedded", f"{name}: unreadable package: {type(exc).__name__}") from exc


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
# XML character and entity references, decoded before the search: `scr&#105;pt` is `script`.
_REFERENCE = re.compile(rb"&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));")
_ENTITIES = {b"amp": b"&", b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'"}


def check_opendocument(archive: zipfile.ZipFile, names: list[str], *, nested: bool = False) -> None:
    if any(name.lower().startswith(_ODF_MACRO_FOLDERS) for name in names):
        raise RefusedFile("office_macros", "Basic/ or Scripts/ folder")
    if _ODF_MANIFEST in names:
        if any(b"encryption-data" in window for window in _windows(archive, _ODF_MANIFEST)):
            raise RefusedFile("encrypted", "encrypted OpenDocument package")
        if any(_ODF_MANIFEST_SCRIPT.search(_decoded(window)) for window in _windows(archive, _ODF_MANIFEST)):
            raise RefusedFile("office_macros", "script entry in the manifest")
    for name in names:
        if name.lower().endswith(".xml"):
            _scan_odf_part(archive, name)
    check_embedded(archive, names, nested=nested)


def _windows(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The part in 1 MiB pieces, lower-cased and without NULs (so UTF-16 XML reads like UTF-8),
    each piece preceded by the end of the one before, so that no token is cut in two."""
    tail = b""
    with archive.open(name) as part:
        while piece := part.read(_PIECE):
            window = tail + piece.replace(b"\x00", b"").lower()
            yield window
            tail = window[-_OVERLAP:]


def _scan_odf_part(archive: zipfile.ZipFile, name: str) -> None:
    for window in _windows(archive, name):
        if b"<!entity" in window:  # an XML parser would expand it into a link; LibreOffice never writes one
            raise RefusedFile("corrupt", f"entity declaration in {name}")
        # Links are read with their references decoded; elements as written (a name has none,
        # and a decoded `&lt;script&gt;` in the text is no element).
        decoded = _decoded(window)
        found = next((token for token in _ODF_ANYWHERE if token in decoded), None)
        found = found or next((token for token in _ODF_ELEMENTS if _has_element(window, token)), None)
        if found or any(_ODF_HREF.match(decoded, start) for start in _finds(decoded, b"href")):
            raise RefusedFile("office_macros", f"{(found or b'href').decode()} in {name}")


def _decoded(window: bytes) -> bytes:
    return _REFERENCE.sub(_decode_reference, window) if b"&" in window else window


def _decode_reference(match: re.Match[bytes]) -> bytes:
    number, hexadecimal, entity = match.groups()
    if entity:
        return _ENTITIES[entity]
    code = int(number) if number else int(hexadecimal, 16)
    return chr(code).lower().encode("utf-8", "replace") if 0 < code < 0x110000 else match.group()


def _has_element(window: bytes, name: bytes) -> bool:
    """`<name` or `<prefix:name`, followed by a space, `/` or `>`: an element, not a word in the text."""
    for start in _finds(window, name):
        after = window[start + len(name) : start + len(name) + 1]
        opening = window.rfind(b"<", max(0, start - 64), start)
        if after in (b" ", b"\t", b"\r", b"\n", b"/", b">") and opening != -1 and \
                _ODF_PREFIX.fullmatch(window, opening + 1, start):
            return True
    return False


def _finds(window: bytes, token: bytes) -> Iterator[int]:
    start = window.find(token)
    while start != -1:
        yield start
        start = window.find(token, start + 1)
