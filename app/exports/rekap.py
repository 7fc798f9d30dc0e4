"""The kab/kota workbook in the layout of the ministry's "Rekap Penilaian Mandiri".

Sheets, in order:
- `Ringkasan`: who, when, which stage; per part the maximum, self-assessed (EM) and
  verified totals as live formulas on the part sheets' subtotal rows, the grand total and
  the category of each total as formulas derived from the catalogue's bands;
- one sheet per part, exactly 11 columns (see `common.REKAP_COLUMNS`), one row per question
  and a subtotal row at the bottom (SUM formulas; an indicator the catalogue caps at its
  official maximum is capped in the formula too, so the subtotal equals the app's part score);
Every formula is written with the value the app computed for it (see `common`), and every row
of wrapped text is as tall as its text needs, so that the rekap prints without overprinting.
- `_data` (very hidden): per question the stored answer, its version, and the points and
  note as exported, which the import compares against to see what was edited offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from sqlmodel import Session
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from app.clock import local_time
from app.exports.common import (
    COL,
    DATA_COLUMNS,
    DATA_SHEET,
    FORMAT_TAG,
    FORMAT_VERSION,
    LINK,
    POINTS,
    REKAP_COLUMNS,
    SUBTOTAL_LABEL,
    SUMMARY_SHEET,
    TITLE,
    TOP,
    TOTAL,
    VERIFIED_LABELS,
    WRAP_TOP,
    Book,
    category_formula,
    category_value,
    clean_text,
    fill_row,
    part_sheet_titles,
    plain_number,
    points,
    print_setup,
    quoted,
    row_height,
    set_widths,
    stage_text,
    verified_stage,
    write_formula,
    write_header,
    write_number,
    write_text,
)
from app.exports.figures_sheet import write_figures_sheet
from app.exports.stages import STILL_VERIFYING, still_verifying_formula, write_stage_sheet
from app.models import Assessment, Cycle, Province, Regency
from app.services.evidence import EvidenceAccess, FileRow
from app.services.overview import region_rows, without_awards
from app.services.review import load_state
from app.services.stage_scores import season_of
from indicators import Catalogue
from indicators.models import Part
from scoring import ReviewStatus, Scorer, Stage, to_cents

# Narrow enough that the 11 columns print one A4 landscape page wide at a readable size (~6.5 pt).
WIDTHS = {"Klaster": 12, "Kode Indikator": 9, "Nama Indikator": 20, "Kode Pertanyaan": 11, "Pertanyaan": 46,
          "Nilai Maks": 8, "Nilai EM": 8, "Nilai Verifikasi": 10, "Sumber Data": 13, "Catatan": 20,
          "Bukti Dukung": 20}
WRAPPED = {"Klaster", "Nama Indikator", "Pertanyaan", "Sumber Data", "Catatan", "Bukti Dukung"}
NUMBERS = {"Nilai Maks", "Nilai EM", "Nilai Verifikasi"}


@dataclass(frozen=True)
class PartBlock:
    """Where a part's rows and subtotal landed on its sheet (for the summary formulas), and their values."""

    code: str
    title: str
    first_row: int  # 1-based, as in the formulas
    last_row: int
    subtotal_row: int
    totals: dict[str, int]  # column name -> cents, what the subtotal formula computes


