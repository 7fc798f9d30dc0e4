"""Workbooks people read and print (issue 20, items 17-19): every formula carries the value the app
computed, so a viewer that does not recalculate shows the numbers; LibreOffice recomputes each one to
the same value; the rekap prints without overprinting, with its header on every page; the province
sheet prints legibly and its "Selisih" has the sign of the app's "Penurunan"; the national workbook
has a summary per kab/kota, the question text and the not-applicable answers marked."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.exports.common import SUMMARY_SHEET, part_sheet_titles
from app.exports.national import COLUMNS as NATIONAL_COLUMNS
from app.exports.national import NOT_APPLICABLE, SUMMARY_COLUMNS, UNANSWERED
from app.services.overview import clear_cache
from scoring import category_for, to_cents
from tests.web.test_exports import (
    SOFFICE,
    _category,
    _fill,
    _scores,
    _user,
    national_workbook,
    recalculating_profile,
)

needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: "
                                                          "apt-get install -y libreoffice-calc-nogui")

def _submitted(db, world, scorer):
    """Kab/kota A and B answered at random, decided by the DP3A and the province, and submitted."""
    answers = {}
    for key, seed, who in (("a", 5, "dp3a_a"), ("b", 6, "dp3a_b")):
        answers[key] = _fill(db, world.assessments[key], scorer, seed, _user(db, who))
        world.assessments[key].stage = "province"
        db.add(world.assessments[key])
    db.commit()
    clear_cache()
    return answers


def _download(client, auth, world, app, catalogue) -> dict[str, bytes]:
    token = auth.login(client, "admin")
    urls = {"rekap": f"{world.base()}/ekspor.xlsx", "provinsi": f"/provinsi/62/{world.year}/ekspor.xlsx"}
    files = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        files[name] = response.content
    national = national_workbook(client, token, world.year, app, catalogue)  # issue 24: by the job runner
    assert national.status_code == 200
    files["nasional"] = national.content
    return files


def _formula_cells(data: bytes):
    """(sheet, coordinate) of every formula cell, and the cached values as a non-recalculating reader sees them."""
    formulas = load_workbook(io.BytesIO(data))
    cached = load_workbook(io.BytesIO(data), data_only=True)
    cells = [(sheet.title, cell.coordinate) for sheet in formulas.worksheets for row in sheet.iter_rows()
             for cell in row if cell.data_type == "f"]
    return cells, cached


def _row_by_label(sheet, column: int, label: str) -> int:
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(row=r, column=column).value == label)


def _check_totals(files: dict[str, bytes], db, world, scorer, catalogue, answers, *, read) -> None:
    """The totals and categories each workbook shows (as `read` opens it) are the app's."""
    scores = {key: _scores(db, scorer, world.assessments[key]) for key in ("a", "b")}

    rekap = read(files["rekap"])
    summary = rekap[SUMMARY_SHEET]
    total, category = _row_by_label(summary, 2, "Total"), _row_by_label(summary, 2, "Kategori")
    own, verified = scores["a"].self_assessed, scores["a"].by_stage["province"]
    assert to_cents(summary.cell(row=total, column=3).value) == to_cents(catalogue.max_total)
    assert to_cents(summary.cell(row=total, column=4).value) == own.total
    assert to_cents(summary.cell(row=total, column=5).value) == verified.total
    assert summary.cell(row=category, column=4).value == category_for(scorer, own).name
    assert summary.cell(row=category, column=5).value == _category(scorer, scores["a"], "province")
    titles = part_sheet_titles(catalogue)
    for part in catalogue.data.parts:
        sheet = rekap[titles[part.code]]
        subtotal = _row_by_label(sheet, 1, f"Jumlah {part.short_name}")
        assert to_cents(sheet.cell(row=subtotal, column=6).value) == to_cents(part.max), part.code
        assert to_cents(sheet.cell(row=subtotal, column=7).value) == own.parts[part.code], part.code
        assert to_cents(sheet.cell(row=subtotal, column=8).value) == verified.parts[part.code], part.code

    province = read(files["provinsi"])["Rekap Provinsi"]
    for key, code in (("a", "62.71"), ("b", "62.01")):
        row = _row_by_label(province, 1, code)
        em, checked = scores[key].self_assessed, scores[key].by_stage["province"]
        assert to_cents(province.cell(row=row, column=4).value) == em.total
        assert to_cents(province.cell(row=row, column=6).value) == checked.total
        # "Selisih" = verified − EM: negative on a drop, as the app's "Penurunan" shows it ("−12,50").
        assert to_cents(province.cell(row=row, column=7).value) == checked.total - em.total
        assert province.cell(row=row, column=8).value == category_for(scorer, em).name
        assert province.cell(row=row, column=9).value == _category(scorer, scores[key], "province")
    assert province["C5"].value == province["C3"].value  # the Provila status: formula and app agree

    national = read(files["nasional"])
    rows = list(national["Ringkasan"].iter_rows(values_only=True))
    assert rows[0] == SUMMARY_COLUMNS
    by_code = {row[1]: row for row in rows[1:]}
    assert set(by_code) == {"62.71", "62.01"}  # the submitted kab/kota
    for key, code in (("a", "62.71"), ("b", "62.01")):
        row = by_code[code]
        em, checked = scores[key].self_assessed, scores[key].by_stage["province"]
        assert (to_cents(row[4]), row[5]) == (em.total, category_for(scorer, em).name)
        assert (to_cents(row[6]), row[7]) == (checked.total, _category(scorer, scores[key], "province"))
        not_applicable = sum(a.not_applicable for a in answers[key].values())
        assert row[9] == not_applicable > 0
        assert row[10] == len(catalogue.questions) - len(answers[key])


