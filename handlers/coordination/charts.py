"""Progress charts as PNG bytes, drawn with matplotlib's Agg backend.

The figure is built with the object API (no pyplot global state), so rendering in a
worker thread (`asyncio.to_thread`) is safe and keeps the event loop answering.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

WIDTH_IN, HEIGHT_PER_ROW_IN, DPI = 8.0, 0.55, 100
COLOURS = ("#2e7d32", "#f9a825", "#cfd8dc")


def stage_bars(
    labels: Sequence[str], series: Sequence[Sequence[int]], legend: Sequence[str], title: str
) -> bytes:
    """Horizontal stacked bars, one row per stage, one colour per series; returns a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = max(3.0, 1.4 + HEIGHT_PER_ROW_IN * len(labels))
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for values, name, colour in zip(series, legend, COLOURS, strict=False):
        axes.barh(rows, values, left=left, color=colour, label=name)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(rows, [_short(label) for label in labels])
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize="small")
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def level_shift(
    labels: Sequence[str], start: Sequence[int], end: Sequence[int], legend: Sequence[str], title: str
) -> bytes:
    """Grouped bars per level: interns at it by the entry and by the exit diagnostic."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, 4.0), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    places = list(range(len(labels)))
    width = 0.38
    axes.bar([p - width / 2 for p in places], start, width, color=COLOURS[2], label=legend[0])
    axes.bar([p + width / 2 for p in places], end, width, color=COLOURS[0], label=legend[1])
    axes.set_xticks(places, [_short(label, 22) for label in labels])
    axes.set_title(title)
    axes.legend(loc="upper right", fontsize="small")
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