def build_regency_workbook(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    assessment: Assessment,
    base_url: str,
    *,
    now: datetime | None = None,
    show_awards: bool = True,  # the ministry's fixed award, before publication its draft (pipeline.sees_fixed_awards)
    evidence_access: EvidenceAccess | None = None,
) -> bytes:
    """The rekap of one assessment as .xlsx bytes; evidence links point at `base_url`
    (e.g. https://kla.example.go.id).

    `evidence_access`: the reader's rights on the files (`app.services.evidence`): a file it may not
    see is counted, not named. None: the operator at the command line, who reads the database anyway."""
    now = now or datetime.now(UTC)
    regency = session.get_one(Regency, assessment.regency_code)
    province = session.get(Province, regency.province_code)
    cycle = session.get_one(Cycle, assessment.cycle_id)
    state = load_state(session, assessment)
    stage = verified_stage(assessment.stage)
    verdicts = state.verdicts(stage)
    # The season's rules (as the pages show them): an approval never above an earlier one.
    season = season_of(scorer, state, (Stage.DP3A, Stage.PROVINCE))
    self_sheet, checked_sheet = season.self_assessed, season.sheets[stage]
    base = base_url.rstrip("/") + f"/r/{quote(regency.code)}/{cycle.year}/verifikasi-bukti/"

    book = Book()
    summary = book.sheet(SUMMARY_SHEET)
    titles = part_sheet_titles(catalogue)
    blocks: list[PartBlock] = []
    data_rows: list[list[str | int | None]] = []

    for part in catalogue.data.parts:
        sheet = book.sheet(titles[part.code])
        write_header(book, sheet, 0, REKAP_COLUMNS, (WIDTHS[label] for label in REKAP_COLUMNS))
        row = 0  # 0-based: the header is row 0, the first question row 1 (row 2 in a formula)
        cents: dict[str, list[tuple[str, int]]] = {name: [] for name in NUMBERS}
        for indicator in part.indicators:
            for question in indicator.questions:
                row += 1
                code = question.code
                answer = state.answers.get(code)
                em = self_sheet.questions.get(code)
                verified = checked_sheet.questions.get(code)
                if verified is None and code in verdicts and verdicts[code].status is ReviewStatus.RETURNED:
                    verified = 0
                agencies = state.agencies_by_question.get(code) or []
                sources = ", ".join(a.short_name for a in agencies) or ", ".join(question.agencies)
                files: Sequence[FileRow] = state.current_files(answer.id) if answer is not None else []
                hidden = 0
                if evidence_access is not None:
                    files, hidden = evidence_access.split(files, code)
                note = clean_text(answer.note) if answer is not None else ""
                names = [f.filename for f in files]
                if hidden:
                    names.append(f"{hidden} berkas sensitif (hanya DP3A dan verifikator)")
                texts = {
                    "Klaster": part.name,
                    "Kode Indikator": indicator.code,
                    "Nama Indikator": indicator.name,
                    "Kode Pertanyaan": code,
                    "Pertanyaan": question.text,
                    "Sumber Data": sources,
                    "Catatan": note,
                    "Bukti Dukung": "\n".join(clean_text(n) for n in names),
                }
                for name, value in texts.items():
                    style = WRAP_TOP if name in WRAPPED else TOP
                    if name == "Bukti Dukung" and files:
                        _evidence_link(book, sheet, row, COL[name] - 1, f"{base}{files[0].id}?unduh=1", value)
                    else:
                        write_text(book, sheet, row, COL[name] - 1, value, style)
                for column, worth in (("Nilai Maks", to_cents(question.max)), ("Nilai EM", em),
                                      ("Nilai Verifikasi", verified)):
                    write_number(book, sheet, row, COL[column] - 1, points(worth), TOP, POINTS)
                    if worth is not None:
                        cents[column].append((indicator.code, worth))
                sheet.set_row(row, row_height((texts[name], WIDTHS[name]) for name in WRAPPED))
                data_rows.append([
                    code,
                    answer.option if answer is not None else None,
                    str(answer.value) if answer is not None and answer.value is not None else None,
                    1 if answer is not None and answer.not_applicable else 0,
                    answer.version if answer is not None else 0,
                    em,
                    note or None,
                ])
        first, last = 2, row + 1
        subtotal = last + 1
        totals = _subtotal_row(book, sheet, part, first, last, subtotal, cents)
        _format_part_sheet(sheet, last)
        blocks.append(PartBlock(part.code, titles[part.code], first, last, subtotal, totals))

    _summary(book, summary, catalogue, regency, province, cycle, assessment, stage, blocks, now,
             season.totals[stage].undecided)
    _data_sheet(book, catalogue, regency, cycle, data_rows, now)
    # Scores per stage (the same figures as the dashboard's table), after the summary's own columns.
    rows = region_rows(session, scorer, cycle.year, regency.province_code, regency_code=regency.code)
    write_stage_sheet(book, catalogue, rows if show_awards else without_awards(rows), own=True)
    write_figures_sheet(book, session, catalogue, cycle.year, state.answers)  # issue 23: the two years' figures
    return book.close()


regency_workbook_bytes = build_regency_workbook  # the name app/cli.py imports


