"""Server-side SVG charts for the dashboard, drawn in Python.

A chart is a few hundred small elements; written with f-strings it costs a
tenth of the same markup from a Jinja macro, and the dashboard draws two on
every change of the assessment. Patterns instead of colours, so the charts
read the same printed in black and white (the hatch pattern is defined once
per page in templates/dashboard/_bars.html).

Each row's name sits on its own line above its bars, across the whole width:
the chart scales down to a phone's width and its type with it, so a label
squeezed beside the bars would be unreadable there (app.css sets the type
size per screen width). Only the stages that have a score are drawn, and the
legend (`stage_legend`) lists exactly those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

from app.i18n import N_
from app.i18n import gettext as _
from scoring import ScoreSheet, Stage

STAGE_FILLS = ((Stage.SELF, "#333"), (Stage.DP3A, "url(#hatch)"), (Stage.PROVINCE, "#fff"))
STAGE_NAMES = {Stage.SELF: N_("self-assessed"), Stage.DP3A: N_("DP3A"), Stage.PROVINCE: N_("province")}
BAR_HEIGHT = 9
GAP = 10
LABEL_LINE = 22  # the row's name, above its bars
WIDTH = 520
VALUE_WIDTH = 56
MAX_LABEL = 48  # characters: what fits across the chart at the phone's type size


def _value(sheet: ScoreSheet, code: str) -> int:
    return sheet.parts.get(code, sheet.indicators.get(code, 0))


def drawn_stages(sheets: Mapping[str, ScoreSheet]) -> list[Stage]:
    """The stages with a score: the self-assessment always, a check once it is reached and has given points."""
    return [stage for stage, _fill in STAGE_FILLS
            if stage == Stage.SELF or (stage in sheets and sheets[stage].total > 0)]


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def stage_bars(rows: Sequence[tuple[str, str]], sheets: Mapping[str, ScoreSheet], maxima: Mapping[str, int],
               label_width: int = 0, labelled_by: str = "") -> Markup:
    """Horizontal bars per row, one per drawn stage (self, DP3A, province), against the row's maximum,
    with the self-assessed share printed at the end. `rows` are (code, label); scores in cents;
    `labelled_by`: the id of the heading that names the chart. (`label_width` is no longer used: the
    label has its own line.)"""
    stages = [(stage, fill) for stage, fill in STAGE_FILLS if stage in drawn_stages(sheets)]
    plot = WIDTH - VALUE_WIDTH
    bars = len(stages) * BAR_HEIGHT
    step = LABEL_LINE + bars + GAP
    height = len(rows) * step + 4
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{escape(labelled_by)}" '
           f'preserveAspectRatio="xMinYMin meet">']
    for i, (code, label) in enumerate(rows):
        y0 = i * step
        top = y0 + LABEL_LINE
        maximum = maxima[code] or 1
        share = round(100 * _value(sheets[Stage.SELF], code) / maximum)
        out.append(f'<g><title>{escape(str(label))}</title>'
                   f'<text x="0" y="{y0 + LABEL_LINE - 6}" class="chart-label">{escape(_short(str(label)))}</text>'
                   f'<rect x="0" y="{top}" width="{plot}" height="{bars}" fill="none" stroke="#999" '
                   f'stroke-dasharray="2 2"/>')
        for j, (stage, fill) in enumerate(stages):
            width = round(plot * _value(sheets[stage], code) / maximum, 1)
            out.append(f'<rect x="0" y="{top + j * BAR_HEIGHT}" width="{width}" height="{BAR_HEIGHT - 1}" '
                       f'fill="{fill}" stroke="#000" stroke-width="0.8"/>')
        out.append(f'<text x="{plot + 6}" y="{top + bars - 1}" class="chart-value">{share}%</text></g>')
    out.append("</svg>")
    return Markup("".join(out))


def stage_legend(sheets: Mapping[str, ScoreSheet]) -> Markup:
    """The key of the bars: one entry per drawn stage, and a word on the stages not drawn yet."""
    drawn = drawn_stages(sheets)
    keys = "".join(f'<span class="legend-item"><span class="key key-{stage}"></span> {escape(_(STAGE_NAMES[stage]))}'
                   '</span>' for stage in drawn)
    missing = [stage for stage, _fill in STAGE_FILLS if stage not in drawn]
    note = ""
    if missing:
        names = ", ".join(_(STAGE_NAMES[stage]) for stage in missing)
        text = _("No bar yet for: %(stages)s (no points given yet).") % {"stages": names}
        note = f' <span class="hint">{escape(text)}</span>'
    text = _("The percentage is the self-assessed share of the maximum.")
    share = f' <span class="hint">{escape(text)}</span>'
    return Markup(f'<p class="legend">{keys}{note}{share}</p>')
