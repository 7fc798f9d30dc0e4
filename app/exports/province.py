"""One province's kab/kota side by side, with the Provinsi Layak Anak (Provila) status.

Scores show once a kab/kota has submitted its assessment, as on the province page: before
that its answers are its own, and its row shows the stage and the share answered only.
The EM total, the difference and both categories are formulas over the row's own cells, each
written with its value. "Selisih" is the province's verified total minus the EM total: negative
when points were lost, as the app's "Penurunan" column shows it ("−12,50").
Printed A4 landscape one page wide and as many pages down as the kab/kota need, with the
header row repeated, so that the numbers stay legible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session
from xlsxwriter.utility import xl_col_to_name

from app.clock import local_time
from app.exports.common import (
    POINTS,
    TITLE,
    TOP,
    TOTAL,
    WRAP_TOP,
    Book,
    category_formula,
    category_value,
    fill_row,
    points,
    print_setup,
    row_height,
    set_widths,
    stage_text,
    write_formula,
    write_header,
    write_number,
    write_text,
)
from app.exports.stages import STILL_VERIFYING, still_verifying_formula, write_stage_sheet
from app.models import Province
from app.services.overview import (
    provila_categories,
    region_rows,
    scores_shown,
    without_awards,
)
from indicators import Catalogue
from scoring import Scorer, Stage, provila_status
from scoring.provila import MINIMUM_CATEGORY

SHEET_TITLE = "Rekap Provinsi"
DIFFERENCE = "Selisih (Verifikasi Provinsi − EM)"
# The province's undecided answers: while there are any, its total is "verified so far" and has no
# category (the pages' rule, `app.services.stage_scores`); the category formula reads this cell.
UNDECIDED = "Belum Diputuskan Provinsi (soal)"
FIXED_COLUMNS = (
    "Kode",
    "Kabupaten/Kota",
    "Tahap",
    "Nilai EM",
    "Verifikasi DP3A",
    "Verifikasi Provinsi",
    DIFFERENCE,
    "Kategori EM",
    "Kategori Verifikasi",
    "Terjawab",
    UNDECIDED,
)
HEADER_ROW = 8  # 1-based, as in the formulas
WIDTHS = {"Kode": 7, "Kabupaten/Kota": 22, "Tahap": 14, "Terjawab": 9, "Kategori EM": 12,
          "Kategori Verifikasi": 12, UNDECIDED: 11}
NUMBER_WIDTH = 10


def build_province_workbook(
    session: Session,
    catalogue: Catalogue,
    scorer: Scorer,
    province_code: str,
    year: int,
    *,
    now: datetime | None = None,
    show_awards: bool = True,
) -> bytes:
    """The province workbook as .xlsx bytes. `show_awards`: the reader may see the awards the ministry
    has fixed (`pipeline.sees_fixed_awards`); before the list is published they are its draft."""
    now = now or datetime.now(UTC)
    province = session.get(Province, province_code)
    rows = region_rows(session, scorer, year, province_code)
    if not show_awards:
        rows = without_awards(rows)
    provila = provila_status(catalogue, provila_categories(session, rows, year))
    names = {r.regency.code: r.regency.name for r in rows}
    parts = catalogue.data.parts
    columns = [*FIXED_COLUMNS, *(f"{p.short_name} (EM)" for p in parts)]
    col = {name: index for index, name in enumerate(columns)}  # 0-based
    first_part = len(FIXED_COLUMNS)
    last_part = len(columns) - 1
    letter = {name: xl_col_to_name(index) for name, index in col.items()}

    book = Book()
    sheet = book.sheet(SHEET_TITLE)
    name = province.name if province else province_code
    write_text(book, sheet, 0, 0, f"Rekap KLA {year} · Provinsi {name} ({province_code})", TITLE)
    write_text(book, sheet, 1, 0, f"Diekspor: {local_time(now)}")
    write_text(book, sheet, 2, 0, "Provila (aplikasi)", {"bold": True})
    write_text(book, sheet, 2, 2, "Memenuhi" if provila.qualifies else "Belum memenuhi")
    write_text(book, sheet, 3, 0, "Tertahan oleh", {"bold": True, "valign": "top"})
    held = ", ".join(f"{names[c]} ({c})" for c in provila.holding_back) or "–"
    sheet.merge_range(3, 2, 3, last_part, "", book.fmt(WRAP_TOP))
    write_text(book, sheet, 3, 2, held, WRAP_TOP)
    sheet.set_row(3, row_height([(held, 150)]))
    explanation = ("Nilai tampil setelah kab/kota mengirim penilaiannya ke provinsi; sebelumnya hanya tahap dan "
                   "persentase pertanyaan terjawab. Kategori Verifikasi berisi \"masih diverifikasi\" selama provinsi "
                   "belum memutuskan semua jawaban. Selisih: Verifikasi Provinsi dikurangi Nilai EM (negatif bila "
                   "nilai turun, seperti kolom Penurunan di aplikasi). Provila: setiap kab/kota minimal Pratama "
                   "(terverifikasi provinsi).")
    sheet.merge_range(5, 0, 5, last_part, "", book.fmt(WRAP_TOP))
    write_text(book, sheet, 5, 0, explanation, WRAP_TOP)
    sheet.set_row(5, row_height([(explanation, 170)]))

    header = HEADER_ROW - 1
    widths = [WIDTHS.get(label, NUMBER_WIDTH) for label in columns]
    write_header(book, sheet, header, columns, widths)
    total_questions = len(catalogue.questions)
    r = header
    categories: list[str] = []
    sums: dict[str, list[int]] = {name: [] for name in columns}
    for region in rows:
        r += 1
        scores = region.scores
        write_text(book, sheet, r, col["Kode"], region.regency.code, TOP)
        write_text(book, sheet, r, col["Kabupaten/Kota"], region.regency.name, WRAP_TOP)
        stage = stage_text(scores.stage) if scores else "Tidak ikut serta"
        write_text(book, sheet, r, col["Tahap"], stage, WRAP_TOP)
        sheet.set_row(r, row_height([(region.regency.name, WIDTHS["Kabupaten/Kota"]), (stage, WIDTHS["Tahap"])]))
        if scores is not None:
            write_number(book, sheet, r, col["Terjawab"], scores.answered / total_questions, TOP,
                         {"num_format": "0.0%"})
        if scores is None or not scores_shown(region):
            continue
        for offset, part in enumerate(parts):
            value = scores.parts[Stage.SELF][part.code]
            write_number(book, sheet, r, first_part + offset, points(value), TOP, POINTS)
            sums[columns[first_part + offset]].append(value)
        em_cents = sum(scores.parts[Stage.SELF][part.code] for part in parts)
        prov_cents = scores.totals[Stage.PROVINCE]
        values = {"Nilai EM": em_cents, "Verifikasi DP3A": scores.totals[Stage.DP3A],
                  "Verifikasi Provinsi": prov_cents, DIFFERENCE: prov_cents - em_cents}
        for key, value in values.items():
            sums[key].append(value)
        row1 = r + 1
        span = f"{xl_col_to_name(first_part)}{row1}:{xl_col_to_name(last_part)}{row1}"
        em, prov = f"{letter['Nilai EM']}{row1}", f"{letter['Verifikasi Provinsi']}{row1}"
        write_formula(book, sheet, r, col["Nilai EM"], f"=ROUND(SUM({span}),2)", points(em_cents), TOP, POINTS)
        write_number(book, sheet, r, col["Verifikasi DP3A"], points(scores.totals[Stage.DP3A]), TOP, POINTS)
        write_number(book, sheet, r, col["Verifikasi Provinsi"], points(prov_cents), TOP, POINTS)
        write_formula(book, sheet, r, col[DIFFERENCE], f"=ROUND({prov}-{em},2)", points(prov_cents - em_cents),
                      TOP, POINTS)
        undecided = scores.stages[Stage.PROVINCE].undecided
        write_number(book, sheet, r, col[UNDECIDED], undecided, TOP)
        em_category = category_value(catalogue, em_cents)
        verified_category = category_value(catalogue, prov_cents) if not undecided else STILL_VERIFYING
        write_formula(book, sheet, r, col["Kategori EM"], category_formula(catalogue, em), em_category, WRAP_TOP)
        categories.append(verified_category)
        write_formula(book, sheet, r, col["Kategori Verifikasi"],
                      still_verifying_formula(category_formula(catalogue, prov), f"{letter[UNDECIDED]}{row1}"),
                      verified_category, WRAP_TOP)
        sheet.set_row(r, row_height([(region.regency.name, WIDTHS["Kabupaten/Kota"]), (stage, WIDTHS["Tahap"]),
                                     (em_category, WIDTHS["Kategori EM"]),
                                     (verified_category, WIDTHS["Kategori Verifikasi"])]))
    first, last = HEADER_ROW + 1, max(r + 1, HEADER_ROW + 1)  # 1-based

    # Averages over the kab/kota that show scores, and the Provila status recomputed by formula.
    average_row = last + 1  # 0-based: one empty row between
    fill_row(book, sheet, average_row, len(columns), TOTAL)
    label = "Rata-rata (kab/kota yang sudah mengirim)"
    write_text(book, sheet, average_row, col["Kabupaten/Kota"], label, TOTAL)
    sheet.set_row(average_row, row_height([(label, WIDTHS["Kabupaten/Kota"])]))
    for key in ("Nilai EM", "Verifikasi DP3A", "Verifikasi Provinsi", DIFFERENCE, *columns[first_part:]):
        column = letter[key]
        average = _average(sums[key])
        write_formula(book, sheet, average_row, col[key],
                      f'=IFERROR(ROUND(AVERAGE({column}{first}:{column}{last}),2),"")', points(average),
                      TOTAL, POINTS)
    verified_span = f"{letter['Kategori Verifikasi']}{first}:{letter['Kategori Verifikasi']}{last}"
    qualifying = _qualifying_bands(catalogue)
    counted = "+".join(f'COUNTIF({verified_span},"{band}")' for band in qualifying) or "0"
    n_regions = len(rows)
    meets = n_regions > 0 and sum(c in qualifying for c in categories) == n_regions
    write_text(book, sheet, 4, 0, "Provila (rumus)", {"bold": True})
    write_formula(book, sheet, 4, 2, f'=IF(AND({n_regions}>0,{counted}={n_regions}),"Memenuhi","Belum memenuhi")',
                  "Memenuhi" if meets else "Belum memenuhi")

    set_widths(sheet, widths)
    sheet.freeze_panes(HEADER_ROW, 2)
    sheet.autofilter(header, 0, last - 1, len(columns) - 1)
    print_setup(sheet, header)
    write_stage_sheet(book, catalogue, rows)
    return book.close()


province_workbook_bytes = build_province_workbook  # the name app/cli.py imports


def _average(values: list[int]) -> int | None:
    """AVERAGE then ROUND(…, 2) as a spreadsheet computes them (halves away from zero), in cents."""
    if not values:
        return None
    return int((Decimal(sum(values)) / len(values)).quantize(Decimal(1), ROUND_HALF_UP))


def _qualifying_bands(catalogue: Catalogue) -> list[str]:
    """Names of the bands at or above the Provila minimum (Pratama)."""
    codes = [b.code for b in catalogue.bands]
    floor = codes.index(MINIMUM_CATEGORY)
    return [b.name for b in catalogue.bands[floor:]]
