"""What can be read of a document from its uploaded file, to pre-fill its metadata (jenis, judul,
nomor, tanggal, tahun, penerbit) for the focal point to confirm.

From a PDF: its document information (Title, Subject, Author, CreationDate, ModDate) and, when the
first page has a text layer, what an Indonesian official document says at its head: the kind
("PERATURAN DAERAH", "KEPUTUSAN", "SURAT EDARAN" ...), the number ("NOMOR 5 TAHUN 2021",
"Nomor: 188.45/123/DP3A/2024"), a date ("12 Januari 2024", "03-03-2023"), the issuer ("BUPATI
KAPUAS", "KEPALA DINAS ...") and the title (the "TENTANG ..." lines). An image is a photo.

Pure functions over bytes or a path: no database, no app. Nothing here ever raises on a file: a
damaged, encrypted or hostile PDF gives what could be read, or nothing. The work is bounded: only
the first page is read, its content stream only when it is at most `MAX_CONTENT_BYTES` decoded (pypdf's
decoders are capped to that budget), the text is cut at `MAX_TEXT_CHARS`, and a file over
`MAX_FILE_BYTES` is not parsed at all.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from app.evidence.pdf_decode import Decoder

MAX_FILE_BYTES = 64 * 1024 * 1024
# The first page's decoded content stream (text pages hold a few KB). pypdf extracts text at ~0.5 MB/s:
# 4 MB of text operators (a 14 KB file) held an upload's worker for ~17 s; 512 KB costs ~1 s at most.
MAX_CONTENT_BYTES = 512 * 1024
MAX_TEXT_CHARS = 20_000
MIN_YEAR, MAX_YEAR = 1945, 2100
IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "webp"})


@dataclass(frozen=True)
class Extracted:
    """What was read from a file; empty strings and None for what was not found. `kind` is a
    `DocumentKind` value (this module does not import the models)."""

    kind: str | None = None
    title: str = ""
    number: str = ""
    issued_on: date | None = None
    year: int | None = None
    issuer: str = ""
    has_text: bool = False  # the first page had a text layer

    def as_dict(self) -> dict[str, str]:
        """The non-empty fields as strings, as `Document.extracted` keeps them."""
        result = {}
        for key, value in asdict(self).items():
            if key == "has_text" or value in (None, ""):
                continue
            result[key] = value.isoformat() if isinstance(value, date) else str(value)
        return result

    @property
    def empty(self) -> bool:
        return not self.as_dict()


def extract_file(path: Path, kind: str) -> Extracted:
    """What can be read of a stored file whose sniffed kind is `kind` ("pdf", "png" ...)."""
    if kind in IMAGE_KINDS:
        return Extracted(kind="photo")
    if kind != "pdf":
        return Extracted()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Extracted()
        return extract_pdf(path.read_bytes())
    except OSError:
        return Extracted()


def extract_pdf(data: bytes) -> Extracted:
    """What a PDF's document information and first page say; never raises."""
    if len(data) > MAX_FILE_BYTES:
        return Extracted()
    info: dict[str, str] = {}
    text = ""
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL)  # a damaged file's warnings are not the server's business
    try:
        info, text = _read_pdf(data)
    except Exception:  # noqa: BLE001  # hostile input: whatever stops pypdf, the upload goes on
        pass
    finally:
        pypdf_log.setLevel(level)
    return from_text(text, info)


def _read_pdf(data: bytes) -> tuple[dict[str, str], str]:
    from pypdf import PasswordType, PdfReader

    info: dict[str, str] = {}
    text = ""
    with Decoder(MAX_CONTENT_BYTES).limits():
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return info, text
        try:
            meta = reader.metadata
            if meta is not None:
                for key in ("/Title", "/Subject", "/Author", "/CreationDate", "/ModDate"):
                    value = meta.get(key)
                    if value is not None:
                        info[key[1:]] = str(value)[:500]
        except Exception:  # noqa: BLE001  # damaged info dictionary: the text may still be read
            info = {}
        try:
            page = reader.pages[0]
            text = page.extract_text()[:MAX_TEXT_CHARS]
        except Exception:  # noqa: BLE001  # no page, a damaged or too large content stream
            text = ""
    return info, text


# -- reading the text ------------------------------------------------------------------------------

