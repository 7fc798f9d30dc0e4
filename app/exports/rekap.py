"""The kab/kota workbook in the layout of the ministry's "Rekap Penilaian Mandiri".

Sheets, in order:
- `Ringkasan`: who, when, which stage; per part the maximum, self-assessed (EM) and
  verified totals as live formulas on the part sheets' subtotal rows, the grand total and
  the category of each total as formulas derived from the catalogue's bands;
- one sheet per part, exactly 11 columns (see `common.REKAP_COLUMNS`), one row per question
  and a subtotal row at the bottom (SUM formulas; an indicator the catalogue caps at its
  official maximum is capped in the formula too, so the subtotal equals the app's part score);
- `_data` (very hidden): per question the stored answer, its version, and the points and
  note as exported, which the import compares against to see what was edited offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from app.exports.common import (
    COL,
    DATA_COLUMNS,
    DATA_SHEET,
    FORMAT_TAG,
    FORMAT_VERSION,
    HEADER_FONT,
    POINTS_FORMAT,
    REKAP_COLUMNS,
    STAGE_LABELS,
    SUBTOTAL_LABEL,
    SUMMARY_SHEET,
    TOP,
    TOTAL_FILL,
    VERIFIED_LABELS,
    WRAP_TOP,
    category_formula,
    clean_text,
    part_sheet_titles,
    points,
    print_setup,
    quoted,
    set_text,
    style_header,
    wib,
    workbook_bytes,
)
from app.models import Assessment, Cycle, Province, Regency
from app.services.evidence import EvidenceAccess
from app.services.review import load_state, stage_scores
from indicators import Catalogue
from scoring import ReviewStatus, Scorer

WIDTHS = {"Klaster": 22, "Kode Indikator": 10, "Nama Indikator": 30, "Kode Pertanyaan": 11, "Pertanyaan": 60,
          "Nilai Maks": 10, "Nilai EM": 10, "Nilai Verifikasi": 12, "Sumber Data": 18, "Catatan": 32,
          "Bukti Dukung": 32}
WRAPPED = {"Klaster", "Nama Indikator", "Pertanyaan", "Sumber Data", "Catatan", "Bukti Dukung"}
NUMBERS = {"Nilai Maks", "Nilai EM", "Nilai Verifikasi"}


def verified_stage(assessment_stage: str) -> str:
    """The most advanced review stage reached: the province's once submitted, else the DP3A's."""
    return "province" if assessment_stage in ("province", "ministry") else "dp3a"


@dataclass(frozen=True)
class PartBlock:
    """Where a part's rows and subtotal landed on its sheet (for the summary formulas)."""

    code: str
    title: str
    first_row: int
    last_row: int
    subtotal_row: int


