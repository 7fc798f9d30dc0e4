"""Server-side SVG charts for the dashboard, drawn in Python.

A chart is a few hundred small elements; written with f-strings it costs a
tenth of the same markup from a Jinja macro, and the dashboard draws two on
every change of the assessment. Patterns instead of colours, so the charts
read the same printed in black and white (the hatch pattern is defined once
per page in templates/dashboard/_bars.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

STAGE_FILLS = (("self", "#333"), ("dp3a", "url(#hatch)"), ("province", "#fff"))
BAR_HEIGHT = 9
GAP = 10
WIDTH = 520


def _value(sheet, code: str) -> int:
    return sheet.parts.get(code, sheet.indicators.get(code, 0))


def stage_bars(rows: Sequence[tuple[str, str]], sheets: Mapping, maxima: Mapping[str, int],
               label_width: int = 70, labelled_by: str = "") -> Markup:
    """Horizontal bars per row, one per stage (self, DP3A, province), against the row's maximum,
    with the self-assessed share printed at the end. `rows` are (code, label); scores in cents;
    `labelled_by`: the id of the heading that names the chart."""
    plot = WIDTH - label_width - 70
    step = 3 * BAR_HEIGHT + GAP
    height = len(rows) * step + 24
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{escape(labelled_by)}" '
           f'preserveAspectRatio="xMinYMin meet">']
    for i, (code, label) in enumerate(rows):
        y0 = i * step
        maximum = maxima[code] or 1
        out.append(f'<text x="0" y="{y0 + 2 * BAR_HEIGHT - 1}" class="chart-label">{escape(str(label))}</text>'
                   f'<rect x="{label_width}" y="{y0}" width="{plot}" height="{3 * BAR_HEIGHT}" fill="none" '
                   f'stroke="#999" stroke-dasharray="2 2"/>')
        for j, (stage, fill) in enumerate(STAGE_FILLS):
            width = round(plot * _value(sheets[stage], code) / maximum, 1)
            out.append(f'<rect x="{label_width}" y="{y0 + j * BAR_HEIGHT}" width="{width}" height="{BAR_HEIGHT - 1}" '
                       f'fill="{fill}" stroke="#000" stroke-width="0.8"/>')
        share = round(100 * _value(sheets["self"], code) / maximum)
        out.append(f'<text x="{label_width + plot + 6}" y="{y0 + 2 * BAR_HEIGHT - 1}" class="chart-value">{share}%</text>')
    out.append("</svg>")
    return Markup("".join(out))
