"""Geometry for the server-rendered SVG charts (no script: the CSP forbids inline JS)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    value: int | float | None
    text: str
    x: float
    y: float
    width: float
    height: float
    negative: bool = False


def horizontal_bars(items: list[tuple[str, int, str]], width: int = 640, label_width: int = 200,
                    row_height: int = 24) -> dict:
    """Bars for (label, value, text) items, scaled to the largest absolute value."""
    scale = max((abs(v) for _, v, _ in items), default=0) or 1
    room = width - label_width - 110
    bars = [Bar(label, value, text, label_width, i * row_height + 4, room * abs(value) / scale, row_height - 8,
                value < 0) for i, (label, value, text) in enumerate(items)]
    return {"bars": bars, "width": width, "height": max(1, len(items)) * row_height + 8, "label_width": label_width}


def column_chart(items: list[tuple[str, float | None, str]], target: float | None = None, width: int = 640,
                 height: int = 220) -> dict:
    """Columns for (label, value or None, text) items, with an optional target line."""
    top = max([v for _, v, _ in items if v is not None] + ([target] if target else []) + [0]) * 1.15 or 1
    plot_h = height - 40
    step = width / max(1, len(items))
    bars = []
    for i, (label, value, text) in enumerate(items):
        h = plot_h * (value or 0) / top
        bars.append(Bar(label, value, text, i * step + step * 0.15, 10 + plot_h - h, step * 0.7, h))
    target_y = 10 + plot_h - plot_h * target / top if target else None
    return {"bars": bars, "width": width, "height": height, "baseline": 10 + plot_h, "target_y": target_y,
            "step": step}