def build_regency_workbook(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    assessment: Assessment,
    base_url: str,
    *,
    now: datetime | None = None,
    evidence_access: EvidenceAccess | None = None,
) -> Workbook:
    """The rekap of one assessment; evidence links point at `base_url` (e.g. https://kla.example.go.id).

    `evidence_access`: the reader's rights on the files (`app.services.evidence`): a file it may not
    see is counted, not named. None: the operator at the command line, who reads the database anyway."""
    now = now or datetime.now(UTC)
    regency = session.get(Regency, assessment.regency_code)
    province = session.get(Province, regency.province_code)
    cycle = session.get(Cycle, assessment.cycle_id)
    state = load_state(session, assessment)
    scores = stage_scores(scorer, state)
    stage = verified_stage(assessment.stage)
    verdicts = state.verdicts(stage)
    self_sheet, checked_sheet = scores.self_assessed, scores.by_stage[stage]
    base = base_url.rstrip("/") + f"/r/{quote(regency.code)}/{cycle.year}/verifikasi-bukti/"

    workbook = Workbook()
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    titles = part_sheet_titles(catalogue)
    blocks: list[PartBlock] = []
    data_rows: list[list] = []

    for part in catalogue.data.parts:
        sheet = workbook.create_sheet(titles[part.code])
        sheet.append(list(REKAP_COLUMNS))
        style_header(sheet, 1, len(REKAP_COLUMNS))
        sheet.row_dimensions[1].height = 30
        row = 1
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
                files = state.current_files(answer.id) if answer is not None else []
                hidden = 0
                if evidence_access is not None:
                    files, hidden = evidence_access.split(files, code)
                note = clean_text(answer.note) if answer is not None else ""
                values = {
                    "Klaster": part.name,
                    "Kode Indikator": indicator.code,
                    "Nama Indikator": indicator.name,
                    "Kode Pertanyaan": code,
                    "Pertanyaan": question.text,
                }
                for name, value in values.items():
                    set_text(sheet.cell(row=row, column=COL[name]), value)
                sheet.cell(row=row, column=COL["Nilai Maks"], value=float(question.max))
                sheet.cell(row=row, column=COL["Nilai EM"], value=points(em))
                sheet.cell(row=row, column=COL["Nilai Verifikasi"], value=points(verified))
                set_text(sheet.cell(row=row, column=COL["Sumber Data"]), sources)
                note_cell = sheet.cell(row=row, column=COL["Catatan"])
                set_text(note_cell, note)
                if note.startswith(("=", "+", "-", "@")):  # text already; Excel keeps it text when edited too
                    note_cell.quotePrefix = True
                if files or hidden:
                    cell = sheet.cell(row=row, column=COL["Bukti Dukung"])
                    names = [f.filename for f in files]
                    if hidden:
                        names.append(f"{hidden} berkas sensitif (hanya DP3A dan verifikator)")
                    set_text(cell, "\n".join(names))
                if files:
                    cell.hyperlink = f"{base}{files[0].id}?unduh=1"
                    cell.font = Font(color="0563C1", underline="single")
                data_rows.append([
                    code,
                    answer.option if answer is not None else None,
                    str(answer.value) if answer is not None and answer.value is not None else None,
                    1 if answer is not None and answer.not_applicable else 0,
                    answer.version if answer is not None else 0,
                    em,
                    note or None,
                ])
        first, last = 2, row
        subtotal = last + 1
        _subtotal_row(sheet, part, first, last, subtotal)
        _format_part_sheet(sheet, first, last, subtotal)
        blocks.append(PartBlock(part.code, titles[part.code], first, last, subtotal))

    _summary(summary, catalogue, regency, province, cycle, assessment, stage, blocks, now)
    _data_sheet(workbook, catalogue, regency, cycle, data_rows, now)
    return workbook


def regency_workbook_bytes(session, catalogue, scorer, assessment, base_url, *, now=None,
                           evidence_access: EvidenceAccess | None = None) -> bytes:
    return workbook_bytes(build_regency_workbook(session, catalogue, scorer, assessment, base_url, now=now,
                                                 evidence_access=evidence_access))


def _subtotal_row(sheet, part, first: int, last: int, row: int) -> None:
    """SUM of each points column; an indicator capped at its maximum is capped here too."""
    code_column = get_column_letter(COL["Kode Indikator"])
    capped = [i for i in part.indicators if i.capped]
    set_text(sheet.cell(row=row, column=COL["Klaster"]), f"{SUBTOTAL_LABEL} {part.short_name}")
    for name in ("Nilai Maks", "Nilai EM", "Nilai Verifikasi"):
        letter = get_column_letter(COL[name])
        span = f"{letter}{first}:{letter}{last}"
        formula = f"SUM({span})"
        for indicator in capped:
            codes = f"${code_column}${first}:${code_column}${last}"
            within = f'SUMPRODUCT(({codes}="{indicator.code}")*{span})'
            formula += f"-MAX(0,{within}-{_plain(indicator.max)})"
        sheet.cell(row=row, column=COL[name], value=f"=ROUND({formula},2)")
    if capped:
        explained = "; ".join(
            f"indikator {i.code} dibatasi pada nilai maksimumnya {_plain(i.max)}" for i in capped
        )
        set_text(sheet.cell(row=row, column=COL["Pertanyaan"]), f"Jumlah bagian ({explained}).")
    for column in range(1, len(REKAP_COLUMNS) + 1):
        cell = sheet.cell(row=row, column=column)
        cell.font = HEADER_FONT
        cell.fill = TOTAL_FILL
        cell.alignment = WRAP_TOP


def _format_part_sheet(sheet, first: int, last: int, subtotal: int) -> None:
    for name, width in WIDTHS.items():
        sheet.column_dimensions[get_column_letter(COL[name])].width = width
    for name in REKAP_COLUMNS:
        column = COL[name]
        alignment = WRAP_TOP if name in WRAPPED else TOP
        for row in range(first, subtotal + 1):
            cell = sheet.cell(row=row, column=column)
            if row <= last:
                cell.alignment = alignment
            if name in NUMBERS:
                cell.number_format = POINTS_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(REKAP_COLUMNS))}{last}"
    print_setup(sheet, "1:1")


