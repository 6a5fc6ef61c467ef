"""The consent charts as SVG drawn on the server: no script, no image service, no library.

    rate_chart(series, labels)         one line per activity: its consent rate per week
    withdrawal_chart(weeks, labels)    one stacked bar per week: withdrawals by method
                                       (also the requests page's requests per kind)
    value_chart(weeks, lines, labels)  one line per series of numbers per week (the
                                       requests page's days to answer)

Each drawing is ``role="img"`` named by its ``<title>`` and described by its ``<desc>``
(WCAG 1.1.1); the page puts a table with every figure under it, so nothing is only in the
picture. The colours have at least 3:1 contrast on white (WCAG 1.4.11) and the lines also
differ by marker and dash, so colour is never the only difference (WCAG 1.4.1). Every text
drawn is escaped here: activity names come from the policy file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from markupsafe import Markup, escape

from privaat.domain.consent_weeks import ActivitySeries, MethodWeek

__all__ = ["PALETTE", "ChartText", "rate_chart", "value_chart", "withdrawal_chart"]

# contrast on #ffffff: 7.8, 5.2, 5.5, 9.1, 8.1, 5.8, 12.6, 6.5 (WCAG 1.4.11 asks
# 3:1 of graphics); the gridlines are decoration, the axis and its labels #555555 (7.5:1)
PALETTE = (
    "#0b4fa8",
    "#b35000",
    "#00785a",
    "#8e0060",
    "#5a3d9e",
    "#7a6400",
    "#333333",
    "#b3261e",
)
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "", "6 3", "2 3", "8 3 2 3")
_WIDTH, _LEFT, _RIGHT, _TOP, _PLOT = 720, 56, 16, 16, 220
# drawn at the column's width (46rem less padding); a narrow screen scrolls the chart inside
# its region rather than shrinking its text below reading size
_SHOWN = 700
_AXIS = "#555555"  # 7.5:1 on white
_GRID = "#d0d0d0"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True, slots=True)
class ChartText:
    """What a chart says, already in the page's language."""

    ident: str  # the id its title and description carry
    title: str
    desc: str
    names: Mapping[str, str]  # series key (activity id or method) → its name
    percent: Callable[[Fraction], str]  # 0.625 → "62,5 %" / "62.5%"


def _x(i: int, count: int) -> float:
    span = _WIDTH - _LEFT - _RIGHT
    return _LEFT + span * (i + 0.5) / count


def _y(share: float) -> float:
    return _TOP + _PLOT * (1 - share)


def _open(text: ChartText, height: int) -> list[str]:
    ident = escape(text.ident)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{ident}" '
        f'viewBox="0 0 {_WIDTH} {height}" width="{_SHOWN}" height="{height * _SHOWN // _WIDTH}" '
        f'aria-labelledby="{ident}-title {ident}-desc" {_FONT}>',
        f'<title id="{ident}-title">{escape(text.title)}</title>',
        f'<desc id="{ident}-desc">{escape(text.desc)}</desc>',
        f'<rect x="0" y="0" width="{_WIDTH}" height="{height}" fill="#ffffff"/>',
    ]


def _week_labels(weeks: Sequence[str]) -> list[str]:
    step = max(1, math.ceil(len(weeks) / 13))  # at most 13 labels: they never overlap
    out = []
    for i, week in enumerate(weeks):
        if i % step == 0 or i == len(weeks) - 1:
            x = _x(i, len(weeks))
            year, number = week.split("-")
            out.append(
                f'<text x="{x:.1f}" y="{_TOP + _PLOT + 16}" text-anchor="middle" '
                f'fill="{_AXIS}">{escape(number)}</text>'
            )
            if i == 0 or number == "W01":
                out.append(
                    f'<text x="{x:.1f}" y="{_TOP + _PLOT + 30}" text-anchor="middle" '
                    f'fill="{_AXIS}">{escape(year)}</text>'
                )
    return out


def _marker(shape: int, x: float, y: float, colour: str) -> str:
    if shape % 4 == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if shape % 4 == 1:
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape % 4 == 2:
        points = f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    points = (
        f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 4.5:.1f} {x - 4.5:.1f},{y:.1f}"
    )
    return f'<polygon points="{points}" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'


def _legend(keys: Sequence[str], names: Mapping[str, str], top: int, *, lines: bool) -> list[str]:
    out = []
    column = (_WIDTH - _LEFT - _RIGHT) / 2
    for n, key in enumerate(keys):
        x = _LEFT + column * (n % 2)
        y = top + 20 * (n // 2)
        colour = PALETTE[n % len(PALETTE)]
        if lines:
            dash = f' stroke-dasharray="{_DASHES[n % len(_DASHES)]}"' if _DASHES[n % 8] else ""
            out.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 24:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="2.5"{dash}/>'
            )
            out.append(_marker(n, x + 12, y, colour))
        else:
            out.append(
                f'<rect x="{x:.1f}" y="{y - 6:.1f}" width="24" height="12" fill="{colour}"/>'
            )
        out.append(
            f'<text x="{x + 32:.1f}" y="{y + 4:.1f}" fill="#1a1a1a">'
            f"{escape(names.get(key, key))}</text>"
        )
    return out


def _height(entries: int) -> int:
    return _TOP + _PLOT + 48 + 20 * math.ceil(entries / 2)


