"""The 2024 catalogue loads whole, and each kind of fault gets one clear message with its line."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from app.cli import main
from indicators import CatalogueError, Level, parse_catalogue


def _line_of(text: str, pattern: str, after: int = 0) -> int:
    """1-based line number of the first line matching `pattern` after line `after`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and re.search(pattern, line):
            return number
    raise AssertionError(f"{pattern!r} not found")


def _replace_line(text: str, number: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    assert old in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "".join(lines)


def _only_fault(text: str):
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text, source="kla_clusters.yaml")
    faults = caught.value.faults
    assert len(faults) == 1, caught.value.render("en")
    return faults[0]


# -- the real file ----------------------------------------------------------------


def test_the_2024_instrument_is_whole(catalogue):
    data = catalogue.data
    assert [p.code for p in data.parts] == ["KL", "K1", "K2", "K3", "K4", "K5", "KD"]
    assert len(catalogue.indicators) == 31
    assert len(catalogue.questions) == 274
    assert catalogue.max_total == 1000
    numbered = {code.rstrip("ABC") for code in catalogue.indicators}
    assert len(numbered) == 26  # 1-24 plus Kelana (25) and Dekela (26)
    assert {p.code: int(p.max) for p in data.parts} == {
        "KL": 164, "K1": 115, "K2": 156, "K3": 150, "K4": 110, "K5": 205, "KD": 100,
    }


def test_every_name_has_an_english_gloss(catalogue):
    for part in catalogue.data.parts:
        assert part.name_en and part.name_en != part.name
        for indicator in part.indicators:
            assert indicator.name_en.strip()


def test_kelana_dekela_questions_are_percentages_per_kecamatan_or_desa(catalogue):
    for indicator in catalogue.parts["KD"].indicators:
        for question in indicator.questions:
            assert catalogue.scales[question.scale].kind == "percent"
            assert question.level in (Level.KECAMATAN, Level.DESA)


def test_every_scale_is_marked_provisional(catalogue):
    assert all(scale.provisional for scale in catalogue.data.scales)


def test_agencies_are_normalised_from_their_local_spellings(catalogue):
    dukcapil = catalogue.agency_by_alias("Disdukcapil")
    assert dukcapil is not None
    assert catalogue.agency_by_alias("Capil") == dukcapil == catalogue.agency_by_alias("Dukcapil")
    assert catalogue.agency_by_alias("DPPPAPPKB") == catalogue.agency_by_alias("DP3AP2KB")
    assert catalogue.agency_by_alias("Dinas Tidak Dikenal") is None


def test_review_reasons_include_the_usual_ones(catalogue):
    names = {reason.name.lower() for reason in catalogue.review_reasons}
    for expected in ("bukan tahun berjalan", "tidak relevan", "tidak lengkap", "tidak terbaca"):
        assert any(expected in name for name in names), expected


def test_quirks_of_the_copy_are_resolved_by_capping(catalogue):
    for code, questions_total, official in (("19", 54, 51), ("21B", 18, 17)):
        indicator = catalogue.indicators[code]
        assert indicator.capped and indicator.max == official
        assert sum(q.max for q in indicator.questions) == questions_total
        assert indicator.note


def test_gates_are_declared_but_off_by_default(catalogue):
    assert catalogue.data.gates, "an example gate documents the feature"
    assert not any(gate.active for gate in catalogue.data.gates)


def test_cli_check_reports_the_summary():
    result = CliRunner().invoke(main, ["catalogue", "check", "data/kla_clusters.yaml"])
    assert result.exit_code == 0, result.output
    assert "7 bagian, 31 indikator bernilai, 274 pertanyaan, nilai maksimum 1000.00" in result.output
    english = CliRunner().invoke(main, ["catalogue", "check", "data/kla_clusters.yaml", "--lang", "en"])
    assert "7 parts, 31 scored indicators, 274 questions, maximum 1000.00" in english.output


# -- broken copies: one fault each, with its line ------------------------------------


def test_duplicate_question_code(catalogue_text):
    first = _line_of(catalogue_text, r'code: "1\.2a"')
    second = _line_of(catalogue_text, r'code: "1\.2b"')
    fault = _only_fault(_replace_line(catalogue_text, second, '"1.2b"', '"1.2a"'))
    assert fault.code == "duplicate_code"
    assert fault.line == second
    assert fault.render("id") == (
        f"baris {second} (parts[0].indicators[0].questions[2].code): Kode pertanyaan '1.2a' dipakai "
        f"lebih dari sekali (pertama kali di baris {first}). Setiap kode harus unik."
    )


