import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from outlet_audit.dashboards import charts
from outlet_audit.dashboards.charts import bar_chart, donut_chart, format_number, line_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & 顺丰 \"quoted\" 'single'"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is well-formed


def by_class(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [element for element in root.iter() if css_class in element.get("class", "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def number(element: ET.Element, attribute: str) -> float:
    return float(element.get(attribute))


ALL_CHARTS = [
    pytest.param(lambda data, **kw: bar_chart(data, **kw), id="bar"),
    pytest.param(lambda data, **kw: line_chart(data, **kw), id="line"),
    pytest.param(lambda data, **kw: donut_chart(data, **kw), id="donut"),
]


@pytest.mark.parametrize("draw", ALL_CHARTS)
def test_hostile_labels_and_title_are_escaped_and_the_svg_parses(draw):
    svg = draw([(HOSTILE, 3), ("A&B", 1)], title=HOSTILE, empty_text="暂无数据")

    root = parse(svg)
    assert "<script" not in svg.lower()
    assert not list(root.iter(f"{SVG}script"))
    assert root.get("aria-label") == HOSTILE
    assert root.find(f"{SVG}title").text == HOSTILE
    assert HOSTILE in root.find(f"{SVG}desc").text
    assert "A&B: 1" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize("draw", ALL_CHARTS)
@pytest.mark.parametrize("data", [[], [("奉贤", 4), ("青浦", 2)]], ids=["empty", "data"])
def test_no_inline_script_handlers_or_styles(draw, data):
    root = parse(draw(data, title="标题", empty_text="暂无数据"))

    for element in root.iter():
        assert not any(name.lower().startswith("on") for name in element.attrib), element.attrib
        assert "style" not in element.attrib
        assert element.tag not in {f"{SVG}script", f"{SVG}foreignObject", f"{SVG}style"}


@pytest.mark.parametrize("draw", ALL_CHARTS)
def test_chart_is_an_accessible_image_that_scales_to_its_container(draw):
    root = parse(draw([("奉贤", 4)], title="各区网点数", empty_text="暂无数据"))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "各区网点数"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert re.fullmatch(r"0 0 \d+ \d+(\.\d)?", root.get("viewBox"))


@pytest.mark.parametrize("draw", ALL_CHARTS)
def test_empty_data_shows_the_callers_text(draw):
    root = parse(draw([], title="证书状态", empty_text="暂无数据"))

    assert [element.text for element in by_class(root, "chart-empty")] == ["暂无数据"]
    assert not by_class(root, "chart-bar") and not by_class(root, "chart-point")
    assert root.get("aria-label") == "证书状态"


def test_control_characters_in_labels_do_not_break_the_xml():
    root = parse(bar_chart([("网点\x00\x0b名", 1)], title="t\x1f", empty_text="-"))

    assert "网点名" in texts(root)[1]


def test_bar_lengths_are_proportional_and_labelled_with_values():
    root = parse(bar_chart([("奉贤", 10), ("青浦", 5), ("崇明", 0)], title="网点", empty_text="-"))

    bars = by_class(root, "chart-bar")
    widths = [number(bar, "width") for bar in bars]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    assert widths[2] == 0
    assert [element.text for element in by_class(root, "chart-value")] == ["10", "5", "0"]
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["奉贤: 10", "青浦: 5", "崇明: 0"]


def test_bar_chart_of_zeros_draws_empty_bars_without_dividing_by_zero():
    root = parse(bar_chart([("奉贤", 0), ("青浦", 0)], title="网点", empty_text="暂无数据"))

    assert [number(bar, "width") for bar in by_class(root, "chart-bar")] == [0, 0]
    assert not by_class(root, "chart-empty")


def test_bar_chart_keeps_decimal_places_and_groups_thousands():
    root = parse(bar_chart([("平均分", Decimal("87.50")), ("件数", 12345)], title="t", empty_text="-"))

    assert [element.text for element in by_class(root, "chart-value")] == ["87.50", "12,345"]


def test_bar_chart_height_grows_with_the_number_of_bars():
    few = parse(bar_chart([("a", 1)] * 2, title="t", empty_text="-"))
    many = parse(bar_chart([("a", 1)] * 16, title="t", empty_text="-"))

    assert float(many.get("viewBox").split()[3]) > float(few.get("viewBox").split()[3])


def test_long_label_is_shortened_on_screen_but_kept_whole_in_its_tooltip():
    name = "上海市奉贤区南桥镇某某某某某某某某某某某某快递服务有限公司营业部"
    root = parse(bar_chart([(name, 3)], title="t", empty_text="-", show_title=False))

    label = by_class(root, "chart-axis-label")[0]
    assert label.text.endswith("…") and len(label.text) < len(name)
    assert label.find(f"{SVG}title").text == name


def test_negative_bar_is_drawn_at_zero_but_labelled_with_its_value():
    root = parse(bar_chart([("a", 4), ("b", -2)], title="t", empty_text="-"))

    assert number(by_class(root, "chart-bar")[1], "width") == 0
    assert by_class(root, "chart-value")[1].text == "-2"


def test_line_chart_places_higher_values_higher_with_a_zero_based_axis():
    months = [("2025-01", 2), ("2025-02", 8), ("2025-03", 5)]
    root = parse(line_chart(months, title="每月申报", empty_text="-"))

    points = by_class(root, "chart-point")
    heights = [number(point, "cy") for point in points]
    assert heights[1] < heights[2] < heights[0]  # SVG y grows downwards
    assert [number(point, "cx") for point in points] == sorted(number(point, "cx") for point in points)
    axis = [element.text for element in by_class(root, "chart-axis-label")]
    assert "0" in axis and "2025-01" in axis and "2025-03" in axis
    assert len(by_class(root, "chart-line")) == 1


def test_line_chart_axis_covers_the_largest_value_with_whole_numbers():
    root = parse(line_chart([("1月", 3), ("2月", 17)], title="t", empty_text="-"))

    ticks = [
        int(line.text.replace(",", ""))
        for line in by_class(root, "chart-axis-label")
        if "月" not in line.text
    ]
    assert ticks[0] == 0 and ticks[-1] >= 17
    assert len(set(b - a for a, b in zip(ticks, ticks[1:], strict=False))) == 1


def test_line_chart_of_zeros_sits_on_the_axis():
    root = parse(line_chart([("1月", 0), ("2月", 0), ("3月", 0)], title="t", empty_text="-"))

    assert len({point.get("cy") for point in by_class(root, "chart-point")}) == 1


def test_line_chart_with_one_point_centres_it():
    root = parse(line_chart([("2025-06", 4)], title="t", empty_text="-", width=600))

    assert 250 < number(by_class(root, "chart-point")[0], "cx") < 350


def test_line_chart_thins_month_labels_when_they_would_overlap():
    months = [(f"{year}-{month:02d}", month) for year in (2024, 2025, 2026) for month in range(1, 13)]
    root = parse(line_chart(months, title="t", empty_text="-"))

    shown = [element.text for element in by_class(root, "chart-axis-label") if "-" in (element.text or "")]
    assert shown[0] == "2024-01"
    assert 3 <= len(shown) < len(months)
    assert len(by_class(root, "chart-point")) == len(months)


def test_donut_segments_are_proportional_with_legend_percentages_and_total():
    states = [("有效", 6), ("已撤销", 3), ("已过期", 0), ("暂停", 1)]
    root = parse(donut_chart(states, title="证书状态", empty_text="-", centre_label="张证书"))

    segments = [element for element in by_class(root, "chart-part") if element.tag == f"{SVG}circle"]
    lengths = [float(segment.get("stroke-dasharray").split()[0]) for segment in segments]
    assert len(segments) == 3  # a zero part has no arc, only a legend entry
    assert lengths[0] == pytest.approx(2 * lengths[1], rel=0.01)
    assert lengths[0] == pytest.approx(6 * lengths[2], rel=0.01)
    legend = ["".join(element.itertext()) for element in by_class(root, "chart-legend")]
    assert legend == ["有效  6 (60%)", "已撤销  3 (30%)", "已过期  0 (0%)", "暂停  1 (10%)"]
    assert by_class(root, "chart-total")[0].text == "10"
    assert by_class(root, "chart-total-label")[0].text == "张证书"


def test_donut_of_zeros_shows_the_empty_text():
    root = parse(donut_chart([("有效", 0), ("暂停", 0)], title="t", empty_text="暂无证书"))

    assert [element.text for element in by_class(root, "chart-empty")] == ["暂无证书"]


def test_donut_colours_differ_between_parts():
    root = parse(donut_chart([("a", 1), ("b", 1), ("c", 1)], title="t", empty_text="-"))

    swatches = [element for element in by_class(root, "chart-part") if element.tag == f"{SVG}rect"]
    assert len({swatch.get("fill") for swatch in swatches}) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (1234567, "1,234,567"), (Decimal("87.50"), "87.50"), (Decimal("1E+3"), "1,000"), (-5, "-5")],
)
def test_format_number(value, expected):
    assert format_number(value) == expected


@pytest.mark.parametrize("width", [300, 480])
def test_a_long_legend_wraps_whole_and_the_chart_grows_for_it(width):
    long_name = "因网点地址变更而暂停使用的证书（待区局复核）"
    parts = [("有效", 6), (long_name, 2), ("Suspended pending the district bureau's review", 1)]
    root = parse(donut_chart(parts, title="证书状态", empty_text="-", width=width))
    entries = by_class(root, "chart-legend")
    texts = ["".join(line.text for line in entry) for entry in entries]
    assert texts[1].replace(" ", "") == f"{long_name}2(22%)"  # nothing cut, no ellipsis
    assert texts[2].replace(" ", "") == "Suspendedpendingthedistrictbureau'sreview1(11%)"
    assert len(entries[1]) > 1  # wrapped onto more lines
    height = float(root.get("viewBox").split()[3])
    for entry in entries:  # every line fits inside the drawing, across and down
        for line in entry:
            assert float(line.get("x")) + charts._text_width(line.text) <= width
        last_baseline = float(entry.get("y")) + sum(float(line.get("dy")) for line in entry)
        assert last_baseline < height