def test_every_formula_carries_its_value_for_viewers_that_do_not_recalculate(client, world, auth, db,
                                                                               catalogue, scorer, app):
    answers = _submitted(db, world, scorer)
    files = _download(client, auth, world, app, catalogue)
    for name in ("rekap", "provinsi"):
        cells, cached = _formula_cells(files[name])
        assert len(cells) >= 20, name
        blank = [(title, ref) for title, ref in cells if cached[title][ref].value in (None, "")]
        assert not blank, (name, blank[:5])
    _check_totals(files, db, world, scorer, catalogue, answers,
                  read=lambda data: load_workbook(io.BytesIO(data), data_only=True))

    # The national table: question text, and "tidak berlaku" where the kab/kota said so.
    sheet = load_workbook(io.BytesIO(files["nasional"]), read_only=True)["Nasional"]
    rows = [tuple(r) + (None,) * (len(NATIONAL_COLUMNS) - len(r)) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == NATIONAL_COLUMNS
    for row in rows[1:]:
        key = {"62.71": "a", "62.01": "b"}[row[1]]
        answer = answers[key].get(row[5])
        assert row[6] == catalogue.questions[row[5]].question.text
        expected = UNANSWERED if answer is None else (NOT_APPLICABLE if answer.not_applicable else None)
        assert row[10] == expected, row[:6]


@needs_soffice
def test_every_workbook_after_a_libreoffice_round_trip(client, world, auth, db, catalogue, scorer, tmp_path, app):
    from tests.web.test_exports import _soffice

    answers = _submitted(db, world, scorer)
    files = _download(client, auth, world, app, catalogue)
    source, out = tmp_path / "app", tmp_path / "lo"
    source.mkdir()
    for name, data in files.items():
        (source / f"{name}.xlsx").write_bytes(data)
    # A deliberately wrong cached value shows that LibreOffice recomputes rather than keeps the cache.
    import xlsxwriter

    probe = xlsxwriter.Workbook(str(source / "probe.xlsx"))
    probe.add_worksheet().write_formula(0, 0, "=1+1", None, 5)
    probe.close()
    profile = recalculating_profile(tmp_path / "profile")
    _soffice(["--convert-to", "xlsx", "--outdir", str(out), *(str(p) for p in sorted(source.iterdir()))], profile,
             timeout=300)
    assert load_workbook(out / "probe.xlsx", data_only=True).active["A1"].value == 2

    def reopened(data: bytes):
        name = next(n for n, d in files.items() if d is data)
        return load_workbook(out / f"{name}.xlsx", data_only=True)

    _check_totals(files, db, world, scorer, catalogue, answers, read=reopened)
    # Every formula: LibreOffice's own result is the value the app cached with it.
    for name in ("rekap", "provinsi"):
        cells, cached = _formula_cells(files[name])
        computed = load_workbook(out / f"{name}.xlsx", data_only=True)
        for title, ref in cells:
            ours, theirs = cached[title][ref].value, computed[title][ref].value
            if isinstance(ours, int | float):
                assert to_cents(theirs) == to_cents(ours), (name, title, ref, ours, theirs)
            else:
                assert (theirs or "") == (ours or ""), (name, title, ref, ours, theirs)


# -- printing --------------------------------------------------------------------------------------


def _text_runs(page):
    """(x, y, size, text) of each piece of text on a PDF page, in page coordinates."""
    runs = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
            runs.append((x, y, size * scale, text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def _overprinted(runs):
    """Pairs of text pieces drawn over each other: same line height band, overlapping horizontally."""
    clashes = []
    for i, (x1, y1, s1, t1) in enumerate(runs):
        for x2, y2, s2, t2 in runs[i + 1:]:
            if abs(y1 - y2) < 0.8 * min(s1, s2) and x1 < x2 + len(t2) * s2 * 0.45 and x2 < x1 + len(t1) * s1 * 0.45:
                clashes.append((t1, t2))
    return clashes


@needs_soffice
def test_the_rekap_and_the_province_sheet_print_legibly(client, world, auth, db, catalogue, scorer, tmp_path, app):
    from tests.web.test_exports import _soffice

    _submitted(db, world, scorer)
    files = _download(client, auth, world, app, catalogue)
    for name in ("rekap", "provinsi"):
        (tmp_path / f"{name}.xlsx").write_bytes(files[name])
        sheet = load_workbook(io.BytesIO(files[name])).worksheets[1 if name == "rekap" else 0]
        assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage  # width only
    _soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "rekap.xlsx"),
              str(tmp_path / "provinsi.xlsx")], tmp_path / "profile", timeout=300)

    pages = PdfReader(tmp_path / "rekap.pdf").pages
    assert len(pages) > 1
    tahapan: list[list[str]] = []
    for number, page in enumerate(pages[1:], start=2):  # page 1 is the summary
        runs = _text_runs(page)
        texts = [t for _, _, _, t in runs]
        assert not _overprinted(runs), (number, _overprinted(runs)[:3])
        if texts[:2] == ["Kode", "Kabupaten/Kota"] and "Pertanyaan" not in texts:
            # The Tahapan sheet (scores per stage, issue 22), after the questions: two pages across, each
            # with the kab/kota's code and name.
            tahapan.append(texts)
            assert min(size for *_, size, t in runs if t == "62.71") >= 6, number
            continue
        if "Tren" in texts and "Nilai EM" not in texts:  # issue 23: the sheet "Data dua tahun", at the end
            continue
        assert "Pertanyaan" in texts and "Nilai EM" in texts, number  # the header row repeats
        assert min(size for *_, size, t in runs if t == "Pertanyaan") >= 6, number  # readable on paper

    assert len(tahapan) == 2
    assert "Reviu" not in tahapan[0] and "Reviu" in tahapan[1]  # the ministry's stage starts the second page

    province = PdfReader(tmp_path / "provinsi.pdf").pages
    runs = _text_runs(province[0])
    assert not _overprinted(runs)
    assert min(size for _, _, size, t in runs if t in ("62.71", "62.01")) >= 5.5  # not shrunk to one page
