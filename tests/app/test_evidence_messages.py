"""refusal_message(): every refusal code, in Indonesian and English, in plain words."""

from __future__ import annotations

import pytest

from app.evidence import refusal_message
from app.evidence.messages import format_number
from app.evidence.sniff import REFUSAL_CODES


@pytest.mark.parametrize("code", REFUSAL_CODES)
def test_every_code_has_both_languages(code):
    indonesian = refusal_message(code, "id")
    english = refusal_message(code, "en")
    assert indonesian and english and indonesian != english
    for text in (indonesian, english):
        assert "{" not in text and "}" not in text
        assert text.endswith(".")
        assert "_" not in text  # no internal codes like zip_bomb in front of users


@pytest.mark.parametrize("code", REFUSAL_CODES)
def test_indonesian_is_the_default(code):
    assert refusal_message(code) == refusal_message(code, "id")


def test_examples_from_the_brief():
    assert refusal_message("empty") == "Berkas kosong (0 byte). Pilih berkas yang berisi dokumen."
    assert refusal_message("executable") == (
        "Berkas ini adalah program, bukan dokumen. Unggah PDF, gambar, Word atau Excel."
    )
    assert refusal_message("unknown_type").startswith("Jenis berkas tidak dikenali. Yang diterima: PDF, JPG")


def test_too_large_uses_what_is_known():
    assert refusal_message("too_large", size_mb=25.3, limit_mb=20) == (
        "Berkas terlalu besar (25,3 MB). Batas ukuran: 20 MB. Perkecil atau pisahkan berkas."
    )
    assert refusal_message("too_large", "en", limit_mb=20.0) == (
        "The file is too large. The limit is 20 MB. Make it smaller or split it into several files."
    )
    assert refusal_message("too_large") == "Berkas terlalu besar. Perkecil atau pisahkan berkas."


@pytest.mark.parametrize(
    ("lang", "expected"), [("en-US", "en"), ("EN", "en"), ("id_ID", "id"), ("fr", "id"), ("", "id")]
)
def test_language_tags_and_fallback(lang, expected):
    assert refusal_message("empty", lang) == refusal_message("empty", expected)


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        refusal_message("no_such_code")


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (20, "id", "20"),
        (20.0, "id", "20"),
        (0.5, "id", "0,5"),
        (0.5, "en", "0.5"),
        (12.34, "id", "12,3"),
        ("x", "id", "x"),
    ],
)
def test_numbers_are_written_the_local_way(value, lang, expected):
    assert format_number(value, lang) == expected
