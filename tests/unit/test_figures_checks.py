"""The catalogue check of `figures:` declarations: a share names its whole, a count has none, kab/kota only."""

from __future__ import annotations

import pytest

from indicators import CatalogueError, Level, Measure, parse_catalogue


def _faults(text: str):
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text, source="kla_clusters.yaml")
    return caught.value.faults


def _block_of(text: str, code: str) -> tuple[int, int]:
    start = text.index(f'- code: "{code}"')
    return start, text.index("- code:", start + 10)


def _edit(text: str, code: str, old: str, new: str) -> str:
    start, end = _block_of(text, code)
    block = text[start:end]
    assert old in block, block
    return text[:start] + block.replace(old, new, 1) + text[end:]


def test_the_instrument_declares_figures_on_the_two_year_data_questions(catalogue):
    declared = {code: ref.question.figures for code, ref in catalogue.questions.items() if ref.question.figures}
    for code, ref in catalogue.questions.items():
        if ref.question.scale in ("data_dua_tahun", "tren_naik", "tren_turun"):
            assert code in declared, code
    assert {"4.1", "12.4", "17.3a", "16.5"} <= set(declared)
    assert declared["12.4"].measure is Measure.COUNT and not declared["12.4"].denominator
    assert declared["4.2"].measure is Measure.SHARE and declared["4.2"].denominator_en
    assert all(catalogue.questions[c].question.level is Level.KABKOTA for c in declared)


def test_a_share_without_denominator_is_a_fault(catalogue_text):
    text = _edit(catalogue_text, "4.2", 'denominator: "Jumlah anak"', 'denominator: ""')
    text = _edit(text, "4.2", 'denominator_en: "Number of children"', 'denominator_en: ""')
    (fault,) = _faults(text)
    assert fault.code == "figures_share_without_denominator"
    assert fault.path[-2:] == ("figures", "measure")
    assert "4.2" in fault.message("id") and "denominator" in fault.message("en")
    assert fault.line is not None


def test_a_count_with_a_denominator_is_a_fault(catalogue_text):
    text = _edit(catalogue_text, "12.4", "  measure: count\n", '  measure: count\n              denominator: "x"\n')
    (fault,) = _faults(text)
    assert fault.code == "figures_count_with_denominator"
    assert "12.4" in fault.render("en")


def test_figures_only_on_kabkota_questions(catalogue_text):
    text = _edit(catalogue_text, "4.1", "level: kabkota", "level: kecamatan")
    # A kecamatan question also needs a Kelana/Dekela criterion and a percent scale (their own checks).
    (fault,) = [f for f in _faults(text) if f.code.startswith("figures_")]
    assert fault.code == "figures_not_kabkota"
    assert fault.path[-1] == "level"
    assert "kecamatan" in fault.message("en")
