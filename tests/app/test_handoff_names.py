"""The hand-off package's names: safe to extract on Windows, readable, the same text the same name."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.services.handoff.names import (
    MAX_FILE_NAME,
    MAX_FOLDER,
    MAX_PATH,
    MAX_TITLE,
    ascii_text,
    extension_of,
    file_name,
    segment,
    title_of,
    unique,
    zip_path,
)
from app.services.handoff.plan import SENSITIVE_FOLDER

RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
REFUSED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def windows_safe(name: str) -> bool:
    """What Windows accepts as one name (a folder or a file), here also ASCII only."""
    return (bool(name) and name.isascii() and not REFUSED.search(name) and not name.endswith((".", " "))
            and not name.startswith(" ") and name.split(".", 1)[0].rstrip(" ").upper() not in RESERVED)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Peraturan Daerah Nomor 5 Tahun 2021", "Peraturan Daerah Nomor 5 Tahun 2021"),
    ("SK Gugus Tugas 188.45/123/2024", "SK Gugus Tugas 188.45-123-2024"),
    ("Laporan: \"Forum Anak\" <2024>?*", "Laporan Forum Anak 2024"),
    ("Perda – revisi “final”", "Perda - revisi 'final'"),
    ("Café Ñandú Kecamatan Pahandut Seberang", "Cafe Nandu Kecamatan Pahandut Seberang"),
    ("Straße ½", "Strasse 1-2"),
    ("تقرير", "berkas"),  # no Latin reading: the fallback
    ("  ...  ", "berkas"),
    ("tab\tand\nnew line", "tab and new line"),
    ("CON", "_CON"),
    ("con.pdf", "_con.pdf"),
    ("LPT9.tar.gz", "_LPT9.tar.gz"),
    ("COM¹", "_COM1"),  # Windows reserves the superscript digits too: NFKD makes them plain
    ("CONSOLE", "CONSOLE"),
    ("COM10", "COM10"),
    ("laporan.", "laporan"),
    ("..hidden", "hidden"),
])
def test_segment_examples(raw, expected):
    assert segment(raw) == expected


def test_indonesian_text_is_kept_as_it_is():
    title = "Profil Anak Kabupaten Kotawaringin Barat Tahun 2023 (Data Terpilah)"
    assert segment(title, 200) == title


def test_a_long_title_is_cut_at_a_word():
    title = "Peraturan Daerah Kota Palangka Raya Nomor 5 Tahun 2021 tentang Penyelenggaraan Kota Layak Anak"
    cut = segment(title)
    assert len(cut) <= MAX_TITLE and title.startswith(cut) and not cut.endswith(" ")
    assert cut == "Peraturan Daerah Kota Palangka Raya Nomor 5 Tahun 2021"


def test_file_name_layout():
    assert file_name("1.2a", 3, "SK Gugus Tugas KLA", "pdf") == "1.2a_3_SK Gugus Tugas KLA.pdf"
    assert file_name("22A.2", 1, "", "jpg") == "22A.2_1_berkas.jpg"
    assert file_name("1.1", 1, "x", "../exe") == "1.1_1_x.bin"


def test_title_falls_back_to_the_file_names_stem():
    assert title_of("Perda KLA", "scan001.pdf") == "Perda KLA"
    assert title_of("  ", "scan001.pdf") == "scan001"
    assert title_of("", ".pdf") == ".pdf"  # then `segment` drops the leading dot
    assert extension_of("scan001.PDF") == "pdf"
    assert extension_of("noext") == "bin"
    assert extension_of("a.verylongext") == "bin"


def test_unique_ignores_case_and_keeps_the_extension():
    taken: set[str] = set()
    assert unique("1.1_1_Perda.pdf", taken) == "1.1_1_Perda.pdf"
    assert unique("1.1_1_PERDA.pdf", taken) == "1.1_1_PERDA (2).pdf"
    assert unique("1.1_1_perda.pdf", taken) == "1.1_1_perda (3).pdf"
    assert unique("folder", taken) == "folder"
    assert unique("FOLDER", taken) == "FOLDER (2)"


def test_unique_stays_within_the_length():
    taken: set[str] = set()
    name = "1.1_1_" + "a" * (MAX_FILE_NAME - 10) + ".pdf"
    first, second = unique(name, taken), unique(name, taken)
    assert second != first and len(second) <= MAX_FILE_NAME and second.endswith(" (2).pdf")


def test_paths_stay_short():
    longest = zip_path(SENSITIVE_FOLDER, "x" * MAX_FOLDER, "y" * MAX_FOLDER, "z" * MAX_FILE_NAME)
    assert len(longest) <= MAX_PATH
    with pytest.raises(ValueError):
        zip_path("a" * MAX_PATH, "b")


@given(st.text())
@example("CON.txt")
@example("\u202egnp.exe")  # a right-to-left override
@example("a" * 500)
def test_any_text_gives_a_safe_segment(raw):
    name = segment(raw)
    assert windows_safe(name), name
    assert len(name) <= MAX_TITLE
    assert segment(raw) == name  # the same text, the same name


@given(st.text(max_size=30), st.integers(1, 999), st.text(), st.sampled_from(["pdf", "jpg", "png", "docx", "xlsx"]))
def test_any_file_name_is_safe_and_bounded(code, n, title, extension):
    name = file_name(code, n, title, extension)
    assert windows_safe(name), name
    assert len(name) <= MAX_FILE_NAME
    assert name.endswith(f".{extension}") and f"_{n}_" in name


@given(st.lists(st.text(max_size=80), max_size=20))
def test_unique_names_never_collide_on_windows(titles):
    taken: set[str] = set()
    names = [unique(file_name("1.1", 1, title, "pdf"), taken) for title in titles]
    assert len({name.casefold() for name in names}) == len(names)
    assert all(windows_safe(name) and len(name) <= MAX_FILE_NAME for name in names)


@given(st.text())
def test_ascii_text_is_ascii(raw):
    assert ascii_text(raw).isascii()
