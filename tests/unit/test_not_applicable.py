"""What "tidak berlaku" earns: a property of the scale (zero by default, full, refused), in every path."""

from __future__ import annotations

import pytest

from indicators import NotApplicable, parse_catalogue
from scoring import Answer, AnswerError, ReviewStatus, Scorer, Verdict
from scoring.answer_input import parse_answer
from scoring.engine import not_applicable_cents
from scoring.samples import full_marks

NA = Answer(not_applicable=True)
APPROVED = Verdict(ReviewStatus.APPROVED)


@pytest.fixture(scope="module")
def refusing(catalogue_text) -> Scorer:
    """The instrument with the Perda KLA's scale refusing "not applicable" (no live scale refuses it yet)."""
    marker = "    code: perda_kla\n"
    assert catalogue_text.count(marker) == 1
    return Scorer(parse_catalogue(catalogue_text.replace(marker, marker + "    not_applicable: refused\n")))


def _code_on(scorer: Scorer, scale_code: str) -> str:
    return next(c for c, ref in scorer.catalogue.questions.items() if ref.question.scale == scale_code)


def _max_cents(scorer: Scorer, code: str) -> int:
    return scorer.questions[code].max_cents


def test_the_default_is_zero_on_every_scale_that_does_not_say(scorer):
    for scale in scorer.catalogue.data.scales:
        if scale.code not in ("cakupan_layanan", "jumlah_kasus_diversi"):
            assert scale.not_applicable is NotApplicable.ZERO, scale.code
    code = _code_on(scorer, "kegiatan")
    assert scorer.question_points(code, NA) == 0


def test_full_earns_the_question_maximum_on_every_path(scorer):
    code = _code_on(scorer, "jumlah_kasus_diversi")
    full = _max_cents(scorer, code)
    assert full > 0
    assert scorer.question_points(code, NA) == full
    assert scorer.score({code: NA}).questions[code] == full
    assert scorer.verified({code: NA}, {code: APPROVED}).questions[code] == full
    # a reviewer's lower figure still caps it
    assert scorer.verified({code: NA}, {code: Verdict(ReviewStatus.APPROVED, score=None)}).total == full


def test_served_children_scale_earns_full_when_not_applicable(scorer):
    code = _code_on(scorer, "cakupan_layanan")
    assert scorer.question_points(code, NA) == _max_cents(scorer, code)


def test_refused_raises_a_clear_problem_on_every_path(refusing):
    scorer = refusing
    code = _code_on(scorer, "perda_kla")
    for call in (lambda: scorer.question_points(code, NA), lambda: scorer.score({code: NA}),
                 lambda: scorer.verified({code: NA}, {code: APPROVED})):
        with pytest.raises(AnswerError) as caught:
            call()
        assert caught.value.problem.code == "not_applicable_refused"
    problem = caught.value.problem
    assert "tidak berlaku" in problem.message("id") and code in problem.message("id")
    assert "not applicable" in problem.message("en")
    with pytest.raises(AnswerError):
        parse_answer(scorer, code, {"not_applicable": True})


def test_the_default_keeps_every_score_as_it_was(scorer):
    """Answering everything "not applicable" scores only the full scales' questions."""
    codes = list(scorer.catalogue.questions)
    sheet = scorer.score(dict.fromkeys(codes, NA))
    full_scales = {"cakupan_layanan", "jumlah_kasus_diversi"}
    expected = {c: (_max_cents(scorer, c) if scorer.catalogue.questions[c].question.scale in full_scales else 0)
                for c in codes}
    assert sheet.questions == expected
    assert scorer.score(full_marks(scorer)).total == 100_000


@pytest.mark.parametrize(("rule", "expected"), [("zero", 0), ("full", 750), ("refused", None)])
def test_not_applicable_cents_per_rule(scorer, rule, expected):
    scale = scorer.catalogue.scales["kegiatan"].model_copy(update={"not_applicable": NotApplicable(rule)})
    assert not_applicable_cents(scale, 750) == expected


@pytest.mark.parametrize("kind", ["options", "percent", "number"])
def test_each_scale_kind_reads_the_rule_from_the_yaml(catalogue_text, kind):
    scale_code = {"options": "kegiatan", "percent": "persen", "number": "jumlah_lembaga"}[kind]
    marker = f"    code: {scale_code}\n"
    assert catalogue_text.count(marker) == 1
    text = catalogue_text.replace(marker, marker + "    not_applicable: full\n")
    scorer = Scorer(parse_catalogue(text))
    code = _code_on(scorer, scale_code)
    assert scorer.question_points(code, NA) == _max_cents(scorer, code)
    refused = Scorer(parse_catalogue(catalogue_text.replace(marker, marker + "    not_applicable: refused\n")))
    with pytest.raises(AnswerError):
        refused.question_points(code, NA)