def rate_chart(series: Sequence[ActivitySeries], text: ChartText) -> Markup:
    """A line chart of each activity's consent rate per week (a gap where there is none)."""
    weeks = [str(f.week) for f in series[0].weeks] if series else []
    height = _height(len(series))
    parts = _open(text, height)
    for tick in (0, 25, 50, 75, 100):
        y = _y(tick / 100)
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{_AXIS if tick == 0 else _GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{_AXIS}">'
            f"{escape(text.percent(Fraction(tick, 100)))}</text>"
        )
    parts += _week_labels(weeks)
    for n, activity in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        dash = f' stroke-dasharray="{_DASHES[n % 8]}"' if _DASHES[n % 8] else ""
        name = text.names.get(activity.activity, activity.activity)
        parts.append(f'<g class="series" data-activity="{escape(activity.activity)}">')
        run: list[str] = []
        points = []
        for i, figures in enumerate(activity.weeks):
            rate = figures.rate
            if rate is None:  # nobody had chosen yet: no point, and the line breaks
                if len(run) > 1:
                    parts.append(_path(run, colour, dash))
                run = []
                continue
            x, y = _x(i, len(weeks)), _y(float(rate))
            run.append(f"{x:.1f},{y:.1f}")
            points.append((x, y, figures.week, rate))
        if len(run) > 1:
            parts.append(_path(run, colour, dash))
        for x, y, week, rate in points:
            parts.append(
                f'<g data-week="{week}" data-rate="{float(rate):.4f}">'
                f"<title>{escape(name)}, {week}: {escape(text.percent(rate))}</title>"
                f"{_marker(n, x, y, colour)}</g>"
            )
        parts.append("</g>")
    parts += _legend([s.activity for s in series], text.names, _TOP + _PLOT + 48, lines=True)
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704  (every text in it was escaped above)


def _path(run: list[str], colour: str, dash: str) -> str:
    return (
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
        f'stroke-width="2.5" stroke-linejoin="round"{dash}/>'
    )


def _axis_step(value: int) -> int:
    """The gap between gridlines: 1, 2 or 5 × a power of ten, so at most 5 steps reach ``value``."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if value <= 5 * step:
                return step
        power *= 10


def withdrawal_chart(
    weeks: Sequence[MethodWeek], methods: Sequence[str], text: ChartText
) -> Markup:
    """A stacked bar per week: the withdrawals of every activity, split by method."""
    height = _height(len(methods))
    parts = _open(text, height)
    highest = max((w.total for w in weeks), default=0)
    step = _axis_step(highest)
    ticks = max(1, math.ceil(highest / step))
    top = step * ticks
    for k in range(ticks + 1):
        y = _y(k / ticks)
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{_AXIS if k == 0 else _GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{_AXIS}">'
            f"{k * step}</text>"
        )
    parts += _week_labels([str(w.week) for w in weeks])
    span = (_WIDTH - _LEFT - _RIGHT) / max(len(weeks), 1)
    bar = min(36.0, span * 0.7)
    colours = {m: PALETTE[n % len(PALETTE)] for n, m in enumerate(methods)}
    for i, week in enumerate(weeks):
        x = _x(i, len(weeks)) - bar / 2
        base = 0
        parts.append(f'<g class="bar" data-week="{week.week}" data-total="{week.total}">')
        for method, count in week.by_method:
            if count == 0:
                continue
            y0, y1 = _y(base / top), _y((base + count) / top)
            name = escape(text.names.get(method, method))
            parts.append(
                f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{y0 - y1:.1f}" '
                f'fill="{colours[method]}" stroke="#ffffff" stroke-width="1" '
                f'data-method="{escape(method)}" data-count="{count}">'
                f"<title>{week.week}, {name}: {count}</title></rect>"
            )
            base += count
        parts.append("</g>")
    parts += _legend(list(methods), text.names, _TOP + _PLOT + 48, lines=False)
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704  (every text in it was escaped above)


def value_chart(
    weeks: Sequence[str],
    lines: Sequence[tuple[str, Sequence[float | None]]],
    text: ChartText,
) -> Markup:
    """A line per series of numbers per week on a count axis from 0 (a gap where a week
    has no value); ``lines`` are (key, one value or None per week), named by ``text.names``."""
    height = _height(len(lines))
    parts = _open(text, height)
    highest = max((v for _key, values in lines for v in values if v is not None), default=0)
    step = _axis_step(max(1, math.ceil(highest)))
    ticks = max(1, math.ceil(highest / step))
    top = step * ticks
    for k in range(ticks + 1):
        y = _y(k / ticks)
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{_AXIS if k == 0 else _GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{_AXIS}">'
            f"{k * step}</text>"
        )
    parts += _week_labels(list(weeks))
    for n, (key, values) in enumerate(lines):
        colour = PALETTE[n % len(PALETTE)]
        dash = f' stroke-dasharray="{_DASHES[n % 8]}"' if _DASHES[n % 8] else ""
        name = escape(text.names.get(key, key))
        parts.append(f'<g class="series" data-series="{escape(key)}">')
        run: list[str] = []
        points = []
        for i, value in enumerate(values):
            if value is None:
                if len(run) > 1:
                    parts.append(_path(run, colour, dash))
                run = []
                continue
            x, y = _x(i, len(weeks)), _y(value / top)
            run.append(f"{x:.1f},{y:.1f}")
            points.append((x, y, weeks[i], value))
        if len(run) > 1:
            parts.append(_path(run, colour, dash))
        for x, y, week, value in points:
            shown = escape(text.percent(Fraction(value).limit_denominator(100)))
            parts.append(
                f'<g data-week="{escape(week)}" data-value="{value:g}">'
                f"<title>{name}, {escape(week)}: {shown}</title>{_marker(n, x, y, colour)}</g>"
            )
        parts.append("</g>")
    parts += _legend([key for key, _values in lines], text.names, _TOP + _PLOT + 48, lines=True)
    parts.append("</svg>")
    return Markup("\n".join(parts))  # noqa: S704  (every text in it was escaped above)