def _evidence_link(book: Book, sheet: Worksheet, row: int, column: int, url: str, names: str) -> None:
    """The file names, one a line, linked to the first file's download.

    A HYPERLINK formula (with the names as its value) rather than a cell hyperlink: LibreOffice shows a
    cell hyperlink's text as one unbroken line, so two file names printed as "a.pdfb.pdf". Excel caps a
    text constant in a formula at 255 characters: longer names or link fall back to a cell hyperlink."""
    lines = names.split("\n")
    if len(url) <= 255 and all(len(line) <= 250 for line in lines) and len(names) <= 4000:
        text = "&CHAR(10)&".join('"' + line.replace('"', '""') + '"' for line in lines)
        target = url.replace('"', '""')
        sheet.write_formula(row, column, f'=HYPERLINK("{target}",{text})', book.fmt(WRAP_TOP, LINK), names)
    else:
        sheet.write_url(row, column, url, book.fmt(WRAP_TOP, LINK), string=names.replace("\n", ", ")[:32767])


def _capped_sum(part: Part, values: list[tuple[str, int]]) -> int:
    """What the subtotal formula computes, in cents: the sum, each capped indicator held at its maximum."""
    total = sum(v for _, v in values)
    for indicator in part.indicators:
        if indicator.capped:
            within = sum(v for code, v in values if code == indicator.code)
            total -= max(0, within - to_cents(indicator.max))
    return total


def _subtotal_row(book: Book, sheet: Worksheet, part: Part, first: int, last: int, row: int,
                  cents: dict[str, list[tuple[str, int]]]) -> dict[str, int]:
    """SUM of each points column; an indicator capped at its maximum is capped here too."""
    code_column = xl_col_to_name(COL["Kode Indikator"] - 1)
    capped = [i for i in part.indicators if i.capped]
    r = row - 1  # 0-based
    fill_row(book, sheet, r, len(REKAP_COLUMNS), TOTAL)
    label = f"{SUBTOTAL_LABEL} {part.short_name}"
    write_text(book, sheet, r, COL["Klaster"] - 1, label, TOTAL)
    totals = {}
    for name in ("Nilai Maks", "Nilai EM", "Nilai Verifikasi"):
        letter = xl_col_to_name(COL[name] - 1)
        span = f"{letter}{first}:{letter}{last}"
        formula = f"SUM({span})"
        for indicator in capped:
            codes = f"${code_column}${first}:${code_column}${last}"
            within = f'SUMPRODUCT(({codes}="{indicator.code}")*{span})'
            formula += f"-MAX(0,{within}-{plain_number(indicator.max)})"
        totals[name] = _capped_sum(part, cents[name])
        write_formula(book, sheet, r, COL[name] - 1, f"=ROUND({formula},2)", points(totals[name]), TOTAL, POINTS)
    explained = ""
    if capped:
        explained = "Jumlah bagian ({}).".format("; ".join(
            f"indikator {i.code} dibatasi pada nilai maksimumnya {plain_number(i.max)}" for i in capped))
        write_text(book, sheet, r, COL["Pertanyaan"] - 1, explained, TOTAL)
    sheet.set_row(r, row_height([(label, WIDTHS["Klaster"]), (explained, WIDTHS["Pertanyaan"])]))
    return totals


def _format_part_sheet(sheet: Worksheet, last: int) -> None:
    set_widths(sheet, (WIDTHS[name] for name in REKAP_COLUMNS))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last - 1, len(REKAP_COLUMNS) - 1)
    print_setup(sheet, 0)


