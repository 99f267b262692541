"""Small server-rendered SVG charts (bars and lines): no script, no CDN, readable offline.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a description listing every value,
so screen readers get the figures; labels are escaped. Sizes are in SVG units and the chart
scales to its container (``width: 100%`` in CSS, ``viewBox`` here).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 200
VALUE_WIDTH = 70
PALETTE = ("#2a7d5f", "#3a6ea5", "#c27c0e", "#a23b72", "#5d6d7e", "#7b8d2e")


def _fmt(value: float, unit: str) -> str:
    number = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{number}{unit}"


def _describe(rows: Sequence[tuple[str, float]], unit: str) -> str:
    return "; ".join(f"{label}: {_fmt(value, unit)}" for label, value in rows)


def bar_chart(
    rows: Sequence[tuple[str, float]], *, title: str, unit: str = "", width: int = 520
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, scaled to the largest value."""
    height = max(1, len(rows)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    top = max((value for _, value in rows), default=0) or 1
    span = width - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg class="chart bar" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(_describe(rows, unit))}</desc>",
    ]
    for index, (label, value) in enumerate(rows):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        length = round(span * max(value, 0) / top, 1)
        middle = y + BAR_HEIGHT / 2 + 4
        color = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{middle}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{color}" rx="3"><title>{escape(label)}: {_fmt(value, unit)}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" class="value">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    if not rows:
        parts.append(f'<text x="{width / 2}" y="20" text-anchor="middle">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 520,
    height: int = 180,
) -> Markup:
    """One line over ordered ``(label, value)`` points, with the first and last labels."""
    pad_x, pad_y = 36, 24
    top = max((value for _, value in points), default=0) or 1
    step = (width - 2 * pad_x) / max(1, len(points) - 1)
    plot = height - 2 * pad_y
    coords = [
        (round(pad_x + i * step, 1), round(height - pad_y - plot * max(v, 0) / top, 1))
        for i, (_, v) in enumerate(points)
    ]
    parts = [
        f'<svg class="chart line" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(_describe(points, unit))}</desc>",
        f'<line x1="{pad_x}" y1="{height - pad_y}" x2="{width - pad_x}" y2="{height - pad_y}" '
        'class="axis" stroke="#999"/>',
        f'<text x="{pad_x - 6}" y="{pad_y + 4}" text-anchor="end">{_fmt(top, unit)}</text>',
    ]
    if coords:
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>'
        )
        for (x, y), (label, value) in zip(coords, points, strict=True):
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{PALETTE[1]}">'
                f"<title>{escape(label)}: {_fmt(value, unit)}</title></circle>"
            )
        for (x, _), (label, _) in {0: (coords[0], points[0]), 1: (coords[-1], points[-1])}.values():
            parts.append(
                f'<text x="{x}" y="{height - 6}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
