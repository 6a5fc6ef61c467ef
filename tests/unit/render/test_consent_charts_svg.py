"""Issue 10 item 8: the consent charts are accessible images drawn here, and safe to draw."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from privaat.domain.consent_weeks import WeekRange, activity_series, method_weeks
from privaat.web.console.consent_charts import PALETTE, ChartText, rate_chart, withdrawal_chart

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
WEEKS = WeekRange.choose(weeks="3", until=None, now=NOW)


def _text(names: dict[str, str]) -> ChartText:
    return ChartText(
        ident="chart",
        title="Title <b>",
        desc="Desc & more",
        names=names,
        percent=lambda share: f"{float(share) * 100:.0f}%",
    )


def _contrast(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)  # WCAG 2.1 against white


def test_every_series_colour_has_3_to_1_contrast_on_white() -> None:
    assert all(_contrast(colour) >= 3 for colour in PALETTE)  # WCAG 1.4.11


def test_a_chart_is_an_image_named_by_its_title_and_description() -> None:
    svg = str(rate_chart(activity_series(["a"], WEEKS, {}, {}), _text({"a": "A"})))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" role="img"')
    assert 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Title &lt;b&gt;</title>' in svg
    assert '<desc id="chart-desc">Desc &amp; more</desc>' in svg


def test_a_name_from_the_policy_file_is_escaped() -> None:
    hostile = '<script>alert(1)</script>"'
    states = {("a", 0): (1, 2)}
    svg = str(rate_chart(activity_series(["a"], WEEKS, {}, states), _text({"a": hostile})))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    bars = method_weeks(["m"], WEEKS, {(1, "m"): 2})
    svg = str(withdrawal_chart(bars, ["m"], _text({"m": hostile})))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_weeks_without_a_rate_draw_no_point_and_break_the_line() -> None:
    states = {("a", 0): (1, 2), ("a", 2): (1, 1)}  # week 1: nobody had chosen
    svg = str(rate_chart(activity_series(["a"], WEEKS, {}, states), _text({"a": "A"})))
    assert re.findall(r'data-rate="([0-9.]+)"', svg) == ["0.5000", "1.0000"]
    assert "<polyline" not in svg  # two lone points, no line across the gap
    assert "50%" in svg and "100%" in svg


def test_bars_stack_the_methods_and_the_axis_reaches_the_highest_week() -> None:
    bars = method_weeks(["x", "y"], WEEKS, {(0, "x"): 3, (0, "y"): 4, (2, "y"): 1})
    svg = str(withdrawal_chart(bars, ["x", "y"], _text({"x": "X", "y": "Y"})))
    assert re.findall(r'data-total="(\d+)"', svg) == ["7", "0", "1"]
    assert re.findall(r'data-method="(\w)" data-count="(\d+)"', svg) == [
        ("x", "3"),
        ("y", "4"),
        ("y", "1"),
    ]
    labels = re.findall(r'text-anchor="end" fill="#555555">(\d+)</text>', svg)
    assert labels == ["0", "2", "4", "6", "8"]  # steps of 2 up to 8 ≥ 7
    # the plot is 220 units high and its top is 8: 3 → 82.5 units, 4 → 110
    assert re.findall(r'height="([0-9.]+)" fill="#[0-9a-f]+" stroke', svg)[:2] == ["82.5", "110.0"]