def _summary(sheet, catalogue, regency, province, cycle, assessment, stage, blocks, now) -> None:
    info = catalogue.data.instrument
    sheet["A1"] = f"{info.title} · {regency.name}"
    sheet["A1"].font = Font(bold=True, size=14)
    facts = [
        ("Kabupaten/Kota", f"{regency.name} ({regency.code})"),
        ("Provinsi", f"{province.name} ({province.code})" if province else regency.province_code),
        ("Tahun", cycle.year),
        ("Versi instrumen", f"{cycle.instrument_code} {cycle.instrument_version}"),
        ("Tahap", STAGE_LABELS.get(assessment.stage, assessment.stage)),
        ("Nilai Verifikasi dari", VERIFIED_LABELS[stage]),
        ("Diekspor", wib(now)),
    ]
    row = 3
    for label, value in facts:
        sheet.cell(row=row, column=1, value=label).font = HEADER_FONT
        set_text(sheet.cell(row=row, column=2), str(value))
        row += 1
    row += 1
    header_row = row
    for column, label in enumerate(("Kode", "Bagian", "Nilai Maks", "Nilai EM", "Nilai Verifikasi"), start=1):
        sheet.cell(row=header_row, column=column, value=label)
    style_header(sheet, header_row, 5)
    names = {p.code: p.name for p in catalogue.data.parts}
    first = header_row + 1
    for offset, block in enumerate(blocks):
        r = first + offset
        sheet.cell(row=r, column=1, value=block.code)
        set_text(sheet.cell(row=r, column=2), names[block.code])
        for column, name in ((3, "Nilai Maks"), (4, "Nilai EM"), (5, "Nilai Verifikasi")):
            letter = get_column_letter(COL[name])
            sheet.cell(row=r, column=column, value=f"={quoted(block.title)}!{letter}{block.subtotal_row}")
    last = first + len(blocks) - 1
    total_row = last + 1
    category_row = total_row + 1
    sheet.cell(row=total_row, column=2, value="Total")
    sheet.cell(row=category_row, column=2, value="Kategori")
    for column in (3, 4, 5):
        letter = get_column_letter(column)
        sheet.cell(row=total_row, column=column, value=f"=ROUND(SUM({letter}{first}:{letter}{last}),2)")
    for column in (4, 5):
        letter = get_column_letter(column)
        sheet.cell(row=category_row, column=column, value=category_formula(catalogue, f"{letter}{total_row}"))
    for r in (total_row, category_row):
        for column in range(1, 6):
            cell = sheet.cell(row=r, column=column)
            cell.font = HEADER_FONT
            cell.fill = TOTAL_FILL
    for r in range(first, total_row + 1):
        for column in (3, 4, 5):
            sheet.cell(row=r, column=column).number_format = POINTS_FORMAT
    for r in range(first, last + 1):
        sheet.cell(row=r, column=2).alignment = WRAP_TOP

    # The bands the category formula encodes, so that the ministry can check it by eye.
    row = category_row + 2
    sheet.cell(row=row, column=1, value="Batas kategori").font = HEADER_FONT
    row += 1
    for band in catalogue.bands:
        low = ("≥ " if band.includes_min else "> ") + _plain(band.min)
        high = ("≤ " if band.includes_max else "< ") + _plain(band.max)
        set_text(sheet.cell(row=row, column=2), band.name)
        sheet.cell(row=row, column=3, value=f"{low} dan {high}")
        row += 1
    gates = [g for g in catalogue.data.gates if g.active]
    note = ("Nilai dan kategori di atas adalah rumus atas sheet per bagian: ubah nilai di sheet bagian dan "
            "ringkasan ikut berubah.")
    if gates:
        note += " Aturan gerbang kategori yang aktif tidak termasuk dalam rumus kategori."
    row += 1
    set_text(sheet.cell(row=row, column=1), note)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 60
    for letter in ("C", "D", "E"):
        sheet.column_dimensions[letter].width = 16
    print_setup(sheet, f"{header_row}:{header_row}")


def _data_sheet(workbook, catalogue, regency, cycle, rows, now) -> None:
    sheet = workbook.create_sheet(DATA_SHEET)
    sheet.sheet_state = "veryHidden"
    info = catalogue.data.instrument
    sheet.append([FORMAT_TAG, FORMAT_VERSION, regency.code, cycle.year, info.code, info.version,
                  now.astimezone(UTC).isoformat()])
    sheet.append(list(DATA_COLUMNS))
    for values in rows:
        sheet.append(values)
        note_cell = sheet.cell(row=sheet.max_row, column=len(DATA_COLUMNS))
        if isinstance(note_cell.value, str) and note_cell.value.startswith("="):
            note_cell.data_type = "s"


def _plain(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
