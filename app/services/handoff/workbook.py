"""The hand-off package's workbook (`<regency>_<year>_serah_terima.xlsx`) and its README.txt.

Both are the ministry's documents, in Bahasa Indonesia whatever the UI language. The workbook is
written with XlsxWriter in constant-memory mode (each row goes to disk once written) to a file:
- `Serah terima`: one row per question of the instrument, in its order: code, part, indicator,
  question, the answer as it is to be entered in the ministry's application, the note, the yearly
  figures, the files (number, title, path inside the ZIP) and the question's folder;
- `Berkas`: one row per file: question, number, title, kind, document number, year, sensitive, size,
  path inside the ZIP;
- `Data`: one row per question and year of a data question: numerator, denominator, unit, percentage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from xlsxwriter.worksheet import Worksheet

from app.clock import local_time
from app.exports.common import HEADER, TITLE, TOP, WRAP_TOP, Book, row_height, write_text
from app.i18n import format_file_size, format_fixed, format_number
from app.services.handoff.plan import SENSITIVE_FOLDER, Handoff, PackedQuestion, YearFigure

QUESTION_COLUMNS = ("No", "Kode Pertanyaan", "Bagian", "Kode Indikator", "Indikator", "Pertanyaan",
                    "Jawaban (untuk diisikan)", "Catatan", "Data dua tahun", "Jumlah Berkas", "Berkas (judul dan lokasi)",
                    "Folder")
QUESTION_WIDTHS = (5, 10, 14, 9, 24, 48, 24, 28, 26, 8, 56, 18)
FILE_COLUMNS = ("Kode Pertanyaan", "No", "Judul", "Jenis", "Nomor Dokumen", "Tahun", "Sensitif", "Ukuran",
                "Lokasi dalam ZIP")
FILE_WIDTHS = (10, 5, 40, 16, 24, 7, 9, 10, 70)
FIGURE_COLUMNS = ("Kode Pertanyaan", "Tahun", "Pembilang", "Penyebut", "Satuan", "Persentase")
FIGURE_WIDTHS = (10, 7, 14, 14, 14, 11)
QUESTION_SHEET, FILE_SHEET, FIGURE_SHEET = "Serah terima", "Berkas", "Data"
HEADER_ROW = 4  # 0-based: title, kab/kota, built, a blank line, then the header


def number_text(value: Decimal) -> str:
    return format_number(value, language="id")


def figure_text(figure: YearFigure) -> str:
    """"2024: 120 / 150 anak = 80,00%" or "2024: 12 kasus"."""
    unit = f" {figure.unit}" if figure.unit else ""
    if figure.denominator is None:
        return f"{figure.year}: {number_text(figure.numerator)}{unit}"
    shown = f"{figure.year}: {number_text(figure.numerator)} / {number_text(figure.denominator)}{unit}"
    if figure.percentage is not None:
        shown += f" = {format_fixed(figure.percentage, 2, language='id')}%"
    return shown


def files_text(question: PackedQuestion, with_sensitive: bool) -> str:
    """The files of a question, one a line; or why there are none."""
    lines = [f"{f.n}. {f.title} — {f.path}" for f in question.files]
    if question.withheld:
        lines.append(f"{question.withheld} berkas sensitif tidak disertakan (hanya untuk DP3A)")
    if question.missing:
        lines.append(f"{question.missing} berkas tidak ditemukan di penyimpanan aplikasi")
    if not lines and question.answered:
        lines.append("Tanpa berkas dukung")
    return "\n".join(lines)


def write_workbook(handoff: Handoff, target: Path, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    book = Book(target, constant_memory=True)
    _question_sheet(book, handoff, now)
    _file_sheet(book, handoff)
    _figure_sheet(book, handoff)
    book.close()


def _question_sheet(book: Book, handoff: Handoff, now: datetime) -> None:
    sheet = book.sheet(QUESTION_SHEET)
    for column, width in enumerate(QUESTION_WIDTHS):
        sheet.set_column(column, column, width)
    regency, cycle = handoff.regency, handoff.cycle
    write_text(book, sheet, 0, 0, f"Paket serah terima · {regency.name} ({regency.code}) · {cycle.year}", TITLE)
    write_text(book, sheet, 1, 0, f"Instrumen {cycle.instrument_code} {cycle.instrument_version}; "
                                  f"dibuat {local_time(now)}; "
                                  + ("berkas sensitif disertakan di folder " + SENSITIVE_FOLDER
                                     if handoff.with_sensitive else "tanpa berkas sensitif"))
    write_text(book, sheet, 2, 0, f"{len(handoff.answered)} dari {len(handoff.questions)} pertanyaan dijawab; "
                                  f"{len(handoff.files)} berkas")
    sheet.set_row(HEADER_ROW, row_height(zip(QUESTION_COLUMNS, QUESTION_WIDTHS, strict=True)))
    for column, label in enumerate(QUESTION_COLUMNS):
        sheet.write_string(HEADER_ROW, column, label, book.fmt(HEADER))
    row = HEADER_ROW
    for number, question in enumerate(handoff.questions, start=1):
        row += 1
        texts = (
            question.code, question.part_name, question.indicator_code, question.indicator_name, question.text,
            question.answer_text if question.answered else "Belum dijawab", question.note,
            "\n".join(figure_text(f) for f in question.figures),
        )
        files = files_text(question, handoff.with_sensitive)
        folder = question.folder if question.answered else ""
        sheet.set_row(row, row_height([(question.text, 48), (question.note, 28), (files, 56),
                                       (question.indicator_name, 24), (texts[7], 26)]))
        sheet.write_number(row, 0, number, book.fmt(TOP))
        for offset, value in enumerate(texts, start=1):
            write_text(book, sheet, row, offset, value, WRAP_TOP)
        sheet.write_number(row, 9, len(question.files), book.fmt(TOP))
        write_text(book, sheet, row, 10, files, WRAP_TOP)
        write_text(book, sheet, row, 11, folder, TOP)
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    sheet.autofilter(HEADER_ROW, 0, row, len(QUESTION_COLUMNS) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.repeat_rows(HEADER_ROW)
    sheet.fit_to_pages(1, 0)


def _list_sheet(book: Book, name: str, widths: tuple[float, ...], columns: tuple[str, ...]) -> Worksheet:
    """A sheet of one row per item: its column widths and its heading row."""
    sheet = book.sheet(name)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    for column, label in enumerate(columns):
        sheet.write_string(0, column, label, book.fmt(HEADER))
    return sheet


def _file_sheet(book: Book, handoff: Handoff) -> None:
    sheet = _list_sheet(book, FILE_SHEET, FILE_WIDTHS, FILE_COLUMNS)
    row = 0
    for question in handoff.questions:
        for packed in question.files:
            row += 1
            write_text(book, sheet, row, 0, question.code, TOP)
            sheet.write_number(row, 1, packed.n, book.fmt(TOP))
            write_text(book, sheet, row, 2, packed.title, WRAP_TOP)
            write_text(book, sheet, row, 3, packed.kind, TOP)
            write_text(book, sheet, row, 4, packed.number, TOP)
            if packed.year is not None:
                sheet.write_number(row, 5, packed.year, book.fmt(TOP))
            write_text(book, sheet, row, 6, "Ya" if packed.sensitive else "", TOP)
            write_text(book, sheet, row, 7, format_file_size(packed.size, language="id"), TOP)
            write_text(book, sheet, row, 8, packed.path, TOP)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(row, 1), len(FILE_COLUMNS) - 1)


def _figure_sheet(book: Book, handoff: Handoff) -> None:
    sheet = _list_sheet(book, FIGURE_SHEET, FIGURE_WIDTHS, FIGURE_COLUMNS)
    row = 0
    for question in handoff.questions:
        for figure in question.figures:
            row += 1
            write_text(book, sheet, row, 0, question.code)
            sheet.write_number(row, 1, figure.year)
            sheet.write_number(row, 2, float(figure.numerator))
            if figure.denominator is not None:
                sheet.write_number(row, 3, float(figure.denominator))
            write_text(book, sheet, row, 4, figure.unit)
            if figure.percentage is not None:
                sheet.write_number(row, 5, float(figure.percentage), book.fmt({"num_format": "0.00"}))
    sheet.freeze_panes(1, 0)


def readme_text(handoff: Handoff, now: datetime | None = None) -> str:
    """README.txt at the root of the ZIP, in Bahasa Indonesia, with Windows line ends."""
    now = now or datetime.now(UTC)
    regency, cycle = handoff.regency, handoff.cycle
    lines = [
        f"PAKET SERAH TERIMA EVALUASI KLA {cycle.year}",
        f"{regency.name} ({regency.code})",
        f"Dibuat: {local_time(now)}",
        "",
        "Paket ini berisi jawaban dan bukti dukung evaluasi mandiri KLA kab/kota ini, disusun",
        "menurut urutan instrumen, untuk diisikan dan diunggah ke aplikasi evaluasi KLA kementerian.",
        "",
        "ISI PAKET",
        f"- {handoff.workbook_name}: daftar setiap pertanyaan menurut urutan instrumen: kode,",
        "  bagian, indikator, pertanyaan, jawaban sebagaimana diisikan di aplikasi kementerian",
        "  (label pilihan, angka atau persentase dengan satuannya, atau \"Tidak berlaku\"), catatan,",
        "  data dua tahun (pembilang, penyebut, satuan, persentase), serta berkas dengan judulnya",
        "  dan lokasinya di dalam paket. Sheet \"Berkas\": rincian setiap berkas (jenis, nomor,",
        "  tahun, ukuran). Sheet \"Data\": angka per tahun pertanyaan data.",
        "- Satu folder per bagian (misalnya KL, K1) dan di dalamnya satu folder per kode",
        "  pertanyaan (misalnya KL/1.2a). Setiap pertanyaan yang dijawab punya foldernya, juga",
        "  bila tanpa berkas (buku kerja menyebutkannya).",
        "- Nama berkas: <kode>_<nomor>_<judul>.<ekstensi>; nomor dihitung dari 1 menurut urutan",
        "  berkas dilampirkan; judul adalah judul dokumen di pustaka dokumen (atau nama berkasnya).",
        "",
        "BERKAS SENSITIF",
    ]
    if handoff.with_sensitive:
        lines += [
            f"Paket ini memuat {handoff.sensitive_included} berkas sensitif (dapat memuat identitas anak korban)",
            f"di folder terpisah {SENSITIVE_FOLDER}/<bagian>/<kode>/. Simpan dan kirimkan hanya kepada",
            "yang berwenang; jangan disebarkan.",
        ]
    else:
        lines += [
            f"Berkas sensitif tidak disertakan ({handoff.sensitive_withheld} berkas). Buku kerja mencatat",
            "jumlahnya per pertanyaan. Paket dengan berkas sensitif hanya dibuat untuk DP3A.",
        ]
    lines += [
        "",
        "RINGKASAN",
        f"- Pertanyaan dijawab: {len(handoff.answered)} dari {len(handoff.questions)}",
        f"- Berkas: {len(handoff.files)} ({format_file_size(handoff.files_size, language='id')})",
    ]
    if handoff.missing:
        lines.append(f"- Berkas tidak ditemukan di penyimpanan aplikasi: {handoff.missing}")
    return "\r\n".join(lines) + "\r\n"
