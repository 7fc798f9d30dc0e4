"""The calibration report as a workbook: our estimate against the official Nilai EM per part, per
answer scale and option, and per question where they differ (`scoring.calibration`). Indonesian,
like the other workbooks: they are the kab/kota's documents whatever the UI language."""

from __future__ import annotations

import io
from fractions import Fraction

import xlsxwriter

from app.exports.common import HEADER, POINTS, TITLE
from indicators import Catalogue, OptionsScale
from scoring import from_cents
from scoring.calibration import NOT_APPLICABLE, UNANSWERED, VALUE, Comparison

_KEYS = {VALUE: "nilai diketik", NOT_APPLICABLE: "tidak berlaku", UNANSWERED: "tidak dijawab"}


def _points(cents: Fraction | int) -> float:
    return float(Fraction(cents) / 100)


def _option(catalogue: Catalogue, scale_code: str, key: str) -> str:
    if key in _KEYS:
        return _KEYS[key]
    scale = catalogue.scales[scale_code]
    if isinstance(scale, OptionsScale):
        return next((o.label for o in scale.options if o.code == key), key)
    return key


def calibration_workbook(catalogue: Catalogue, result: Comparison, regency_name: str, year: int) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    title, header, points = book.add_format(TITLE), book.add_format(HEADER), book.add_format(POINTS)
    share = book.add_format({"num_format": "0.0%"})

    parts = book.add_worksheet("Per bagian")
    parts.write(0, 0, f"Kalibrasi: nilai kita dan Nilai EM aplikasi kementerian · {regency_name} · {year}", title)
    parts.write(1, 0, f"Dibandingkan {result.total.compared} dari {result.total.questions} pertanyaan; "
                      "selisih = nilai kita dikurangi Nilai EM")
    parts.write_row(3, 0, ("Bagian", "Dibandingkan", "Pertanyaan", "Nilai kita", "Nilai EM", "Selisih"), header)
    for row, part in enumerate(catalogue.data.parts, start=4):
        s = result.parts[part.code]
        parts.write_row(row, 0, (f"{part.code} · {part.short_name}", s.compared, s.questions))
        for column, cents in enumerate((s.ours, s.official, s.difference), start=3):
            parts.write_number(row, column, _points(cents), points)
    last = 4 + len(catalogue.data.parts)
    parts.write_row(last, 0, ("Total", result.total.compared, result.total.questions))
    for column, cents in enumerate((result.total.ours, result.total.official, result.total.difference), start=3):
        parts.write_number(last, column, _points(cents), points)
    parts.set_column(0, 0, 36)
    parts.set_column(1, 5, 13)

    scales = book.add_worksheet("Per skala")
    scales.write_row(0, 0, ("Skala", "Jawaban", "Pertanyaan", "Berbeda", "Rata-rata selisih",
                            "Rata-rata selisih mutlak", "Total selisih", "Bagian maks. (kita)",
                            "Bagian maks. (Nilai EM)"), header)
    row = 1
    for scale_row in result.scales:
        for answer, spread in [("(semua)", scale_row.spread), *((a.answer, a.spread) for a in scale_row.answers)]:
            label = answer if answer == "(semua)" else _option(catalogue, scale_row.scale, answer)
            scales.write_row(row, 0, (scale_row.scale, label, spread.count, spread.differing))
            scales.write_number(row, 4, _points(spread.mean_difference), points)
            scales.write_number(row, 5, _points(spread.mean_absolute), points)
            scales.write_number(row, 6, _points(spread.total_difference), points)
            for column, value in ((7, spread.ours_share), (8, spread.official_share)):
                if value is not None:
                    scales.write_number(row, column, float(value), share)
            row += 1
    scales.set_column(0, 1, 28)
    scales.set_column(2, 8, 14)

    questions = book.add_worksheet("Per pertanyaan")
    questions.write_row(0, 0, ("Kode Pertanyaan", "Indikator", "Skala", "Jawaban", "Nilai kita", "Nilai EM",
                               "Selisih"), header)
    for row, q in enumerate(result.questions, start=1):
        questions.write_row(row, 0, (q.code, q.indicator, q.scale, _option(catalogue, q.scale, q.answer)))
        for column, cents in enumerate((q.ours, q.official or 0, q.difference), start=4):
            questions.write_number(row, column, float(from_cents(cents)), points)
    questions.set_column(0, 3, 18)
    questions.set_column(4, 6, 12)
    book.close()
    return buffer.getvalue()
