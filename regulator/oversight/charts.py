"""Bar charts drawn on the server as inline SVG: no JavaScript, no front-end build, readable on a phone.

Horizontal bars, because region and department names are long and a phone is narrow; every bar is a link to
the rows it counts, and carries its figure as text (the chart does not depend on colour alone).
"""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

PALETTE = ["#2563eb", "#f59e0b", "#16a34a", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
# Colours that carry meaning, as the badges do everywhere else: compliant green, partial amber, non-compliant red,
# and the darker red of the gravest level (重点 among the risk levels: static/css/app.css `.badge.risk-key`).
TONES = {"ok": "#16a34a", "warn": "#f59e0b", "danger": "#dc2626", "severe": "#7a271a", "neutral": "#94a3b8"}
WIDTH = 640
LABEL_WIDTH = 150
VALUE_ROOM = 64
BAR = 14
GAP = 3
GROUP_GAP = 10
FONT = 12


def _number(value) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _truncate(text: str, limit: int = 11) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _colours(count: int, tones) -> list[str]:
    """One colour per series: its tone's where it has one; the palette's in order, skipping the tones' own
    colours, for the rest (so a plain series never looks like a compliant or a failing one)."""
    tones = list(tones or []) + [None] * count
    plain = iter([colour for colour in PALETTE if colour not in TONES.values()] * (count + 1))
    return [TONES[tones[index]] if tones[index] in TONES else next(plain) for index in range(count)]


def _bar(x, y, width, height, color, url, tip) -> str:
    rect = (f'<rect x="{x:.1f}" y="{y}" width="{max(width, 0):.1f}" height="{height}" fill="{color}">'
            f"<title>{escape(tip)}</title></rect>")
    return f'<a href="{escape(url)}">{rect}</a>' if url else rect


def bar_chart(groups: list[tuple[str, list[tuple[object, str]]]], *, series: list[str], stacked: bool = False,
              title: str = "", tones: list[str | None] | None = None) -> str:
    """groups: [(label, [(value, url) per series])]. Grouped bars, or one stacked bar per group.
    tones: per series, a name of TONES (its meaning) or None for the next palette colour."""
    colours = _colours(len(series), tones)
    if not groups or not any(value for _label, values in groups for value, _url in values):
        return mark_safe(
            f'<svg class="chart chart-empty" viewBox="0 0 {WIDTH} 40" role="img" aria-label="{escape(title)}">'
            f'<text x="0" y="24" font-size="{FONT + 1}" fill="#6b7280">{escape(title)}：{escape(_("暂无数据"))}</text>'
            "</svg>"
        )
    scale_room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    if stacked:
        largest = max(sum(value or 0 for value, _url in values) for _label, values in groups) or 1
    else:
        largest = max((value or 0) for _label, values in groups for value, _url in values) or 1
    parts = []
    y = 4
    if len(series) > 1:  # legend
        x = 0
        for index, name in enumerate(series):
            text_width = 14 + FONT * len(name) + 12
            if x + text_width > WIDTH:
                x, y = 0, y + 18
            parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colours[index]}"/>'
                         f'<text x="{x + 14}" y="{y + 10}" font-size="{FONT}">{escape(name)}</text>')
            x += text_width
        y += 22
    for label, values in groups:
        height = BAR + 4 if stacked else len(values) * (BAR + GAP) - GAP
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + height / 2 + FONT / 2 - 2:.1f}" font-size="{FONT}" '
                     f'text-anchor="end"><title>{escape(label)}</title>{escape(_truncate(label))}</text>')
        if stacked:
            x = LABEL_WIDTH
            for index, (value, url) in enumerate(values):
                width = scale_room * (value or 0) / largest
                if value:
                    parts.append(_bar(x, y, width, height, colours[index], url,
                                      f"{label} · {series[index]}：{_number(value)}"))
                x += width
            total = sum(value or 0 for value, _url in values)
            parts.append(f'<text x="{x + 4:.1f}" y="{y + height / 2 + FONT / 2 - 2:.1f}" font-size="{FONT}">'
                         f"{_number(total)}</text>")
        else:
            for index, (value, url) in enumerate(values):
                bar_y = y + index * (BAR + GAP)
                width = scale_room * (value or 0) / largest
                parts.append(_bar(LABEL_WIDTH, bar_y, width, BAR, colours[index], url,
                                  f"{label} · {series[index]}：{_number(value or 0)}"))
                parts.append(f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{bar_y + BAR - 3}" font-size="{FONT - 1}">'
                             f"{_number(value or 0)}</text>")
        y += height + GROUP_GAP
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {y}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )
