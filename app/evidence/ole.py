"""OLE2 compound files: legacy .doc and .xls, and objects embedded in Office documents.

What a compound file holds is read from its directory, found the way Office finds it: the
header names the first directory sector and the FAT sectors (through the DIFAT), and the FAT
chains the directory's sectors. Every entry in those sectors counts, reachable from the root
or not, so the entries of embedded objects (a workbook inside a Word file, in its
`ObjectPool`) are seen like the file's own. Names are compared without regard to case, as OLE
compares them. Only the directory is read: a 20 MB file costs a few sectors.

Refused:
- macro projects: the `Macros` storage of Word, `_VBA_PROJECT_CUR` of Excel, and the `VBA`
  storage and `_VBA_PROJECT` stream inside both;
- embedded packages (`\\x01Ole10Native`: any file, a program too, shown as an icon and opened
  with a double click) and Equation Editor 3.0 objects (`Equation Native`, the target of
  CVE-2017-11882; Office itself no longer ships the editor).

Excel 4.0 macro sheets live inside the `Workbook` stream, not in the directory, and are not
detected here.
"""

from __future__ import annotations

import mmap
import struct

from app.evidence.refused import RefusedFile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCUMENTS = {"worddocument": "doc", "workbook": "xls", "book": "xls"}
_MACROS = {"macros", "_vba_project_cur", "vba", "_vba_project"}
_EMBEDDED = {"\x01ole10native": "embedded package", "equation native": "Equation Editor object"}
_MAX_REGULAR_SECTOR = 0xFFFFFFF9  # larger numbers mark free sectors and chain ends
_ENTRY_SIZE = 128
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def ole_kind(data: bytes | mmap.mmap) -> str | None:
    """"doc", "xls" or None (neither) for a compound file (bytes or mmap).

    The first document stream in the directory wins, so a Word file with an embedded Excel
    chart stays a Word file. Raises `RefusedFile` for damage, macro projects and dangerous
    embedded objects.
    """
    try:
        entries = _directory(data)
    except RefusedFile:
        raise
    except Exception as exc:  # hostile input: a directory that cannot be followed is damage
        raise RefusedFile("corrupt", f"OLE directory: {type(exc).__name__}: {exc}") from exc
    kind = None
    for name, kind_of_entry in entries:
        name = name.lower()
        if name in _MACROS:
            raise RefusedFile("office_macros", f"OLE entry {name!r}")
        if name in _EMBEDDED:
            raise RefusedFile("office_embedded", _EMBEDDED[name])
        if name in _DOCUMENTS and kind_of_entry == _STREAM:
            kind = kind or _DOCUMENTS[name]
    return kind


def _directory(data: bytes | mmap.mmap) -> list[tuple[str, int]]:
    head = data[:512]
    if len(head) < 512 or not head.startswith(OLE_MAGIC) or head[0x1C:0x1E] != b"\xfe\xff" \
            or head[0x1E] not in (9, 12):
        raise RefusedFile("corrupt", "OLE header")
    size = 1 << head[0x1E]
    per_sector = size // 4
    sectors = (len(data) - 1) // size  # the header takes the place of sector -1

    def sector(number: int) -> int:
        if number >= sectors:
            raise RefusedFile("corrupt", f"OLE sector {number} beyond the end of the file")
        return (number + 1) * size

    fat = list(struct.unpack_from("<109I", head, 0x4C))  # the DIFAT: where the FAT's sectors are
    following, seen = struct.unpack_from("<I", head, 0x44)[0], set()
    while following <= _MAX_REGULAR_SECTOR:
        if following in seen:
            raise RefusedFile("corrupt", "OLE DIFAT loops")
        seen.add(following)
        block = struct.unpack_from(f"<{per_sector}I", data, sector(following))
        fat += block[:-1]
        following = block[-1]

    def next_sector(number: int) -> int:
        fat_sector = fat[number // per_sector] if number // per_sector < len(fat) else _MAX_REGULAR_SECTOR + 1
        if fat_sector > _MAX_REGULAR_SECTOR:
            raise RefusedFile("corrupt", f"OLE sector {number} has no FAT entry")
        return struct.unpack_from("<I", data, sector(fat_sector) + 4 * (number % per_sector))[0]

    entries, current, seen = [], struct.unpack_from("<I", head, 0x30)[0], set()
    while current <= _MAX_REGULAR_SECTOR:
        if current in seen:
            raise RefusedFile("corrupt", "OLE directory chain loops")
        seen.add(current)
        offset = sector(current)
        for start in range(offset, offset + size, _ENTRY_SIZE):
            length, kind = struct.unpack_from("<HB", data, start + 64)
            if kind in (_STORAGE, _STREAM, _ROOT) and 2 <= length <= 64 and length % 2 == 0:
                entries.append((bytes(data[start : start + length - 2]).decode("utf-16-le", "replace"), kind))
        current = next_sector(current)
    return entries
