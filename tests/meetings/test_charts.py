"""The server-side SVG charts: well-formed, with the CJK font on every <svg>, labels
escaped, bars and points where the values say."""
import xml.etree.ElementTree as ET

from crm.meetings.charts import FONT, bar_chart, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_bar_chart_is_svg_with_the_cjk_font_and_proportional_bars():
    svg = bar_chart([("经济和信息化局", 8), ("<自然资源局>", 2), ("住建局", 0)],
                    title="超期问题", testid="chart-red")
    root = ET.fromstring(str(svg))  # well-formed XML; the label was escaped
    assert root.get("font-family") == FONT
    assert root.find("svg:title", NS).text == "超期问题"
    assert root.get("data-testid") == "chart-red"
    bars = root.findall("svg:rect", NS)
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == 4 * widths[1] and widths[2] == 0
    texts = [t.text for t in root.findall("svg:text", NS)]
    assert "<自然资源局>" in texts and "8" in texts
    assert bars[0].find("svg:title", NS).text == "经济和信息化局: 8"


def test_long_labels_are_shortened_but_kept_in_the_tooltip():
    root = ET.fromstring(str(bar_chart([("市场监督管理局高新区分局", 3)], title="t")))
    assert root.findall("svg:text", NS)[0].text == "市场监督管理局高…"
    assert root.find("svg:rect/svg:title", NS).text == "市场监督管理局高新区分局: 3"


def test_line_chart_points_and_legend():
    svg = line_chart(["8月", "9月", "10月"], [("提出", [1, 3, 6]), ("办结", [0, 1, 4])],
                     title="各月问题提出与办结情况")
    root = ET.fromstring(str(svg))
    assert root.get("font-family") == FONT
    lines = root.findall("svg:polyline", NS)
    assert len(lines) == 2
    ys = [float(p.split(",")[1]) for p in lines[0].get("points").split()]
    assert ys[0] > ys[1] > ys[2]  # rising values are drawn higher (smaller y)
    texts = [t.text for t in root.findall("svg:text", NS)]
    assert {"8月", "9月", "10月", "提出", "办结", "6", "4"} <= set(texts)


def test_empty_and_zero_data_do_not_break():
    assert "<svg" in bar_chart([], title="空")
    root = ET.fromstring(str(line_chart(["1月"], [("提出", [0])], title="零")))
    assert root.find("svg:polyline", NS) is not None
