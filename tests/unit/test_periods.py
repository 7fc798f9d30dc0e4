"""The period check (scoring.periods): which documents a reviewer would return for their date,
validity, missing title or year, or because they were carried over from the previous cycle."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import load_catalogue
from indicators.models import Period
from scoring.periods import (
    STANDING_TYPES,
    DocumentFacts,
    Flag,
    Requirement,
    derived_period,
    expected_years,
    flags,
    out_of_period,
    question_period,
    reasons,
    requirement,
    years,
)

Y = 2024
CURRENT = Requirement(Period.CURRENT)
TWO = Requirement(Period.TWO_YEARS)
ANY = Requirement(Period.ANY)


@pytest.mark.parametrize(("types", "period"), [
    (("data_dua_tahun",), Period.TWO_YEARS),
    (("data_dua_tahun", "regulasi", "dokumen_pendukung"), Period.TWO_YEARS),
    (("regulasi",), Period.ANY),
    (("regulasi", "dokumen_pendukung"), Period.ANY),
    (("sk_gugus_tugas",), Period.ANY),
    (("mou", "sertifikat_kha"), Period.ANY),
    (("rad_kla", "dokumen_pendukung"), Period.ANY),
    (("regulasi", "laporan"), Period.CURRENT),
    (("foto", "berita"), Period.CURRENT),
    (("anggaran", "dokumen_pendukung"), Period.CURRENT),
    (("profil_anak",), Period.CURRENT),
    (("inovasi",), Period.CURRENT),
    (("matriks",), Period.CURRENT),
    (("dokumen_pendukung",), Period.CURRENT),
    ((), Period.CURRENT),
])
def test_period_follows_from_the_evidence_types(types, period):
    assert derived_period(types) == period


def test_the_catalogue_sets_a_period_only_where_the_types_would_say_otherwise():
    catalogue = load_catalogue()
    explicit = {code: ref.question for code, ref in catalogue.questions.items() if ref.question.period is not None}
    assert explicit, "15.4 asks for certificates of the last two years"
    for code, question in explicit.items():
        # Either another period than the types', or the same one for standing documents too.
        assert question.period != derived_period(question.evidence.types) or \
            set(question.evidence.types) & STANDING_TYPES, code
    certificates = catalogue.questions["15.4"].question
    assert question_period(certificates) == Period.TWO_YEARS
    assert not requirement(certificates).standing_ok  # its certificates are dated like its data
    assert question_period(catalogue.questions["4.1"].question) == Period.TWO_YEARS


@pytest.mark.parametrize(("period", "first"), [(Period.CURRENT, 2023), (Period.TWO_YEARS, 2022), (Period.ANY, 0)])
def test_years_of_a_period(period, first):
    assert years(period, Y) == (first, Y)


def test_current_means_the_cycles_year_or_the_one_before():
    assert flags(DocumentFacts(year=2023), CURRENT, Y) == frozenset()
    assert flags(DocumentFacts(year=2024), CURRENT, Y) == frozenset()
    assert flags(DocumentFacts(year=2022), CURRENT, Y) == {Flag.OUT_OF_PERIOD}
    assert flags(DocumentFacts(issued_on=date(2022, 12, 31)), CURRENT, Y) == {Flag.OUT_OF_PERIOD}


def test_two_years_reaches_one_year_further():
    assert flags(DocumentFacts(year=2022), TWO, Y) == frozenset()
    assert flags(DocumentFacts(year=2021), TWO, Y) == {Flag.OUT_OF_PERIOD}


def test_a_document_dated_after_the_cycle_is_out_of_period_whatever_is_asked():
    for need in (CURRENT, TWO, ANY):
        assert Flag.OUT_OF_PERIOD in flags(DocumentFacts(year=2025), need, Y)


def test_a_standing_document_counts_while_in_force():
    perda = DocumentFacts(kind="perda", year=2011)
    assert flags(perda, ANY, Y) == frozenset()
    expired = DocumentFacts(kind="sk", year=2021, valid_until=date(2023, 12, 31))
    assert flags(expired, ANY, Y) == {Flag.EXPIRED}
    assert flags(DocumentFacts(kind="sk", year=2021, valid_until=date(2024, 1, 1)), ANY, Y) == frozenset()
    # Expiry counts whatever the period: an SK of last year that ended last year is no longer in force.
    assert flags(DocumentFacts(kind="sk", year=2023, valid_until=date(2023, 6, 30)), CURRENT, Y) == {Flag.EXPIRED}


def test_a_standing_document_on_a_mixed_question_is_judged_by_validity():
    mixed = Requirement(Period.CURRENT, standing_ok=True)
    assert flags(DocumentFacts(kind="perda", year=2015), mixed, Y) == frozenset()
    assert expected_years(DocumentFacts(kind="perda", year=2015), mixed, Y) is None
    # Not a standing kind: its date counts.
    assert flags(DocumentFacts(kind="report", year=2015), mixed, Y) == {Flag.OUT_OF_PERIOD}
    assert expected_years(DocumentFacts(kind="report"), mixed, Y) == (2023, 2024)
    # Without standing_ok (an explicit period), a Perda is dated like the rest.
    assert flags(DocumentFacts(kind="perda", year=2015), CURRENT, Y) == {Flag.OUT_OF_PERIOD}


def test_title_and_year_are_checked_on_required_evidence_only():
    required = Requirement(Period.CURRENT, required=True)
    assert flags(DocumentFacts(), required, Y) == {Flag.NO_TITLE, Flag.NO_YEAR}
    assert flags(DocumentFacts(title="  "), required, Y) == {Flag.NO_TITLE, Flag.NO_YEAR}
    assert flags(DocumentFacts(title="Laporan", issued_on=date(2024, 3, 1)), required, Y) == frozenset()
    assert flags(DocumentFacts(), CURRENT, Y) == frozenset()


def test_a_carried_document_out_of_period_needs_a_newer_version():
    carried = DocumentFacts(year=2022, carried=True)
    assert flags(carried, CURRENT, Y) == {Flag.NEEDS_NEWER}
    assert flags(DocumentFacts(year=2023, carried=True), CURRENT, Y) == frozenset()
    expired = DocumentFacts(kind="sk", year=2021, valid_until=date(2022, 12, 31), carried=True)
    assert flags(expired, ANY, Y) == {Flag.EXPIRED, Flag.NEEDS_NEWER}
    assert flags(DocumentFacts(kind="perda", year=2011, carried=True), ANY, Y) == frozenset()


def test_flags_suggest_review_reasons():
    assert reasons({Flag.NO_YEAR, Flag.OUT_OF_PERIOD, Flag.NO_TITLE}) == ["bukan_tahun_berjalan", "tidak_lengkap"]
    assert reasons({Flag.EXPIRED}) == ["bukan_tahun_berjalan"]
    assert out_of_period({Flag.NEEDS_NEWER}) and out_of_period({Flag.EXPIRED})
    assert not out_of_period({Flag.NO_TITLE, Flag.NO_YEAR})


def test_every_reason_a_flag_suggests_is_in_the_catalogue():
    known = {r.code for r in load_catalogue().review_reasons}
    assert set(reasons(set(Flag))) <= known


# -- properties ------------------------------------------------------------------------------------

facts = st.builds(
    DocumentFacts,
    kind=st.sampled_from(["other", "perda", "sk", "report", "photo", "certificate"]),
    title=st.sampled_from(["", "SK Gugus Tugas"]),
    year=st.one_of(st.none(), st.integers(1990, 2035)),
    issued_on=st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2035, 12, 31))),
    valid_until=st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2035, 12, 31))),
    carried=st.booleans(),
)
needs = st.builds(Requirement, st.sampled_from(list(Period)), st.booleans(), st.booleans())
cycles = st.integers(2000, 2030)


@settings(max_examples=200, deadline=None)
@given(facts, needs, cycles)
def test_a_wider_period_never_flags_more(document, need, year):
    """CURRENT within TWO_YEARS within ANY: widening the period never adds an OUT_OF_PERIOD."""
    order = [Period.CURRENT, Period.TWO_YEARS, Period.ANY]
    found = [flags(document, Requirement(p, need.required, need.standing_ok), year) for p in order]
    dated = [bool(f & {Flag.OUT_OF_PERIOD, Flag.NEEDS_NEWER}) for f in found]
    assert dated == sorted(dated, reverse=True)


@settings(max_examples=200, deadline=None)
@given(facts, needs, cycles)
def test_flags_are_consistent(document, need, year):
    found = flags(document, need, year)
    assert not {Flag.OUT_OF_PERIOD, Flag.NEEDS_NEWER} <= found  # one stands in for the other
    assert (Flag.NEEDS_NEWER in found) <= document.carried
    if not need.required:
        assert not found & {Flag.NO_TITLE, Flag.NO_YEAR}
    if document.dated is None:
        assert Flag.OUT_OF_PERIOD not in found
    window = expected_years(document, need, year)
    if window is not None and document.dated is not None and (Flag.EXPIRED not in found):
        assert (window[0] <= document.dated <= window[1]) == (not out_of_period(found))
    # The carried mark only turns "out of period" into "needs a newer version".
    fresh = flags(DocumentFacts(document.kind, document.title, document.year, document.issued_on,
                                document.valid_until, carried=False), need, year)
    assert out_of_period(fresh) == out_of_period(found)
