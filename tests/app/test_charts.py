"""The dashboard's bar chart: one bar per drawn stage per row, scaled to the row's maximum, each row
named on its own line; the legend lists exactly the stages drawn (issue 20, item 15)."""

from __future__ import annotations

from types import SimpleNamespace

from lxml import html

from app.charts import MAX_LABEL, VALUE_WIDTH, WIDTH, stage_bars, stage_legend


def _sheet(parts):
    return SimpleNamespace(parts=parts, indicators={}, total=sum(parts.values()))


def _sheets(province: int = 0):
    return {"self": _sheet({"I": 5000, "II": 0}), "dp3a": _sheet({"I": 2500, "II": 0}),
            "province": _sheet({"I": province, "II": 0})}


def test_bars_are_scaled_to_the_row_maximum_per_stage():
    svg = str(stage_bars([("I", "I"), ("II", "Klaster <II>")], _sheets(), {"I": 10000, "II": 0}, 0, "parts-title"))
    plot = WIDTH - VALUE_WIDTH
    widths = [float(w) for w in html.fromstring(svg).xpath("//*[@height='8']/@width")]  # the stage bars
    # The province has given no points: its bars are not drawn at all.
    assert widths == [plot / 2, plot / 4, 0.0, 0.0]
    assert ">50%</text>" in svg and ">0%</text>" in svg  # a zero maximum draws empty bars, not an error
    assert "Klaster &lt;II&gt;" in svg  # labels are escaped
    assert 'aria-labelledby="parts-title"' in svg and svg.count("<svg") == 1


def test_a_long_name_is_shortened_on_its_line_and_whole_in_its_title():
    name = "1 · " + "Penguatan Kelembagaan Kabupaten/Kota Layak Anak " * 2
    tree = html.fromstring(str(stage_bars([("I", name)], _sheets(), {"I": 10000}, 0, "t")))
    assert tree.xpath("string(//g/title)") == name
    label = tree.xpath("string(//text[@class='chart-label'])")
    assert len(label) <= MAX_LABEL and label.endswith("…") and name.startswith(label[:-1])


def test_the_legend_lists_the_drawn_stages_only():
    without = html.fromstring(str(stage_legend(_sheets(province=0))))
    assert [k.get("class") for k in without.xpath("//span[contains(@class, 'key ')]")] == ["key key-self",
                                                                                          "key key-dp3a"]
    assert without.xpath("//span[@class='hint']")  # says which stage has no bar yet
    with_province = html.fromstring(str(stage_legend(_sheets(province=100))))
    assert len(with_province.xpath("//span[contains(@class, 'key ')]")) == 3
    drawn = html.fromstring(str(stage_bars([("I", "I")], _sheets(province=100), {"I": 10000}, 0, "t")))
    assert len(drawn.xpath("//rect[@stroke='#000']")) == 3