# (pattern, kind), searched on the upper-cased text: the heading that comes first wins (an SK's
# "Mengingat" names Perda further down; a Perbup's own heading comes before).
_KINDS = [
    (r"PERATURAN\s+DAERAH", "perda"),
    (r"PERATURAN\s+(?:BUPATI|WALI\s*KOTA|GUBERNUR)", "perkada"),
    (r"SURAT\s+EDARAN", "surat_edaran"),
    (r"\bKEPUTUSAN\b", "sk"),
    (r"STANDAR\s+OPERASIONAL\s+PROSEDUR", "sop"),
    (r"NOTA\s+KESEPAHAMAN|PERJANJIAN\s+KERJA\s*SAMA|MEMORANDUM\s+OF\s+UNDERSTANDING", "mou"),
    (r"\bSERTIFIKAT\b|\bPIAGAM\b", "certificate"),
    (r"\bNOTULEN\b|\bNOTULA\b|BERITA\s+ACARA", "minutes"),
    (r"\bLAPORAN\b", "report"),
    (r"\bDPA\b|DOKUMEN\s+PELAKSANAAN\s+ANGGARAN", "budget"),
]
_KIND_RES = [(re.compile(pattern), kind) for pattern, kind in _KINDS]

_MONTHS = {"januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6,
           "juli": 7, "agustus": 8, "september": 9, "oktober": 10, "nopember": 11, "november": 11,
           "desember": 12}