def _summary(book: Book, sheet: Worksheet, catalogue: Catalogue, regency: Regency, province: Province | None,
             cycle: Cycle, assessment: Assessment, stage: Stage, blocks: list[PartBlock], now: datetime,
             undecided: int) -> None:
    """The summary; rows and columns 0-based here, 1-based in the formulas. `undecided`: answers the
    verifying stage has not decided yet; while there are any its category is "masih diverifikasi"."""
    info = catalogue.data.instrument
    write_text(book, sheet, 0, 0, f"{info.title} · {regency.name}", TITLE)
    facts: list[tuple[str, str | int]] = [
        ("Kabupaten/Kota", f"{regency.name} ({regency.code})"),
        ("Provinsi", f"{province.name} ({province.code})" if province else regency.province_code),
        ("Tahun", cycle.year),
        ("Versi instrumen", f"{cycle.instrument_code} {cycle.instrument_version}"),
        ("Tahap", stage_text(assessment.stage)),
        ("Nilai Verifikasi dari", VERIFIED_LABELS[stage]),
        ("Diekspor", local_time(now)),
    ]
    row = 2
    for label, value in facts:
        write_text(book, sheet, row, 0, label, {"bold": True})
        write_text(book, sheet, row, 1, str(value))
        row += 1
    row += 1
    header_row = row
    write_header(book, sheet, header_row, ("Kode", "Bagian", "Nilai Maks", "Nilai EM", "Nilai Verifikasi"))
    names = {p.code: p.name for p in catalogue.data.parts}
    first = header_row + 1
    columns = ((2, "Nilai Maks"), (3, "Nilai EM"), (4, "Nilai Verifikasi"))
    for offset, block in enumerate(blocks):
        r = first + offset
        write_text(book, sheet, r, 0, block.code, TOP)
        write_text(book, sheet, r, 1, names[block.code], WRAP_TOP)
        for column, name in columns:
            letter = xl_col_to_name(COL[name] - 1)
            write_formula(book, sheet, r, column, f"={quoted(block.title)}!{letter}{block.subtotal_row}",
                          points(block.totals[name]), TOP, POINTS)
        sheet.set_row(r, row_height([(names[block.code], 60)]))
    last = first + len(blocks) - 1
    total_row, undecided_row, category_row = last + 1, last + 2, last + 3
    for r in (total_row, undecided_row, category_row):
        fill_row(book, sheet, r, 5, TOTAL)
    write_text(book, sheet, total_row, 1, "Total", TOTAL)
    write_text(book, sheet, undecided_row, 1, "Belum diputuskan (soal)", TOTAL)
    write_number(book, sheet, undecided_row, 3, 0, TOTAL)  # the self-assessment decides every answer it gives
    write_number(book, sheet, undecided_row, 4, undecided, TOTAL)
    write_text(book, sheet, category_row, 1, "Kategori", TOTAL)
    names_shown = []
    for column, name in columns:
        letter = xl_col_to_name(column)
        total = sum(block.totals[name] for block in blocks)
        write_formula(book, sheet, total_row, column, f"=ROUND(SUM({letter}{first + 1}:{letter}{last + 1}),2)",
                      points(total), TOTAL, POINTS)
        if name != "Nilai Maks":
            shown = category_value(catalogue, total)
            formula = category_formula(catalogue, f"{letter}{total_row + 1}")
            if name == "Nilai Verifikasi":
                shown = STILL_VERIFYING if undecided else shown
                formula = still_verifying_formula(formula, f"{letter}{undecided_row + 1}")
            write_formula(book, sheet, category_row, column, formula, shown, TOTAL)
            names_shown.append((shown, 16))
    sheet.set_row(category_row, row_height(names_shown))

    # The bands the category formula encodes, so that the ministry can check it by eye.
    row = category_row + 2
    write_text(book, sheet, row, 0, "Batas kategori", {"bold": True})
    row += 1
    for band in catalogue.bands:
        low = ("≥ " if band.includes_min else "> ") + plain_number(band.min)
        high = ("≤ " if band.includes_max else "< ") + plain_number(band.max)
        write_text(book, sheet, row, 1, band.name)
        write_text(book, sheet, row, 2, f"{low} dan {high}")
        row += 1
    gates = [g for g in catalogue.data.gates if g.active]
    note = ("Nilai dan kategori di atas adalah rumus atas sheet per bagian: ubah nilai di sheet bagian dan "
            "ringkasan ikut berubah.")
    if gates:
        note += " Aturan gerbang kategori yang aktif tidak termasuk dalam rumus kategori."
    row += 1
    sheet.merge_range(row, 0, row, 4, "", book.fmt(WRAP_TOP))
    write_text(book, sheet, row, 0, note, WRAP_TOP)
    sheet.set_row(row, row_height([(note, 22 + 60 + 3 * 16)]))
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 4, 16)
    print_setup(sheet, header_row)


def _data_sheet(book: Book, catalogue: Catalogue, regency: Regency, cycle: Cycle,
                rows: list[list[str | int | None]], now: datetime) -> None:
    sheet = book.sheet(DATA_SHEET)
    sheet.very_hidden()
    info = catalogue.data.instrument
    head: list[str | int | None] = [FORMAT_TAG, FORMAT_VERSION, regency.code, cycle.year, info.code, info.version,
            now.astimezone(UTC).isoformat()]
    table: list[list[str | int | None]] = [head, list(DATA_COLUMNS), *rows]
    for r, values in enumerate(table):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)


