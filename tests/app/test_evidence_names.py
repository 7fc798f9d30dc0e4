"""safe_filename(): the client's name becomes a harmless label with the sniffed extension."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.evidence import ALLOWED_EXTENSIONS, safe_filename


@pytest.mark.parametrize(
    ("raw", "extension", "expected"),
    [
        ("laporan.pdf", ".pdf", "laporan.pdf"),
        ("../../x.pdf", ".pdf", "x.pdf"),
        ("..\\..\\windows\\system32\\x.pdf", ".pdf", "x.pdf"),
        ("C:\\Users\\a\\laporan.pdf", ".pdf", "laporan.pdf"),
        ("/etc/passwd", ".pdf", "passwd.pdf"),
        ("virus.exe", ".pdf", "virus.pdf"),
        ("laporan.pdf.exe", ".pdf", "laporan.pdf"),
        ("foto.jpeg", ".jpg", "foto.jpeg"),
        ("foto.JPG", ".jpg", "foto.jpg"),
        ("foto.png", ".jpg", "foto.jpg"),
        ("Rekap.XLSX", ".xlsx", "Rekap.xlsx"),
        ("rekap", ".xlsx", "rekap.xlsx"),
        ("laporan v1.2", ".pdf", "laporan v1.2.pdf"),
        (".htaccess", ".pdf", "htaccess.pdf"),
        ("...", ".pdf", "berkas.pdf"),
        ("", ".pdf", "berkas.pdf"),
        ("../", ".pdf", "berkas.pdf"),
        ("   ", ".docx", "berkas.docx"),
        ('a<b>c:d"e|f?g*h.pdf', ".pdf", "abcdefgh.pdf"),
        ("laporan\x00\x1f\x7f.pdf", ".pdf", "laporan.pdf"),
        ("tagihan\u202efdp.exe", ".pdf", "tagihanfdp.pdf"),  # right-to-left override
        ("Laporan   Tahunan\t2024 .pdf", ".pdf", "Laporan Tahunan 2024.pdf"),
        ("CON.pdf", ".pdf", "_CON.pdf"),
        ("laporan.", ".pdf", "laporan.pdf"),
        ("laporan", "pdf", "laporan.pdf"),
    ],
)
def test_examples(raw, extension, expected):
    assert safe_filename(raw, extension) == expected


def test_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Réka Kegiatan.pdf")
    assert safe_filename(decomposed, ".pdf") == unicodedata.normalize("NFC", "Réka Kegiatan.pdf")


def test_normalises_after_dropping_invisible_marks():
    assert safe_filename("Re\u200d\u0301ka.pdf", ".pdf") == "R\u00e9ka.pdf"


def test_long_names_are_cut_but_keep_the_extension():
    name = safe_filename("a" * 300 + ".pdf", ".pdf")
    assert len(name) == 120
    assert name == "a" * 116 + ".pdf"


def test_cut_does_not_leave_a_trailing_space_or_dot():
    name = safe_filename("a" * 113 + " . bcdefghij.docx", ".docx")
    assert len(name) <= 120
    assert name == "a" * 113 + ".docx"


@given(raw=st.text(max_size=300), extension=st.sampled_from(sorted(set(ALLOWED_EXTENSIONS.values()))))
def test_never_a_path_nor_a_hidden_file(raw, extension):
    name = safe_filename(raw, extension)
    assert "/" not in name and "\\" not in name
    assert not name.startswith((".", " "))
    assert 0 < len(name) <= 120
    assert name.endswith(extension) or (extension == ".jpg" and name.endswith(".jpeg"))
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name)
    assert not set('<>:"|?*') & set(name)
    assert unicodedata.is_normalized("NFC", name[: -len(extension)])
