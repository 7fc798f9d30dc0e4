"""One province's kab/kota side by side, with the Provinsi Layak Anak (Provila) status.

Scores show once a kab/kota has submitted its assessment, as on the province page: before
that its answers are its own, and its row shows the stage and the share answered only.
The EM total, the drop and both categories are formulas over the row's own cells.
"""

from __future__ import annotations

from datetime import UTC, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from app.exports.common import (
    HEADER_FONT,
    POINTS_FORMAT,
    STAGE_LABELS,
    TOTAL_FILL,
    category_formula,
    points,
    print_setup,
    set_text,
    style_header,
    wib,
    workbook_bytes,
)
from app.models import Province
from app.services.overview import region_rows, scores_shown, verified_categories
from indicators import Catalogue
from scoring import Scorer, provila_status
from scoring.provila import MINIMUM_CATEGORY

SHEET_TITLE = "Rekap Provinsi"
FIXED_COLUMNS = (
    "Kode",
    "Kabupaten/Kota",
    "Tahap",
    "Nilai EM",
    "Verifikasi DP3A",
    "Verifikasi Provinsi",
    "Selisih (EM − Verifikasi Provinsi)",
    "Kategori EM",
    "Kategori Verifikasi",
    "Terjawab",
)
HEADER_ROW = 8


def build_province_workbook(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    province_code: str,
    year: int,
    *,
    now: datetime | None = None,
) -> Workbook:
    now = now or datetime.now(UTC)
    province = session.get(Province, province_code)
    rows = region_rows(session, scorer, year, province_code)
    provila = provila_status(
        catalogue, verified_categories(rows)
    )
    names = {r.regency.code: r.regency.name for r in rows}
    parts = catalogue.data.parts
    columns = [*FIXED_COLUMNS, *(f"{p.short_name} (EM)" for p in parts)]
    col = {name: index + 1 for index, name in enumerate(columns)}
    first_part = len(FIXED_COLUMNS) + 1
    last_part = len(columns)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    name = province.name if province else province_code
    sheet["A1"] = f"Rekap KLA {year} · Provinsi {name} ({province_code})"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"Diekspor: {wib(now)}"
    sheet["A3"] = "Provila (aplikasi)"
    sheet["A3"].font = HEADER_FONT
    sheet["C3"] = "Memenuhi" if provila.qualifies else "Belum memenuhi"
    sheet["A4"] = "Tertahan oleh"
    sheet["A4"].font = HEADER_FONT
    set_text(sheet["C4"], ", ".join(f"{names[c]} ({c})" for c in provila.holding_back) or "–")
    sheet["A6"] = ("Nilai tampil setelah kab/kota mengirim penilaiannya ke provinsi; sebelumnya hanya tahap dan "
                   "persentase pertanyaan terjawab. Provila: setiap kab/kota minimal Pratama (terverifikasi provinsi).")

    for index, label in enumerate(columns, start=1):
        sheet.cell(row=HEADER_ROW, column=index, value=label)
    style_header(sheet, HEADER_ROW, len(columns))
    sheet.row_dimensions[HEADER_ROW].height = 45
    total_questions = len(catalogue.questions)
    r = HEADER_ROW
    for region in rows:
        r += 1
        scores = region.scores
        sheet.cell(row=r, column=col["Kode"], value=region.regency.code)
        set_text(sheet.cell(row=r, column=col["Kabupaten/Kota"]), region.regency.name)
        stage = STAGE_LABELS.get(scores.stage, scores.stage) if scores else "Tidak ikut serta"
        sheet.cell(row=r, column=col["Tahap"], value=stage)
        if scores is not None:
            cell = sheet.cell(row=r, column=col["Terjawab"], value=scores.answered / total_questions)
            cell.number_format = "0.0%"
        if not scores_shown(region):
            continue
        for offset, part in enumerate(parts):
            cell = sheet.cell(row=r, column=first_part + offset, value=points(scores.parts["self"][part.code]))
            cell.number_format = POINTS_FORMAT
        span = f"{get_column_letter(first_part)}{r}:{get_column_letter(last_part)}{r}"
        em, prov = (f"{get_column_letter(col[c])}{r}" for c in ("Nilai EM", "Verifikasi Provinsi"))
        sheet.cell(row=r, column=col["Nilai EM"], value=f"=ROUND(SUM({span}),2)")
        sheet.cell(row=r, column=col["Verifikasi DP3A"], value=points(scores.totals["dp3a"]))
        sheet.cell(row=r, column=col["Verifikasi Provinsi"], value=points(scores.totals["province"]))
        sheet.cell(row=r, column=col["Selisih (EM − Verifikasi Provinsi)"], value=f"=ROUND({em}-{prov},2)")
        sheet.cell(row=r, column=col["Kategori EM"], value=category_formula(catalogue, em))
        sheet.cell(row=r, column=col["Kategori Verifikasi"], value=category_formula(catalogue, prov))
        for name in ("Nilai EM", "Verifikasi DP3A", "Verifikasi Provinsi", "Selisih (EM − Verifikasi Provinsi)"):
            sheet.cell(row=r, column=col[name]).number_format = POINTS_FORMAT
    first, last = HEADER_ROW + 1, max(r, HEADER_ROW + 1)

    # Averages over the kab/kota that show scores, and the Provila status recomputed by formula.
    average_row = last + 2
    sheet.cell(row=average_row, column=col["Kabupaten/Kota"], value="Rata-rata (kab/kota yang sudah mengirim)")
    for name in ("Nilai EM", "Verifikasi DP3A", "Verifikasi Provinsi", "Selisih (EM − Verifikasi Provinsi)",
                 *columns[first_part - 1:]):
        letter = get_column_letter(col[name])
        cell = sheet.cell(row=average_row, column=col[name],
                          value=f'=IFERROR(ROUND(AVERAGE({letter}{first}:{letter}{last}),2),"")')
        cell.number_format = POINTS_FORMAT
    for column in range(1, len(columns) + 1):
        sheet.cell(row=average_row, column=column).font = HEADER_FONT
        sheet.cell(row=average_row, column=column).fill = TOTAL_FILL
    verified_letter = get_column_letter(col["Kategori Verifikasi"])
    verified_span = f"{verified_letter}{first}:{verified_letter}{last}"
    qualifying = _qualifying_bands(catalogue)
    counted = "+".join(f'COUNTIF({verified_span},"{band}")' for band in qualifying) or "0"
    n_regions = len(rows)
    sheet["A5"] = "Provila (rumus)"
    sheet["A5"].font = HEADER_FONT
    sheet["C5"] = f'=IF(AND({n_regions}>0,{counted}={n_regions}),"Memenuhi","Belum memenuhi")'

    widths = {"Kode": 9, "Kabupaten/Kota": 30, "Tahap": 22, "Terjawab": 10, "Kategori EM": 16,
              "Kategori Verifikasi": 16}
    for name, index in col.items():
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 13)
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{last}"
    print_setup(sheet, f"{HEADER_ROW}:{HEADER_ROW}")
    return workbook


def province_workbook_bytes(session, catalogue, scorer, province_code, year, *, now=None) -> bytes:
    return workbook_bytes(build_province_workbook(session, catalogue, scorer, province_code, year, now=now))


def _qualifying_bands(catalogue: Catalogue) -> list[str]:
    """Names of the bands at or above the Provila minimum (Pratama)."""
    codes = [b.code for b in catalogue.bands]
    floor = codes.index(MINIMUM_CATEGORY)
    return [b.name for b in catalogue.bands[floor:]]
