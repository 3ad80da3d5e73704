"""Charts drawn on the server as SVG (no script): the pledge target's progress.

Drawn with classes only (colours in ipfin.css), so the page needs no inline style. Text is in
Chinese; the chart carries a <title> and <desc> for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 20, 44


def amount_text(fen: float) -> str:
    yuan = fen / 100
    if abs(yuan) >= 1e8:
        return f"{yuan / 1e8:.2f} 亿元"
    if abs(yuan) >= 1e4:
        return f"{yuan / 1e4:,.0f} 万元"
    return f"¥{yuan:,.0f}"


def _month_end(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    first_next = date(year + mon // 12, mon % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _nice_step(top: float) -> float:
    raw = top / 5
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


@dataclass(frozen=True)
class _Scale:
    start: date
    end: date
    top: float

    def x(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - self.start).days / span

    def y(self, value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / self.top)


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _text(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'


def pledge_chart(progress: dict[str, Any]) -> Markup:
    """Cumulative registered amount by month, the target line, and the projection band (10th–90th
    percentile of the total at the deadline, from today's achieved amount) to the deadline."""
    target = progress["target"]
    start, deadline, as_of = target["window_start"], target["deadline"], progress["as_of"]
    figure, achieved = progress["figure"], progress["achieved"]
    projection = progress.get("projection") or {}
    band = projection.get("status") == "projected" and projection.get("total_p10") is not None
    top = max(figure, achieved, projection.get("total_p90") or 0 if band else 0) * 1.12 or 1
    scale = _Scale(start, deadline, top)
    today = min(as_of, deadline)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(target["name"])}：累计登记金额与目标</title>',
        f'<desc id="chart-desc">截至{today.isoformat()}累计{escape(amount_text(achieved))}，'
        f"目标{escape(amount_text(figure))}，期限{deadline.isoformat()}</desc>",
    ]
    step = _nice_step(top)
    value = 0.0
    while value <= top:
        y = scale.y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(_text(LEFT - 8, y + 4, amount_text(value), "axis", "end"))
        value += step
    for year in range(start.year, deadline.year + 1):
        for month in (1, 7):
            tick = date(year, month, 1)
            if start <= tick <= deadline:
                x = scale.x(tick)
                parts.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" class="grid"/>'
                    + _text(x, HEIGHT - BOTTOM + 18, f"{year}年{month}月", "axis", "middle")
                )
    if band:
        p10, p90 = projection["total_p10"], projection["total_p90"]
        cone = [
            (scale.x(today), scale.y(achieved)),
            (scale.x(deadline), scale.y(p90)),
            (scale.x(deadline), scale.y(p10)),
        ]
        parts.append(f'<polygon points="{_points(cone)}" class="band"/>')
        expected = projection.get("expected_total") or achieved
        parts.append(
            f'<line x1="{scale.x(today):.1f}" y1="{scale.y(achieved):.1f}" x2="{scale.x(deadline):.1f}" '
            f'y2="{scale.y(expected):.1f}" class="expected"/>'
        )
    y_target = scale.y(figure)
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y_target:.1f}" y2="{y_target:.1f}" class="target"/>')
    parts.append(_text(LEFT + 6, y_target - 6, f"目标 {amount_text(figure)}", "label target-label"))
    line = [(scale.x(start), scale.y(0))]
    for month in progress["monthly"]:
        end = min(_month_end(month["month"]), today)
        line.append((scale.x(end), scale.y(month["cumulative_fen"])))
    line.append((scale.x(today), scale.y(achieved)))
    parts.append(f'<polyline points="{_points(line)}" class="achieved"/>')
    x_today = scale.x(today)
    parts.append(f'<line x1="{x_today:.1f}" x2="{x_today:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" class="today"/>')
    parts.append(_text(x_today - 4, scale.y(achieved) - 8, f"已完成 {amount_text(achieved)}", "label", "end"))
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" class="axis-line"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" class="axis-line"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar(share: float) -> Markup:
    """A horizontal progress bar (SVG, so its width needs no inline style)."""
    filled = max(0.0, min(share, 1.0)) * 100
    return Markup(
        '<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" '
        f'xmlns="http://www.w3.org/2000/svg"><rect width="100" height="8" class="bar-bg"/>'
        f'<rect width="{filled:.1f}" height="8" class="bar-fill{" done" if share >= 1 else ""}"/></svg>'
    )


def survival_chart(p1: float, p3: float, p5: float) -> Markup:
    """Probability that the patent is still maintained 0, 1, 3 and 5 years on (the valuation's
    survival model), as a line with its points labelled."""
    width, height, left, bottom, top, right = 360, 180, 44, 30, 26, 16
    points = [(0, 1.0), (1, p1), (3, p3), (5, p5)]

    def x(year: float) -> float:
        return left + (width - left - right) * year / 5

    def y(p: float) -> float:
        return top + (height - top - bottom) * (1 - p)

    parts = [
        f'<svg class="chart survival" viewBox="0 0 {width} {height}" role="img" aria-label="维持概率：1年{p1:.0%}，'
        f'3年{p3:.0%}，5年{p5:.0%}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for p in (0, 0.5, 1):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(p):.1f}" y2="{y(p):.1f}" class="grid"/>')
        parts.append(_text(left - 6, y(p) + 4, f"{p:.0%}", "axis", "end"))
    for year in (0, 1, 3, 5):
        parts.append(_text(x(year), height - bottom + 16, "今天" if year == 0 else f"{year}年后", "axis", "middle"))
    parts.append(f'<polyline points="{_points([(x(t), y(p)) for t, p in points])}" class="achieved"/>')
    for t, p in points[1:]:
        parts.append(f'<circle cx="{x(t):.1f}" cy="{y(p):.1f}" r="4" class="dot"/>')
        parts.append(_text(x(t), y(p) - 8, f"{p:.0%}", "label", "middle"))
    parts.append("</svg>")
    return Markup("".join(parts))
