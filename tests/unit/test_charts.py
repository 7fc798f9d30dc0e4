"""The dashboard's bar chart: one bar per stage per row, scaled to the row's maximum."""

from __future__ import annotations

import re
from types import SimpleNamespace

from app.charts import stage_bars


def _sheet(parts):
    return SimpleNamespace(parts=parts, indicators={})


def test_bars_are_scaled_to_the_row_maximum_per_stage():
    sheets = {"self": _sheet({"I": 5000, "II": 0}), "dp3a": _sheet({"I": 2500, "II": 0}),
              "province": _sheet({"I": 0, "II": 0})}
    svg = str(stage_bars([("I", "I"), ("II", "Klaster <II>")], sheets, {"I": 10000, "II": 0}, 90, "parts-title"))
    plot = 520 - 90 - 70
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="8"', svg)]  # the stage bars
    assert widths == [plot / 2, plot / 4, 0.0, 0.0, 0.0, 0.0]
    assert ">50%</text>" in svg and ">0%</text>" in svg  # a zero maximum draws empty bars, not an error
    assert "Klaster &lt;II&gt;" in svg  # labels are escaped
    assert 'aria-labelledby="parts-title"' in svg and svg.count("<svg") == 1