_WORD_DATE = re.compile(r"\b(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
_DATE_CUE = re.compile(r"\b(?:tanggal|tgl\.?|ditetapkan|pada\s+hari)\b", re.IGNORECASE)

_NUMBER_YEAR = re.compile(r"\bNOMOR\s*:?\s*(\d{1,4}[A-Z]?)\s+TAHUN\s+(\d{4})\b", re.IGNORECASE)
_NUMBER_CODE = re.compile(r"\bNO(?:MOR)?\s*[:.]?\s*:?\s*(\d[\w.\-]*(?:\s*/\s*[\w.\-]+)+)", re.IGNORECASE)

_ISSUER_LINE = re.compile(r"^(BUPATI|WALI\s*KOTA|GUBERNUR)\s+([A-Z][A-Z .\-]{2,60})$")
_HEAD_ISSUER = re.compile(r"(?:PERATURAN|KEPUTUSAN|SURAT\s+EDARAN)\s+(BUPATI|WALI\s*KOTA|GUBERNUR)\s+"
                          r"([A-Z][A-Z .\-]{2,60}?)\s*(?:\n|NOMOR|$)")
_HEAD_OFFICE = re.compile(r"(?:KEPUTUSAN|SURAT\s+EDARAN)\s+(KEPALA\s+[A-Z][A-Z ,.&\-]{4,150}?)\s*(?:\n|NOMOR|$)")
_OFFICE_LINE = re.compile(r"^(KEPALA\s+(?:DINAS|BADAN|KANTOR|BAGIAN|UPTD|PUSKESMAS)\b[A-Z ,.&\-]{2,150})$")
_TITLE_STOP = re.compile(r"^(?:DENGAN\s+RAHMAT|BUPATI|WALI\s*KOTA|GUBERNUR|KEPALA\s|MENIMBANG|MENGINGAT|"
                         r"MEMUTUSKAN|YTH|KEPADA|NOMOR|DI\s*-|DALAM\s+RANGKA|SEHUBUNGAN|BAB\s)", re.IGNORECASE)
_TITLE_HEAD = re.compile(r"^\s*TENTANG\s*:?\s*(.*)$", re.IGNORECASE)

_ACRONYMS = frozenset({"DP3A", "DP3AP2KB", "DPPPA", "DPRD", "KLA", "PPA", "OPD", "SKPD", "UPTD", "RI", "DPA", "SOP",
                       "PKK", "RSUD", "KB", "PAUD", "ASI", "KHA", "ABH", "BAPPEDA", "BPBD", "HIV/AIDS", "TPPO",
                       "PUSPAGA", "UPTD PPA", "RT", "RW", "NIK", "APBD", "MOU"})
_SMALL_WORDS = frozenset({"dan", "di", "ke", "dari", "yang", "pada", "untuk", "atas", "dalam", "atau", "tentang",
                          "serta", "bagi", "oleh", "tahun", "nomor"})


def from_text(text: str, info: dict[str, str] | None = None) -> Extracted:
    """What the first page's `text` and the PDF's document `info` say; the text wins where both do."""
    info = info or {}
    text = text[:MAX_TEXT_CHARS]
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    upper = "\n".join(line.upper() for line in lines)
    kind = _kind(upper) or _kind((info.get("Title", "") + "\n" + info.get("Subject", "")).upper())
    number = _number("\n".join(lines))  # as written: "440/27/Dinkes/2032", not upper-cased
    issued_on = _date(text)
    year = issued_on.year if issued_on else _year_of_number(number)
    title = _title(lines) or " ".join((info.get("Title") or info.get("Subject") or "").split())[:300]
    issuer = _issuer(lines, upper) or " ".join((info.get("Author") or "").split())[:200]
    if year is None:
        year = _info_year(info)
    return Extracted(kind=kind, title=title, number=number, issued_on=issued_on, year=year, issuer=issuer,
                     has_text=bool(lines))


def _kind(upper: str) -> str | None:
    found = [(match.start(), kind) for pattern, kind in _KIND_RES if (match := pattern.search(upper))]
    return min(found)[1] if found else None


def _number(text: str) -> str:
    """The document's own number: on a line of its own ("NOMOR 5 TAHUN 2021", "Nomor: 188.45/..."),
    before one cited in a sentence ("... Peraturan Daerah Nomor 5 Tahun 2021 ...")."""
    for line in text.splitlines():
        if re.match(r"^NO(?:MOR)?\b", line, re.IGNORECASE) and (number := _number_in(line)):
            return number
    return _number_in(text)


def _number_in(text: str) -> str:
    found = []
    if match := _NUMBER_YEAR.search(text):
        found.append((match.start(), f"Nomor {match.group(1).upper()} Tahun {match.group(2)}"))
    if match := _NUMBER_CODE.search(text):
        found.append((match.start(), re.sub(r"\s*/\s*", "/", match.group(1)).rstrip(".-")[:120]))
    return min(found)[1] if found else ""


def _year_of_number(number: str) -> int | None:
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", number)]
    years = [y for y in years if MIN_YEAR <= y <= MAX_YEAR]
    return years[-1] if years else None


def _valid(day: int, month: int, year: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(text: str) -> date | None:
    """The date after a cue ("tanggal", "Ditetapkan") if there is one, else the first date."""
    found: list[tuple[int, date]] = []
    for match in _WORD_DATE.finditer(text):
        if value := _valid(int(match.group(1)), _MONTHS[match.group(2).lower()], int(match.group(3))):
            found.append((match.start(), value))
    for match in _NUMERIC_DATE.finditer(text):
        if value := _valid(int(match.group(1)), int(match.group(2)), int(match.group(3))):
            found.append((match.start(), value))
    if not found:
        return None
    found.sort()
    for cue in _DATE_CUE.finditer(text):
        after = [value for start, value in found if 0 <= start - cue.end() <= 40]
        if after:
            return after[0]
    return found[0][1]


def _info_year(info: dict[str, str]) -> int | None:
    for key in ("CreationDate", "ModDate"):
        if match := re.match(r"^(?:D:)?(\d{4})", info.get(key, "").strip()):
            year = int(match.group(1))
            if MIN_YEAR <= year <= MAX_YEAR:
                return year
    return None


def _issuer(lines: list[str], upper: str) -> str:
    for line in lines[:40]:
        head = line.upper().rstrip(" ,.;:")
        if match := _ISSUER_LINE.match(head):
            return _office(match.group(1)) + " " + titlecase(match.group(2))
        if match := _OFFICE_LINE.match(head):
            return titlecase(match.group(1))[:200]
    if match := _HEAD_ISSUER.search(upper):
        return _office(match.group(1)) + " " + titlecase(match.group(2))
    if match := _HEAD_OFFICE.search(upper):
        return titlecase(match.group(1))[:200]
    return ""


def _office(word: str) -> str:
    return "Wali Kota" if word.replace(" ", "") == "WALIKOTA" else titlecase(word)


def _title(lines: list[str]) -> str:
    """The "TENTANG ..." of a regulation, an SK or a circular (up to four lines), else a heading
    line naming a report, minutes or an SOP."""
    for index, line in enumerate(lines[:60]):
        if match := _TITLE_HEAD.match(line):
            parts = [match.group(1)] if match.group(1) else []
            for following in lines[index + 1:index + 5]:
                if _TITLE_STOP.match(following):
                    break
                parts.append(following)
            title = " ".join(part for part in parts if part).strip(" :,")
            if title:
                return titlecase(title)[:300]
    for line in lines[:15]:
        if re.match(r"^(LAPORAN|NOTULEN|BERITA ACARA|STANDAR OPERASIONAL PROSEDUR|SERTIFIKAT)\b", line.upper()):
            return titlecase(line)[:300]
    return ""


def titlecase(text: str) -> str:
    """An all-capitals heading as a title ("PENYELENGGARAAN KABUPATEN LAYAK ANAK" -> "Penyelenggaraan
    Kabupaten Layak Anak"); acronyms (DP3A, UPTD) and text already in mixed case stay as they are."""
    text = " ".join(text.split())
    if text != text.upper():
        return text
    words = []
    for index, word in enumerate(text.split(" ")):
        bare = word.strip(",.;:()")
        if bare in _ACRONYMS or any(ch.isdigit() for ch in bare) or (len(bare) > 1 and "." in bare.strip(".")):
            words.append(word)
        elif index and word.lower() in _SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append(word.capitalize() if "-" not in word else "-".join(p.capitalize() for p in word.split("-")))
    return " ".join(words)