def test_question_maxima_that_do_not_add_up(catalogue_text):
    question = _line_of(catalogue_text, r'code: "1\.1"')
    max_line = _line_of(catalogue_text, r"^\s+max: 12$", after=question)
    fault = _only_fault(_replace_line(catalogue_text, max_line, "max: 12", "max: 13"))
    assert fault.code == "question_sum"
    assert "Indikator 1: jumlah nilai maksimum pertanyaannya 97 tidak sama dengan nilai maksimum indikator 96" in fault.message("id")
    indicator_line = _line_of(catalogue_text, r"^\s+max: 96$")
    assert fault.line == indicator_line


def test_unknown_agency(catalogue_text):
    question = _line_of(catalogue_text, r'code: "1\.1"')
    agencies = _line_of(catalogue_text, r"agencies: \[HUKUM, DP3A\]", after=question)
    fault = _only_fault(_replace_line(catalogue_text, agencies, "DP3A]", "DINAS_RAHASIA]"))
    assert fault.code == "unknown_agency"
    assert fault.line == agencies
    assert fault.message("id") == "Pertanyaan 1.1: OPD 'DINAS_RAHASIA' tidak ada dalam daftar 'agencies'."


def test_gap_between_category_bands(catalogue_text):
    madya = _line_of(catalogue_text, r"code: madya")
    min_line = _line_of(catalogue_text, r"^\s+min: 600$", after=madya)
    fault = _only_fault(_replace_line(catalogue_text, min_line, "min: 600", "min: 601"))
    assert fault.code == "band_gap"
    assert fault.line == min_line
    assert "celah antara kategori 'pratama' (sampai 600) dan 'madya' (mulai 601)" in fault.message("id")


def test_overlapping_category_bands(catalogue_text):
    madya = _line_of(catalogue_text, r"code: madya")
    flag = _line_of(catalogue_text, r"includes_min: false", after=madya)
    fault = _only_fault(_replace_line(catalogue_text, flag, "false", "true"))
    assert fault.code == "band_overlap"
    assert "tumpang tindih di 600" in fault.message("id")


def test_yaml_syntax_error(catalogue_text):
    question = _line_of(catalogue_text, r'code: "1\.2a"')
    broken = _replace_line(catalogue_text, question, 'code: "1.2a"', 'code: "1.2a')
    fault = _only_fault(broken)
    assert fault.code == "yaml_syntax"
    assert fault.line is not None and fault.line >= question
    assert fault.render("id").startswith(f"baris {fault.line}: Penulisan YAML salah")


def test_option_fraction_out_of_range(catalogue_text):
    line = _line_of(catalogue_text, r'fraction: "?1"?$')
    broken = _replace_line(catalogue_text, line, "fraction: ", "fraction: 3/2 #")
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(broken)
    assert any(f.code == "fraction_range" and f.line == line for f in caught.value.faults)


def test_missing_and_misspelt_entries_are_named(catalogue_text):
    question = _line_of(catalogue_text, r'code: "1\.1"')
    scale_line = _line_of(catalogue_text, r"^\s+scale: ", after=question)
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(_replace_line(catalogue_text, scale_line, "scale:", "skala:"))
    # Renaming the key both drops 'scale' and adds an unknown one: the loader says both.
    by_code = {f.code: f for f in caught.value.faults}
    assert set(by_code) == {"missing", "unexpected"}
    assert by_code["unexpected"].line == scale_line
    assert by_code["missing"].message("id") == "Isian 'scale' wajib ada tetapi tidak ditemukan."
    assert by_code["missing"].line == question


def test_cli_check_lists_faults_and_fails(tmp_path, catalogue_text):
    madya = _line_of(catalogue_text, r"code: madya")
    min_line = _line_of(catalogue_text, r"^\s+min: 600$", after=madya)
    broken = tmp_path / "broken.yaml"
    broken.write_text(_replace_line(catalogue_text, min_line, "min: 600", "min: 601"), encoding="utf-8")
    result = CliRunner().invoke(main, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    assert f"baris {min_line}" in result.output and "celah" in result.output


def test_cli_check_reports_a_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["catalogue", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "Berkas tidak dapat dibuka" in result.output
