"""SVG charts: valid XML, bars proportional to the values, labels escaped, values described."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.web.charts import LABEL_WIDTH, VALUE_WIDTH, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_proportional_and_described() -> None:
    svg = bar_chart([("human_requested", 4), ("bot_failed", 2), ("complaint", 0)], title="Why")
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("aria-label") == "Why"
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    full = 520 - LABEL_WIDTH - VALUE_WIDTH
    assert widths == [full, full / 2, 0.0]
    assert root.find(f"{SVG}desc").text == "human_requested: 4; bot_failed: 2; complaint: 0"


def test_units_decimals_and_escaping() -> None:
    svg = str(bar_chart([("<Navigli & Isola>", 12.5)], title='a "b"', unit=" min"))
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["<Navigli & Isola>", "12.5 min"]
    assert "<Navigli" not in svg.replace("&lt;Navigli", "")


def test_empty_bar_chart_is_still_an_image() -> None:
    root = ET.fromstring(str(bar_chart([], title="Nothing")))
    assert root.find(f"{SVG}title").text == "Nothing" and not list(root.iter(f"{SVG}rect"))


def test_line_points_rise_with_the_values() -> None:
    points = [("03-02", 1), ("03-03", 4), ("03-04", 2)]
    root = ET.fromstring(str(line_chart(points, title="Conversations per day")))
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]
    assert ys[1] < ys[2] < ys[0]  # SVG y grows downwards: the biggest value is highest
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "03-02" in labels and "03-04" in labels
    polyline = root.find(f"{SVG}polyline").get("points")
    assert len(polyline.split()) == 3
