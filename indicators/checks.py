"""Checks that need the whole catalogue: codes, sums, bands and references.

Every check yields `Fault`s with the path of the entry at fault; the loader
adds line numbers. All checks run, so one pass lists every fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

from indicators.faults import Fault
from indicators.models import Band, CatalogueData, Level, Measure, NumberScale, OptionsScale, PercentScale
from indicators.yaml_source import Path

CENT = Decimal("0.01")


def check_catalogue(data: CatalogueData) -> list[Fault]:
    faults: list[Fault] = []
    for check in (_codes, _points, _sums, _references, _scales, _bands, _gates, _figures):
        faults.extend(check(data))
    faults.extend(_area_questions(data))
    return faults


def _fmt(value: Decimal | Fraction) -> str:
    if isinstance(value, Fraction):
        return str(value)
    text = format(value.normalize(), "f")
    return text


def _unique(kind: str, entries: list[tuple[str, Path]]) -> Iterator[Fault]:
    first: dict[str, Path] = {}
    for code, path in entries:
        if code in first:
            yield Fault(
                "duplicate_code",
                (*path, "code"),
                params={"kind": kind, "code": code, "first_path": first[code]},
            )
        else:
            first[code] = path


def _codes(data: CatalogueData) -> Iterator[Fault]:
    sections = (
        ("category", "categories", data.categories),
        ("reason", "review_reasons", data.review_reasons),
        ("agency", "agencies", data.agencies),
        ("evidence type", "evidence_types", data.evidence_types),
        ("scale", "scales", data.scales),
    )
    for kind, key, entries in sections:
        yield from _unique(kind, [(e.code, (key, i)) for i, e in enumerate(entries)])
    yield from _unique("part", [(p.code, ("parts", i)) for i, p in enumerate(data.parts)])
    indicators: list[tuple[str, Path]] = []
    questions: list[tuple[str, Path]] = []
    for pi, part in enumerate(data.parts):
        for ii, indicator in enumerate(part.indicators):
            ipath: Path = ("parts", pi, "indicators", ii)
            indicators.append((indicator.code, ipath))
            for qi, question in enumerate(indicator.questions):
                questions.append((question.code, (*ipath, "questions", qi)))
    yield from _unique("indicator", indicators)
    yield from _unique("question", questions)
    for si, scale in enumerate(data.scales):
        if isinstance(scale, OptionsScale):
            yield from _unique(
                "option", [(o.code, ("scales", si, "options", oi)) for oi, o in enumerate(scale.options)]
            )


def _points(data: CatalogueData) -> Iterator[Fault]:
    """Every maximum is positive with at most two decimals (the rekap's precision)."""
    for path, value in _maxima(data):
        # A question may be worth 0: the 2024 copy has an unscored screening question (26.17).
        floor_ok = value >= 0 if "questions" in path else value > 0
        if not floor_ok:
            yield Fault("negative_points", (*path, "max"), params={"value": _fmt(value)})
        elif value != value.quantize(CENT):
            yield Fault("too_precise", (*path, "max"), params={"value": _fmt(value)})


def _maxima(data: CatalogueData) -> Iterator[tuple[Path, Decimal]]:
    yield ("instrument",), data.instrument.max_total
    for pi, part in enumerate(data.parts):
        yield ("parts", pi), part.max
        for ii, indicator in enumerate(part.indicators):
            ipath: Path = ("parts", pi, "indicators", ii)
            yield ipath, indicator.max
            for qi, question in enumerate(indicator.questions):
                yield (*ipath, "questions", qi), question.max


def _sums(data: CatalogueData) -> Iterator[Fault]:
    parts_total = sum((p.max for p in data.parts), Decimal(0))
    if parts_total != data.instrument.max_total:
        yield Fault(
            "part_sum",
            ("instrument", "max_total"),
            params={"total": _fmt(parts_total), "max": _fmt(data.instrument.max_total)},
        )
    for pi, part in enumerate(data.parts):
        indicators_total = sum((i.max for i in part.indicators), Decimal(0))
        if indicators_total != part.max:
            yield Fault(
                "indicator_sum",
                ("parts", pi, "max"),
                params={"part": part.code, "total": _fmt(indicators_total), "max": _fmt(part.max)},
            )
        for ii, indicator in enumerate(part.indicators):
            total = sum((q.max for q in indicator.questions), Decimal(0))
            params: dict[str, object] = {"indicator": indicator.code, "total": _fmt(total),
                                         "max": _fmt(indicator.max)}
            path = ("parts", pi, "indicators", ii, "max")
            if indicator.capped and total < indicator.max:
                yield Fault("capped_below", path, params=params)
            elif not indicator.capped and total != indicator.max:
                yield Fault("question_sum", path, params=params)


def _references(data: CatalogueData) -> Iterator[Fault]:
    agencies = {a.code for a in data.agencies}
    scales = {s.code for s in data.scales}
    evidence_types = {e.code for e in data.evidence_types}
    for pi, part in enumerate(data.parts):
        for ii, indicator in enumerate(part.indicators):
            for qi, question in enumerate(indicator.questions):
                qpath = ("parts", pi, "indicators", ii, "questions", qi)
                for ai, code in enumerate(question.agencies):
                    if code not in agencies:
                        yield Fault(
                            "unknown_agency",
                            (*qpath, "agencies", ai),
                            params={"question": question.code, "code": code},
                        )
                if question.scale not in scales:
                    yield Fault(
                        "unknown_scale",
                        (*qpath, "scale"),
                        params={"question": question.code, "code": question.scale},
                    )
                for ti, code in enumerate(question.evidence.types):
                    if code not in evidence_types:
                        yield Fault(
                            "unknown_evidence_type",
                            (*qpath, "evidence", "types", ti),
                            params={"question": question.code, "code": code},
                        )


def _scales(data: CatalogueData) -> Iterator[Fault]:
    for si, scale in enumerate(data.scales):
        if isinstance(scale, OptionsScale):
            for oi, option in enumerate(scale.options):
                if not 0 <= option.fraction <= 1:
                    yield Fault(
                        "fraction_range",
                        ("scales", si, "options", oi, "fraction"),
                        params={"scale": scale.code, "fraction": str(option.fraction)},
                    )
            fractions = {o.fraction for o in scale.options}
            if Fraction(1) not in fractions:
                yield Fault("scale_without_full", ("scales", si), params={"scale": scale.code})
            if Fraction(0) not in fractions:
                yield Fault("scale_without_zero", ("scales", si), params={"scale": scale.code})
        elif isinstance(scale, NumberScale):
            yield from _thresholds(si, scale)


def _thresholds(si: int, scale: NumberScale) -> Iterator[Fault]:
    for ti, threshold in enumerate(scale.thresholds):
        if not 0 <= threshold.fraction <= 1:
            yield Fault(
                "fraction_range",
                ("scales", si, "thresholds", ti, "fraction"),
                params={"scale": scale.code, "fraction": str(threshold.fraction)},
            )
    steps = scale.thresholds
    ordered = steps[0].min == 0 and all(
        a.min < b.min and a.fraction <= b.fraction for a, b in zip(steps, steps[1:], strict=False)
    )
    if not ordered:
        yield Fault("thresholds_order", ("scales", si, "thresholds"), params={"scale": scale.code})
    if steps[-1].fraction != 1:
        yield Fault("scale_without_full", ("scales", si, "thresholds"), params={"scale": scale.code})


def _bands(data: CatalogueData) -> Iterator[Fault]:
    """Bands must tile [0, max_total]: each boundary belongs to exactly one band."""
    bands = sorted(enumerate(data.categories), key=lambda item: (item[1].min, item[1].max))
    for index, band in bands:
        if band.min > band.max or (band.min == band.max and not (band.includes_min and band.includes_max)):
            yield Fault(
                "band_empty",
                ("categories", index),
                params={"band": band.code, "min": _fmt(band.min), "max": _fmt(band.max)},
            )
    first_index, first = bands[0]
    if first.min != 0 or not first.includes_min:
        yield Fault("band_start", ("categories", first_index, "min"), params={"min": _fmt(first.min)})
    last_index, last = bands[-1]
    total = data.instrument.max_total
    if last.max != total or not last.includes_max:
        yield Fault(
            "band_end",
            ("categories", last_index, "max"),
            params={"max": _fmt(last.max), "max_total": _fmt(total)},
        )
    for (_, lower), (upper_index, upper) in zip(bands, bands[1:], strict=False):
        yield from _band_pair(lower, upper, upper_index)


def _band_pair(lower: Band, upper: Band, upper_index: int) -> Iterator[Fault]:
    names = {"lower": lower.code, "upper": upper.code}
    path = ("categories", upper_index, "min")
    if lower.max < upper.min or (
        lower.max == upper.min and not lower.includes_max and not upper.includes_min
    ):
        yield Fault(
            "band_gap",
            path,
            params={**names, "upper_max": _fmt(lower.max), "lower_min": _fmt(upper.min)},
        )
    elif lower.max > upper.min or (lower.includes_max and upper.includes_min):
        yield Fault("band_overlap", path, params={**names, "value": _fmt(upper.min)})


def _gates(data: CatalogueData) -> Iterator[Fault]:
    categories = {c.code for c in data.categories}
    questions = {q.code for p in data.parts for i in p.indicators for q in i.questions}
    for gi, gate in enumerate(data.gates):
        if gate.category not in categories:
            yield Fault(
                "gate_unknown",
                ("gates", gi, "category"),
                params={"kind": "category", "code": gate.category},
            )
        if gate.question not in questions:
            yield Fault(
                "gate_unknown",
                ("gates", gi, "question"),
                params={"kind": "question", "code": gate.question},
            )
        if not 0 <= gate.min_fraction <= 1:
            yield Fault(
                "fraction_range",
                ("gates", gi, "min_fraction"),
                params={"scale": gate.question, "fraction": str(gate.min_fraction)},
            )


def _area_questions(data: CatalogueData) -> Iterator[Fault]:
    """Kelana/Dekela: a question answered per kecamatan or desa is computed from what each one meets
    (`app.services.areas`): it needs the criterion ticked per area, and a percentage scale."""
    scales = {s.code: s for s in data.scales}
    for pi, part in enumerate(data.parts):
        for ii, indicator in enumerate(part.indicators):
            for qi, question in enumerate(indicator.questions):
                if question.level == Level.KABKOTA:
                    continue
                qpath = ("parts", pi, "indicators", ii, "questions", qi)
                params: dict[str, object] = {"question": question.code, "level": question.level.value,
                                             "scale": question.scale}
                if not question.criterion.strip() or not question.criterion_en.strip():
                    yield Fault("area_question_without_criterion", qpath, params=params)
                scale = scales.get(question.scale)
                if scale is not None and not isinstance(scale, PercentScale):
                    yield Fault("area_question_not_percent", (*qpath, "scale"), params=params)


def _figures(data: CatalogueData) -> Iterator[Fault]:
    """A question answered as yearly data: a share names its whole, a count has none; only the
    kab/kota itself answers with figures (a kecamatan/desa question is a percentage of them)."""
    for pi, part in enumerate(data.parts):
        for ii, indicator in enumerate(part.indicators):
            for qi, question in enumerate(indicator.questions):
                figures = question.figures
                if figures is None:
                    continue
                path: Path = ("parts", pi, "indicators", ii, "questions", qi, "figures")
                params: dict[str, object] = {"question": question.code}
                has_denominator = bool(figures.denominator.strip() or figures.denominator_en.strip())
                if figures.measure is Measure.SHARE and not (figures.denominator.strip()
                                                             and figures.denominator_en.strip()):
                    yield Fault("figures_share_without_denominator", (*path, "measure"), params=params)
                elif figures.measure is Measure.COUNT and has_denominator:
                    yield Fault("figures_count_with_denominator", (*path, "denominator"), params=params)
                if question.level is not Level.KABKOTA:
                    yield Fault("figures_not_kabkota", (*path[:-1], "level"),
                                params={**params, "level": question.level.value})
