"""`kla score FILE`: the part table, total, category and gap plan from an answers file."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from app.cli import main
from scoring import format_points
from scoring.samples import full_marks


def _plain(answer):
    if answer.option is not None:
        return answer.option
    return float(answer.value)


def test_full_marks_file_scores_1000_and_kla(tmp_path, scorer):
    answers = {code: _plain(a) for code, a in full_marks(scorer).items()}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 0, result.output
    assert "1000.00" in result.output
    assert "Kategori: KLA" in result.output
    assert "Sudah di kategori tertinggi." in result.output


def test_partial_file_prints_gap_plan_and_verified_column(tmp_path, scorer):
    answers = {code: _plain(a) for code, a in list(full_marks(scorer).items())[:150]}
    reviews = {code: "approved" for code in list(answers)[:100]}
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({"answers": answers, "reviews": reviews}), encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    total = scorer.score({c: a for c, a in list(full_marks(scorer).items())[:150]}).total
    assert format_points(total) in result.output
    assert "Verified" in result.output
    assert "To reach" in result.output
    assert "Points at risk" in result.output


def test_bad_answers_are_listed_and_fail(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("1.1: bukan-pilihan\n99.9: ya\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 1
    assert "2 jawaban tidak dapat dinilai" in result.output
    assert "Pertanyaan '99.9' tidak ada dalam instrumen." in result.output


def test_malformed_answers_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("1.1: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 2
    assert "Berkas jawaban tidak dapat dibaca" in result.output
