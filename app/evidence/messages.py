"""What the uploader reads when a file is refused, in Bahasa Indonesia and English.

Why a table here and not in the gettext catalogue: every refusal code must have a message
in both languages, and a test walks the codes to prove it. The words are for a civil
servant, not an engineer: say what is wrong in plain terms and what to do next.

A message may have variants: the first one whose `{placeholders}` are all supplied is used,
so `too_large` can mention the file's size when it is known and stay correct when it is not.
"""

from __future__ import annotations

from decimal import Decimal
from string import Formatter

from app import i18n
from app.evidence.refused import REFUSAL_CODES

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "empty": {
        "id": ("Berkas kosong (0 byte). Pilih berkas yang berisi dokumen.",),
        "en": ("The file is empty (0 bytes). Choose a file that contains your document.",),
    },
    "executable": {
        "id": ("Berkas ini adalah program, bukan dokumen. Unggah PDF, gambar, Word atau Excel.",),
        "en": ("This file is a program, not a document. Upload a PDF, an image, a Word or an Excel file.",),
    },
    "html": {
        "id": (
            "Berkas HTML/SVG tidak diterima karena dapat berisi skrip. "
            "Simpan sebagai PDF lalu unggah kembali.",
        ),
        "en": (
            "HTML and SVG files are not accepted because they can contain scripts. "
            "Save it as PDF and upload it again.",
        ),
    },
    "zip_bomb": {
        "id": (
            "Berkas ini tidak wajar (isinya mengembang terlalu besar saat dibuka) dan ditolak demi "
            "keamanan. Simpan ulang dari aplikasi aslinya atau simpan sebagai PDF, lalu unggah kembali.",
        ),
        "en": (
            "This file is abnormal (its content expands to an excessive size when opened) and was "
            "refused for safety. Save it again from the program that made it, or as PDF, and upload it again.",
        ),
    },
    "corrupt": {
        "id": (
            "Berkas rusak atau tidak lengkap sehingga tidak dapat dibuka. Periksa berkas di komputer "
            "Anda, simpan ulang, lalu unggah kembali.",
        ),
        "en": (
            "The file is damaged or incomplete and cannot be opened. Check it on your computer, "
            "save it again, and upload it again.",
        ),
    },
    "unknown_type": {
        "id": (
            "Jenis berkas tidak dikenali. Yang diterima: PDF, JPG, PNG, GIF, WEBP, Word (DOC/DOCX), "
            "Excel (XLS/XLSX), ODT/ODS.",
        ),
        "en": (
            "The file type was not recognised. Accepted: PDF, JPG, PNG, GIF, WEBP, Word (DOC/DOCX), "
            "Excel (XLS/XLSX), ODT/ODS.",
        ),
    },
    "pdf_active_content": {
        "id": (
            "PDF ini berisi skrip, perintah menjalankan program, atau lampiran tersembunyi, sehingga "
            'ditolak demi keamanan. Buka PDF tersebut, cetak ulang dengan "Microsoft Print to PDF" '
            '(atau "Simpan sebagai PDF"), lalu unggah hasilnya.',
        ),
        "en": (
            "This PDF contains scripts, program launch actions or hidden attachments, and was refused "
            'for safety. Open it, print it again with "Microsoft Print to PDF" (or "Save as PDF"), '
            "and upload the result.",
        ),
    },
    "pdf_form_script": {
        "id": (
            "PDF ini berupa formulir interaktif (XFA) yang berisi skrip, sehingga ditolak demi keamanan. "
            'Buka formulir yang sudah diisi, cetak ulang dengan "Microsoft Print to PDF" '
            '(atau "Simpan sebagai PDF"), lalu unggah hasilnya.',
        ),
        "en": (
            "This PDF is an interactive (XFA) form with scripts, and was refused for safety. Open the "
            'filled-in form, print it again with "Microsoft Print to PDF" (or "Save as PDF"), '
            "and upload the result.",
        ),
    },
    "pdf_structure": {
        "id": (
            "Susunan bagian dalam PDF ini tidak wajar (misalnya mengaku berisi jauh lebih banyak objek daripada "
            "yang muat dalam berkas sebesar ini), sehingga ditolak demi keamanan. Buka PDF tersebut, cetak ulang "
            'dengan "Microsoft Print to PDF" (atau "Simpan sebagai PDF"), lalu unggah hasilnya.',
        ),
        "en": (
            "The inner structure of this PDF is abnormal (for example, it claims far more objects than a file "
            'of its size can hold), and was refused for safety. Open it, print it again with "Microsoft Print '
            'to PDF" (or "Save as PDF"), and upload the result.',
        ),
    },
    "office_macros": {
        "id": (
            "Dokumen ini berisi makro atau skrip (program kecil yang dapat berjalan saat dokumen dibuka), "
            "sehingga ditolak demi keamanan. Simpan sebagai PDF, atau simpan ulang sebagai dokumen biasa "
            "tanpa makro (DOCX, XLSX, ODT, ODS), lalu unggah kembali.",
        ),
        "en": (
            "This document contains macros or scripts (small programs that can run when it is opened), "
            "and was refused for safety. Save it as PDF, or again as a plain document without macros "
            "(DOCX, XLSX, ODT, ODS), and upload it again.",
        ),
    },
    "office_external": {
        "id": (
            "Dokumen ini mengambil templat, objek, bingkai, atau data dari luar berkas (dari internet atau "
            "jaringan) saat dibuka, sehingga ditolak demi keamanan. Tautan (hyperlink) biasa tetap boleh. "
            "Simpan dokumen sebagai PDF, lalu unggah hasilnya.",
        ),
        "en": (
            "This document fetches a template, object, frame or data from outside the file (from the "
            "internet or a network) when it is opened, and was refused for safety. Ordinary hyperlinks are "
            "fine. Save the document as PDF and upload the result.",
        ),
    },
    "office_embedded": {
        "id": (
            "Dokumen ini berisi objek atau kontrol tersisip (misalnya berkas, program, atau rumus lama yang "
            "disisipkan sebagai objek) yang dapat berjalan saat dibuka atau diklik, sehingga ditolak demi "
            "keamanan. Hapus objek tersebut (sisipkan gambar sebagai gambar dan tabel sebagai tabel), atau "
            "simpan dokumen sebagai PDF, lalu unggah kembali.",
        ),
        "en": (
            "This document contains an embedded object or control (for example a file, a program or an "
            "old-style equation inserted as an object) that can run when it is opened or clicked, and was "
            "refused for safety. Remove it (insert pictures as pictures and tables as tables), or save the "
            "document as PDF, and upload it again.",
        ),
    },
    "encrypted": {
        "id": (
            "Berkas ini dilindungi kata sandi, sehingga isinya tidak dapat diperiksa dan penilai tidak dapat "
            "membukanya. Simpan salinan tanpa kata sandi, lalu unggah kembali.",
        ),
        "en": (
            "This file is protected with a password, so its content cannot be checked and reviewers could "
            "not open it. Save a copy without the password and upload it again.",
        ),
    },
    "too_large": {
        "id": (
            "Berkas terlalu besar ({size_mb} MB). Batas ukuran: {limit_mb} MB. Perkecil atau pisahkan berkas.",
            "Berkas terlalu besar. Batas ukuran: {limit_mb} MB. Perkecil atau pisahkan berkas.",
            "Berkas terlalu besar. Perkecil atau pisahkan berkas.",
        ),
        "en": (
            "The file is too large ({size_mb} MB). The limit is {limit_mb} MB. "
            "Make it smaller or split it into several files.",
            "The file is too large. The limit is {limit_mb} MB. Make it smaller or split it into several files.",
            "The file is too large. Make it smaller or split it into several files.",
        ),
    },
}

if set(_MESSAGES) != set(REFUSAL_CODES):  # fail at import, not in front of a user
    raise RuntimeError(f"refusal codes without messages: {set(REFUSAL_CODES) - set(_MESSAGES)}")


def refusal_message(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The message for refusal `code`; numbers in `params` are written the `lang` way.

    An unknown language falls back to Indonesian (`en-US` counts as `en`); an unknown code
    is a programming error and raises `KeyError`.
    """
    variants = _MESSAGES[code]
    lang = _language(lang)
    values = {name: format_number(value, lang) for name, value in params.items()}
    for template in variants[lang]:
        if _placeholders(template) <= values.keys():
            return template.format(**values)
    raise AssertionError(f"{code!r} has no variant without placeholders")  # pragma: no cover


def format_number(value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """`20` stays `20`; `0.5` becomes `0,5` in Indonesian; small sizes keep two significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = value if isinstance(value, int) else Decimal(_round_float(value))
    return i18n.format_number(number, language=_language(lang))


def _round_float(value: float) -> str:
    text = f"{value:.1f}" if abs(value) >= 1 else f"{value:.2g}"
    return text.removesuffix(".0")


def _language(lang: str) -> str:
    primary = (lang or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}
