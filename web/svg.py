"""Charts drawn as inline SVG in the page: no image round-trip, sharp on any screen, the
text selectable, and the colours those of the chat's PNG charts (handlers/coordination/charts.py).

Labels sit above their bar. Text in an SVG scales with the drawing, so each chart is
drawn twice, for a phone's width and a desktop card's (`pair`), and CSS shows the one
that fits: the text stays at the page's size on both. Every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from markupsafe import Markup, escape

from handlers.coordination.charts import COLOURS

WIDTH = 360
"""A phone's drawing; a desktop's is as wide as its card (see `pair`)."""
LABEL = 16
BAR = 14
GAP = 10
FUNNEL = "#2f6fde"
LATE = "#c62f3b"


def pair(draw: Callable[[int], Markup], wide: int) -> Markup:
    """The chart for a phone and for a desktop; CSS (base.html) shows one of them."""
    return Markup(f'<div class="chart-narrow">{draw(WIDTH)}</div><div class="chart-wide">{draw(wide)}</div>')


def _svg(height: int, body: list[str], title: str, width: int = WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img"'
        f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}"'
            f' font-size="13" fill="currentColor">{escape(text)}</text>')


def _short(text: str, limit: int = 46) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def funnel(steps: Sequence[tuple[str, int]], title: str, w: int = WIDTH) -> Markup:
    """One bar per step, as wide as its share of the first step, the count and share beside."""
    top = max((n for _, n in steps), default=0) or 1
    first = steps[0][1] if steps else 0
    body: list[str] = []
    y = 4
    for label, count in steps:
        share = f" · {round(100 * count / first)}%" if first else ""
        body.append(_text(0, y + 12, _short(label)))
        body.append(_text(w, y + 12, f"{count}{share}", anchor="end", cls="num"))
        width = max(2.0, (w) * count / top) if count else 0
        body.append(f'<rect x="0" y="{y + LABEL + 2}" width="{w}" height="{BAR}" rx="4"'
                    ' fill="currentColor" fill-opacity=".08"/>')
        if width:
            body.append(f'<rect x="0" y="{y + LABEL + 2}" width="{width:.1f}" height="{BAR}" rx="4"'
                        f' fill="{FUNNEL}"/>')
        y += LABEL + BAR + GAP
    return _svg(y, body, title, w)


def stacked(rows: Sequence[tuple[str, Sequence[int]]], legend: Sequence[str], title: str,
            w: int = WIDTH) -> Markup:
    """One bar per row split into its parts (done / working / not started), a legend on top."""
    body = _legend(legend, COLOURS)
    y = 26
    for label, parts in rows:
        total = sum(parts)
        body.append(_text(0, y + 12, _short(label)))
        body.append(_text(w, y + 12, " / ".join(str(p) for p in parts), anchor="end", cls="num"))
        x = 0.0
        body.append(f'<rect x="0" y="{y + LABEL + 2}" width="{w}" height="{BAR}" rx="4"'
                    ' fill="currentColor" fill-opacity=".06"/>')
        for value, colour in zip(parts, COLOURS, strict=False):
            if total and value:
                width = w * value / total
                body.append(f'<rect x="{x:.1f}" y="{y + LABEL + 2}" width="{width:.1f}" height="{BAR}"'
                             f' fill="{colour}"/>')
                x += width
        y += LABEL + BAR + GAP
    return _svg(y, body, title, w)


def _legend(names: Sequence[str], colours: Sequence[str]) -> list[str]:
    body, x = [], 0.0
    for name, colour in zip(names, colours, strict=False):
        body.append(f'<rect x="{x:.1f}" y="4" width="12" height="12" rx="3" fill="{colour}"/>')
        body.append(_text(x + 16, 14, name))
        x += 16 + 7.2 * len(name) + 14
    return body


def grouped(labels: Sequence[str], start: Sequence[int], end: Sequence[int], legend: Sequence[str],
            title: str, w: int = WIDTH) -> Markup:
    """Per label two bars, start against end (the level shift between the two sittings)."""
    colours = (COLOURS[2], COLOURS[0])
    top = max([*start, *end, 1])
    body = _legend(legend, colours)
    y = 26
    for label, a, b in zip(labels, start, end, strict=True):
        body.append(_text(0, y + 12, _short(label)))
        body.append(_text(w, y + 12, f"{a} → {b}", anchor="end", cls="num"))
        for offset, value, colour in ((LABEL + 2, a, colours[0]), (LABEL + 2 + 9, b, colours[1])):
            width = w * value / top
            if value:
                body.append(f'<rect x="0" y="{y + offset}" width="{max(width, 2):.1f}" height="8" rx="3"'
                            f' fill="{colour}"/>')
        y += LABEL + 20 + GAP
    return _svg(y, body, title, w)


def share(done: int, total: int) -> Markup:
    """A small bar of one share (a team's stage): readable in a table cell."""
    width = 60
    part = width * done / total if total else 0
    return Markup(
        f'<svg class="mini" viewBox="0 0 {width} 8" width="{width}" height="8" aria-hidden="true">'
        f'<rect width="{width}" height="8" rx="3" fill="currentColor" fill-opacity=".1"/>'
        + (f'<rect width="{part:.1f}" height="8" rx="3" fill="{COLOURS[0]}"/>' if part else "")
        + "</svg>"
    )


def delivery(counts: Sequence[tuple[int, str]], title: str) -> Markup:
    """A broadcast's messages by outcome as one thin bar (delivered, waiting, failed...)."""
    total = sum(n for n, _ in counts)
    body = [f'<rect width="{WIDTH}" height="10" rx="4" fill="currentColor" fill-opacity=".08"/>']
    x = 0.0
    for value, colour in counts:
        if total and value:
            width = WIDTH * value / total
            body.append(f'<rect x="{x:.1f}" width="{width:.1f}" height="10" fill="{colour}"/>')
            x += width
    return Markup(f'<svg class="bar" viewBox="0 0 {WIDTH} 10" width="100%" height="10"'
                  f' preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
                  f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def timeline(items: Sequence[tuple[str, datetime | None, datetime | None, str]], now: datetime,
             ticks: Sequence[tuple[datetime, str]], title: str, w: int = WIDTH) -> Markup:
    """The programme on one time axis: a row per item, a span (opens → deadline) or a
    point (an event), today as a red line. `items`: (label, start, end, kind)."""
    moments = [m for _, a, b, _ in items for m in (a, b) if m is not None]
    if not moments:
        return Markup("")
    first, last = min([*moments, now]), max([*moments, now])
    span = (last - first).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        return 4 + (w - 8) * (moment - first).total_seconds() / span

    body: list[str] = []
    y = 4
    for label, start, end, kind in items:
        body.append(_text(0, y + 12, _short(label, 58)))
        bar_y = y + LABEL + 2
        body.append(f'<line x1="0" x2="{w}" y1="{bar_y + 6}" y2="{bar_y + 6}" stroke="currentColor"'
                    ' stroke-opacity=".12"/>')
        if kind == "event" and start is not None:
            body.append(f'<circle cx="{x(start):.1f}" cy="{bar_y + 6}" r="6" fill="{FUNNEL}"/>')
        elif start is not None and end is not None:
            left, right = sorted((x(start), x(end)))
            body.append(f'<rect x="{left:.1f}" y="{bar_y}" width="{max(right - left, 3):.1f}" height="12"'
                        f' rx="4" fill="{COLOURS[0]}" fill-opacity=".75"/>')
        if end is not None:
            body.append(f'<path d="M{x(end):.1f} {bar_y - 1} l6 7 -6 7 -6 -7z" fill="{COLOURS[1]}"/>')
        y += LABEL + 14 + GAP
    axis = y + 4
    body.append(f'<line x1="0" x2="{w}" y1="{axis}" y2="{axis}" stroke="currentColor"'
                ' stroke-opacity=".3"/>')
    for moment, text in ticks:
        if first <= moment <= last:
            body.append(f'<line x1="{x(moment):.1f}" x2="{x(moment):.1f}" y1="{axis}" y2="{axis + 4}"'
                        ' stroke="currentColor" stroke-opacity=".5"/>')
            body.append(_text(x(moment), axis + 16, text, anchor="middle", cls="tick"))
    body.append(f'<line x1="{x(now):.1f}" x2="{x(now):.1f}" y1="0" y2="{axis}" stroke="{LATE}"'
                ' stroke-width="1.5" stroke-dasharray="4 3"/>')
    return _svg(axis + 22, body, title, w)
