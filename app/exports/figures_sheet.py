"""The sheet "Data dua tahun" of the kab/kota rekap: per data question (`figures:` in the instrument) the
figures of the evaluated years, the percentage of a share, and the trend. Written from the stored
`Figure` rows through `app.services.figures` (the same computation as the card). The importer does
not read it back: figures are entered on the question card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session
from xlsxwriter.worksheet import Worksheet

from app.exports.common import (
    TOP,
    WRAP_TOP,
    Book,
    print_setup,
    row_height,
    set_widths,
    write_header,
    write_number,
    write_text,
)
from app.services import figures as figures_service
from indicators import Catalogue, Measure
from scoring.figures import Trend, YearRow, evaluated_years

FIGURES_SHEET = "Data dua tahun"
TREND_WORDS = {Trend.UP: "naik", Trend.DOWN: "turun", Trend.FLAT: "tetap"}
MEASURE_WORDS = {Measure.SHARE: "persentase", Measure.COUNT: "jumlah"}
PERCENT = {"num_format": "0.00"}
WHOLE = {"num_format": "#,##0"}
WRAPPED = (1, 2, 3, 4, 5)  # the question, measure, unit and labels wrap in their columns


def write_figures_sheet(book: Book, session: Session, catalogue: Catalogue, cycle_year: int,
                        answers: Mapping[str, Any]) -> None:
    """One row per data question of the catalogue, answered or not (blank figures where none are stored);
    `answers`: the assessment's answers (rows or `Answer`s) by question code."""
    years = evaluated_years(cycle_year)
    columns = ["Kode Pertanyaan", "Pertanyaan", "Ukuran", "Satuan", "Yang dihitung", "Penyebut"]
    for year in years:
        columns += [f"Pembilang {year}", f"Penyebut {year}", f"Persen {year}"]
    columns.append("Tren")
    widths = [11, 46, 11, 11, 24, 20] + [11, 11, 9] * len(years) + [8]
    sheet = book.sheet(FIGURES_SHEET)
    write_header(book, sheet, 0, columns, widths)
    set_widths(sheet, widths)
    stored = figures_service.figures_by_answer(
        session, [a.id for a in answers.values() if a.id is not None])
    row = 0
    for ref in catalogue.iter_questions():
        question = ref.question
        if question.figures is None:
            continue
        row += 1
        answer = answers.get(question.code)
        entered = stored.get(answer.id, {}) if answer is not None and answer.id is not None else {}
        summary = figures_service.summary_of(catalogue, question.code, cycle_year, entered)
        figures = question.figures
        texts = (question.code, question.text, MEASURE_WORDS[figures.measure], figures.unit, figures.numerator,
                 figures.denominator)
        for column, text in enumerate(texts):
            write_text(book, sheet, row, column, text, WRAP_TOP if column in WRAPPED else TOP)
        sheet.set_row(row, row_height((texts[column], widths[column]) for column in WRAPPED))
        by_year = {r.year: r for r in summary.rows} if summary else {}
        for index, year in enumerate(years):
            _year_cells(book, sheet, row, 6 + 3 * index, by_year.get(year))
        trend = summary.trend if summary else None
        write_text(book, sheet, row, 6 + 3 * len(years), TREND_WORDS[trend] if trend else "", TOP)
    sheet.freeze_panes(1, 1)
    print_setup(sheet, 0)


def _year_cells(book: Book, sheet: Worksheet, row: int, column: int, year_row: YearRow | None) -> None:
    figure = year_row.figure if year_row is not None else None
    percent = year_row.percent if year_row is not None else None
    numerator = None if figure is None else float(figure.numerator)
    denominator = None if figure is None or figure.denominator is None else float(figure.denominator)
    write_number(book, sheet, row, column, numerator, TOP, WHOLE)
    write_number(book, sheet, row, column + 1, denominator, TOP, WHOLE)
    write_number(book, sheet, row, column + 2, None if percent is None else float(percent), TOP, PERCENT)
