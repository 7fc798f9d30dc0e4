"""Reading a document's metadata from its file (app/evidence/metadata.py), on PDFs generated here
with fpdf2: the first pages of a Perda, a Perwal, an SK and a Surat Edaran with a text layer, a scan
(an image and no text), one with document information only, a damaged one and an encrypted one."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime

import pytest
from fpdf import FPDF
from PIL import Image

from app.evidence import metadata
from app.evidence.metadata import Extracted, extract_file, extract_pdf, from_text, titlecase


def pdf_of(lines: list[str], *, info: dict[str, str] | None = None, created: datetime | None = None) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT", align="C" if line.isupper() else "L")
    info = info or {}
    if "Title" in info:
        pdf.set_title(info["Title"])
    if "Author" in info:
        pdf.set_author(info["Author"])
    if "Subject" in info:
        pdf.set_subject(info["Subject"])
    pdf.set_creation_date(created or datetime(2019, 5, 2, tzinfo=UTC))
    return bytes(pdf.output())


PERDA = [
    "BUPATI KAPUAS",
    "PROVINSI KALIMANTAN TENGAH",
    "PERATURAN DAERAH KABUPATEN KAPUAS",
    "NOMOR 5 TAHUN 2021",
    "TENTANG",
    "PENYELENGGARAAN KABUPATEN LAYAK ANAK",
    "DENGAN RAHMAT TUHAN YANG MAHA ESA",
    "BUPATI KAPUAS,",
    "Menimbang : a. bahwa setiap anak berhak atas kelangsungan hidup, tumbuh dan berkembang;",
    "Mengingat : 1. Undang-Undang Nomor 35 Tahun 2014 tentang Perubahan atas Undang-Undang Nomor 23 "
    "Tahun 2002 tentang Perlindungan Anak;",
]
PERWAL = [
    "WALI KOTA PALANGKA RAYA",
    "PROVINSI KALIMANTAN TENGAH",
    "PERATURAN WALI KOTA PALANGKA RAYA",
    "NOMOR 12 TAHUN 2023",
    "TENTANG",
    "PEMBENTUKAN GUGUS TUGAS KOTA LAYAK ANAK",
    "DAN FORUM ANAK KOTA PALANGKA RAYA",
    "DENGAN RAHMAT TUHAN YANG MAHA ESA",
    "Menimbang : bahwa berdasarkan Peraturan Daerah Nomor 5 Tahun 2021 ...",
]
SK = [
    "PEMERINTAH KOTA PALANGKA RAYA",
    "DINAS PEMBERDAYAAN PEREMPUAN DAN PERLINDUNGAN ANAK",
    "KEPUTUSAN KEPALA DINAS PEMBERDAYAAN PEREMPUAN DAN PERLINDUNGAN ANAK",
    "Nomor: 188.45/123/DP3A/2024",
    "TENTANG",
    "TIM PELAKSANA PUSPAGA",
    "KEPALA DINAS PEMBERDAYAAN PEREMPUAN DAN PERLINDUNGAN ANAK,",
    "Menimbang : bahwa untuk melaksanakan Peraturan Wali Kota Nomor 12 Tahun 2023 ...",
    "Ditetapkan di Palangka Raya pada tanggal 12 Januari 2024",
]
EDARAN = [
    "PEMERINTAH KABUPATEN KAPUAS",
    "SEKRETARIAT DAERAH",
    "Kuala Kapuas, 03-03-2023",
    "SURAT EDARAN BUPATI KAPUAS",
    "Nomor: 400/55/Kesra/2023",
    "TENTANG",
    "GERAKAN SEKOLAH RAMAH ANAK",
    "Yth. Kepala Satuan Pendidikan se-Kabupaten Kapuas",
]


def test_a_perda():
    found = extract_pdf(pdf_of(PERDA))
    assert found.kind == "perda"
    assert found.number == "Nomor 5 Tahun 2021"
    assert found.year == 2021  # from the number, not the PDF's creation date (2019)
    assert found.issued_on is None
    assert found.issuer == "Bupati Kapuas"
    assert found.title == "Penyelenggaraan Kabupaten Layak Anak"
    assert found.has_text


def test_a_perwal():
    found = extract_pdf(pdf_of(PERWAL))
    assert found.kind == "perkada"
    assert found.number == "Nomor 12 Tahun 2023"
    assert found.issuer == "Wali Kota Palangka Raya"
    assert found.title == "Pembentukan Gugus Tugas Kota Layak Anak dan Forum Anak Kota Palangka Raya"
    assert found.year == 2023


def test_an_sk_of_an_agency():
    found = extract_pdf(pdf_of(SK))
    assert found.kind == "sk"
    assert found.number == "188.45/123/DP3A/2024"
    assert found.issued_on == date(2024, 1, 12)
    assert found.year == 2024
    assert found.issuer == "Kepala Dinas Pemberdayaan Perempuan dan Perlindungan Anak"
    assert found.title == "Tim Pelaksana PUSPAGA"


def test_a_circular():
    found = extract_pdf(pdf_of(EDARAN))
    assert found.kind == "surat_edaran"
    assert found.number == "400/55/Kesra/2023"  # as written, not upper-cased
    assert found.issued_on == date(2023, 3, 3)
    assert found.issuer == "Bupati Kapuas"
    assert found.title == "Gerakan Sekolah Ramah Anak"


def test_a_scan_without_text_gives_its_document_information_only():
    image = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(image, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=100)
    pdf.set_creation_date(datetime(2022, 8, 17, tzinfo=UTC))
    found = extract_pdf(bytes(pdf.output()))
    assert not found.has_text
    assert found.kind is None and found.number == "" and found.title == ""
    assert found.year == 2022  # the scan's creation date: the only thing known


def test_document_information_only():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_title("Laporan Kegiatan Forum Anak 2023")
    pdf.set_author("DP3A Kota Palangka Raya")
    pdf.set_creation_date(datetime(2024, 2, 1, tzinfo=UTC))
    found = extract_pdf(bytes(pdf.output()))
    assert found.kind == "report"
    assert found.title == "Laporan Kegiatan Forum Anak 2023"
    assert found.issuer == "DP3A Kota Palangka Raya"
    assert found.year == 2024
    assert found.as_dict() == {"kind": "report", "title": "Laporan Kegiatan Forum Anak 2023",
                               "issuer": "DP3A Kota Palangka Raya", "year": "2024"}


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>",
                                  b"not a pdf at all", None])
def test_a_broken_pdf_gives_nothing_and_never_raises(data):
    if data is None:  # a real file cut in half
        whole = pdf_of(SK)
        data = whole[: len(whole) // 2]
    found = extract_pdf(data)
    assert isinstance(found, Extracted)


def test_an_encrypted_pdf_gives_what_opens_without_a_password():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "\n".join(SK))
    pdf.set_encryption(owner_password="pemilik", user_password="rahasia")
    found = extract_pdf(bytes(pdf.output()))
    assert found.number == ""  # its text needs the password


def test_a_huge_page_is_bounded():
    lines = ["LAPORAN KEGIATAN"] + ["Nomor 7 Tahun 2020 tanggal 1 Januari 2020 " * 20] * 300
    started = time.monotonic()
    found = extract_pdf(pdf_of(lines))
    assert time.monotonic() - started < 20
    assert found.kind == "report"


def test_files_by_kind(tmp_path):
    path = tmp_path / "berkas"
    path.write_bytes(pdf_of(PERDA))
    assert extract_file(path, "pdf").kind == "perda"
    assert extract_file(path, "jpeg") == Extracted(kind="photo")
    assert extract_file(path, "docx") == Extracted()
    assert extract_file(tmp_path / "missing", "pdf") == Extracted()


def test_dates_and_numbers_in_text():
    assert from_text("Palangka Raya, 31 Desember 2022").issued_on == date(2022, 12, 31)
    assert from_text("tanggal 3 Maret 2023").issued_on == date(2023, 3, 3)
    assert from_text("30/02/2023 dan 15/08/2021").issued_on == date(2021, 8, 15)  # 30 Feb is no date
    assert from_text("dibuat 1 Mei 2020, ditetapkan pada tanggal 2 Juni 2021").issued_on == date(2021, 6, 2)
    assert from_text("12 Januari 1800").issued_on is None
    assert from_text("NOMOR : 3 TAHUN 2019").number == "Nomor 3 Tahun 2019"
    assert from_text("Nomor: 188.45/123/DP3A/2024").year == 2024
    assert from_text("").empty


def test_kind_is_the_first_heading():
    assert from_text("KEPUTUSAN BUPATI KAPUAS\nMengingat Peraturan Daerah Nomor 5").kind == "sk"
    assert from_text("NOTULEN RAPAT GUGUS TUGAS").kind == "minutes"
    assert from_text("BERITA ACARA SERAH TERIMA").kind == "minutes"
    assert from_text("STANDAR OPERASIONAL PROSEDUR PENANGANAN ANAK").kind == "sop"
    assert from_text("NOTA KESEPAHAMAN ANTARA").kind == "mou"
    assert from_text("SERTIFIKAT PELATIHAN KHA").kind == "certificate"
    assert from_text("DPA SKPD 2024").kind == "budget"
    assert from_text("Kegiatan lain").kind is None


def test_titlecase():
    assert titlecase("TIM PELAKSANA PUSPAGA DAN DP3A") == "Tim Pelaksana PUSPAGA dan DP3A"
    assert titlecase("Sudah Berhuruf Kecil") == "Sudah Berhuruf Kecil"
    assert metadata.MAX_TEXT_CHARS > 1000
