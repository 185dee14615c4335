"""The certificate as an A4 PDF: fpdf2, a Cyrillic font from a Python package, a QR code.

Pure: a `Sheet` (every text already in its language) in, PDF bytes out; no database, no
messenger. The same sheet always gives the same bytes (the creation date is the issue
date), so a certificate lost before it was stored can be drawn again identically.

WHY it is built the way it is (a bulk issue draws thousands; each step was measured, the
times are per certificate on a quiet 2-core machine, 27 ms before and 18.5 ms after):
- DejaVu (shipped by matplotlib, a dependency already, so nothing is assumed about system
  fonts) holds thousands of glyphs. It is cut once per process to the scripts a name can
  use (Latin, Cyrillic, punctuation), and so that fontTools reads it quickly (`_cut_fonts`);
  each PDF still embeds only the glyphs it prints. Most of what remains (13 ms) is fpdf2
  making that per-document subset with fontTools when it writes the file.
- `add_font` reads and parses the font file again for every document (2 ms). Each face is
  parsed once per process (`_faces`); a document gets a copy with its own subset.
- fpdf2 breaks lines a character at a time (5 ms). The paragraphs are the same on every
  certificate of a programme, so their lines are broken once (`_centered`).
"""

from __future__ import annotations

import atexit
import copy
import functools
import io
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import RenderStyle
from fpdf.fonts import SubsetMap, TTFFont

FONTS = {"serif": "DejaVuSerif.ttf", "serif-bold": "DejaVuSerif-Bold.ttf"}
CODEPOINTS = [
    *range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x400, 0x500), *range(0x2010, 0x2027),
    0x2039, 0x203A, 0x2116,
]
"""Latin with its Western and Central European letters, all of Cyrillic (Russian, Ukrainian,
Belarusian, Kazakh, Tatar... names), dashes, quotes and №."""

NAVY = (24, 45, 89)
GOLD = (176, 141, 62)
GREY = (90, 90, 90)
PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
FILL = RenderStyle.F
"""The enum itself, not "F": fpdf2 parses the string on each call, half the cost of a QR module run."""


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    position: str


@dataclass(frozen=True, slots=True)
class Sheet:
    """Everything printed on one certificate, already rendered in its language."""

    issuer: str
    title: str
    subtitle: str
    before_name: str
    name: str
    after_name: str
    number_line: str
    date_line: str
    verify_line: str
    qr_target: str
    signatures: tuple[Signature, ...] = ()
    logo: str | None = None
    background: str | None = None
    issued_at: datetime | None = None
    lang: str = "ru"
    keywords: tuple[str, ...] = field(default=())


_shared: Path | None = None
"""In a drawing process: the folder of faces the bot's process cut already."""
_cutting = threading.Lock()


def fonts_folder() -> Path:
    """The cut faces: the bot's process cuts them once (several threads asking at once wait
    for the one cut: each cut holds 20 MiB while it runs), a drawing process is given them."""
    if _shared is not None:
        return _shared
    with _cutting:
        return _cut_fonts()


def use_fonts(folder: Path) -> None:
    """A drawing process's start: read the faces the bot's process cut. Cutting its own would
    load the whole DejaVu files into every process, half a second and 20 MiB more each."""
    global _shared
    _shared = folder
    _faces()


@functools.cache
def _cut_fonts() -> Path:
    """The two DejaVu faces cut to CODEPOINTS, in a folder that lives as long as the process.

    Cut also so that fontTools reads them quickly, as it does for every document when it
    makes that document's subset: glyph names kept (else they are derived from the character
    map on every read), one character map (Windows Unicode BMP, all that is needed), the
    names fpdf2 keeps anyway, no MATH table: 2.5 ms less per document. The date stays
    DejaVu's own, so every process cuts the same bytes and draws the same PDF.
    """
    import matplotlib
    from fontTools import subset, ttLib

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    folder = Path(tempfile.mkdtemp(prefix="internbot-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name in FONTS.values():
        font = ttLib.TTFont(source / name, recalcTimestamp=False)
        options = subset.Options()
        options.notdef_outline = True
        options.glyph_names = True
        options.layout_features = []
        options.drop_tables += ["FFTM", "GPOS", "GSUB", "GDEF", "hdmx", "MATH"]
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=CODEPOINTS)
        cutter.subset(font)
        cmap = font["cmap"]
        cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 1)]
        font.save(folder / name)
    return folder


def render(sheet: Sheet) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_compression(True)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    _add_fonts(pdf)
    if sheet.issued_at is not None:
        pdf.set_creation_date(sheet.issued_at)
    pdf.set_title(f"{sheet.title} {sheet.number_line}".strip())
    pdf.set_author(sheet.issuer)
    pdf.set_subject(sheet.name)
    pdf.set_lang(sheet.lang)
    pdf.set_creator("internship-bot")
    pdf.add_page()
    _frame(pdf, sheet)
    y = _head(pdf, sheet)
    _body(pdf, sheet, y)
    _foot(pdf, sheet)
    return bytes(pdf.output())


@dataclass(frozen=True, slots=True)
class _Face:
    font: TTFFont
    """Parsed by fpdf2 once; only read after that (widths, character map, metrics)."""
    program: bytes
    """The cut font file, from which each document's own subset is made."""


def _add_fonts(pdf: FPDF) -> None:
    for family, face in _faces().items():
        pdf.fonts[family] = _font_for(face, index=len(pdf.fonts) + 1)


@functools.cache
def _faces() -> dict[str, _Face]:
    """Each face parsed by fpdf2's own `add_font` once per process (a process draws thousands)."""
    folder = fonts_folder()
    loader = FPDF()
    for family, name in FONTS.items():
        loader.add_font(family, "", str(folder / name))
    return {family: _Face(loader.fonts[family], (folder / name).read_bytes())
            for family, name in FONTS.items()}


def _font_for(face: _Face, index: int) -> TTFFont:
    """A document's font: the parsed face shared, what the document changes its own.

    fpdf2 fills `subset` with the glyphs a document prints, writes the PDF object ids into
    `desc`, and cuts `ttfont` down to that subset in place when it writes the file; so those
    are fresh per document (threads may draw at the same time) and the rest is shared.
    tests/test_certificates.py checks the bytes equal those of a plain `add_font`.
    """
    font = copy.copy(face.font)
    font.i = index
    font.desc = copy.copy(face.font.desc)
    font.cw = face.font.cw.copy()  # a defaultdict that grows on lookups of unknown characters
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.ttfont = TTFont(io.BytesIO(face.program), recalcTimestamp=False, lazy=True)
    # the outlines are embedded as they are: their boxes in DejaVu are right already, and
    # recomputing each one was half the time of a document
    font.ttfont.recalcBBoxes = False
    font.subset = SubsetMap(font)
    return font


def _frame(pdf: FPDF, sheet: Sheet) -> None:
    if sheet.background:
        pdf.image(sheet.background, x=0, y=0, w=PAGE_W, h=PAGE_H)
        return
    pdf.set_fill_color(250, 248, 242)
    pdf.rect(0, 0, PAGE_W, PAGE_H, style="F")
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.6)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.4)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)


def _head(pdf: FPDF, sheet: Sheet) -> float:
    y = 20.0
    if sheet.logo:
        pdf.image(sheet.logo, x=(PAGE_W - 40) / 2, y=y, h=18, keep_aspect_ratio=True, w=40)
        y += 21
    pdf.set_text_color(*GREY)
    pdf.set_font("serif", size=11)
    y = _centered(pdf, 30, y, PAGE_W - 60, 5.2, sheet.issuer.upper()) + 5
    pdf.set_text_color(*NAVY)
    pdf.set_font("serif-bold", size=38)
    pdf.set_char_spacing(3)
    pdf.set_xy(20, y)
    pdf.cell(PAGE_W - 40, 15, sheet.title.upper(), align="C")
    pdf.set_char_spacing(0)
    y += 16
    if sheet.subtitle:
        pdf.set_font("serif", size=15)
        pdf.set_text_color(*GOLD)
        pdf.set_xy(20, y)
        pdf.cell(PAGE_W - 40, 8, sheet.subtitle, align="C")
        y += 9
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.line(PAGE_W / 2 - 35, y + 2, PAGE_W / 2 + 35, y + 2)
    return y + 7


def _body(pdf: FPDF, sheet: Sheet, y: float) -> None:
    width = PAGE_W - 70
    pdf.set_text_color(40, 40, 40)
    if sheet.before_name:
        pdf.set_font("serif", size=13)
        y = _centered(pdf, 35, y, width, 6.5, sheet.before_name) + 2
    size = 26 if len(sheet.name) <= 40 else 20
    pdf.set_font("serif-bold", size=size)
    pdf.set_text_color(*NAVY)
    pdf.set_xy(25, y)
    pdf.multi_cell(PAGE_W - 50, size * 0.45, sheet.name, align="C")
    y = pdf.get_y() + 3
    if sheet.after_name:
        pdf.set_font("serif", size=13)
        pdf.set_text_color(40, 40, 40)
        _centered(pdf, 35, y, width, 6.5, sheet.after_name)


def _foot(pdf: FPDF, sheet: Sheet) -> None:
    base = PAGE_H - 53
    qr = 30.0
    _qr(pdf, sheet.qr_target, 22, base, qr)
    pdf.set_text_color(*GREY)
    pdf.set_font("serif", size=8)
    pdf.set_xy(18, base + qr + 1)
    pdf.multi_cell(70, 3.6, sheet.verify_line, align="L")
    pdf.set_font("serif-bold", size=11)
    pdf.set_text_color(*NAVY)
    pdf.set_xy(56, base + 8)
    pdf.cell(70, 6, sheet.number_line)
    pdf.set_font("serif", size=10)
    pdf.set_text_color(*GREY)
    pdf.set_xy(56, base + 15)
    pdf.cell(70, 5, sheet.date_line)
    if not sheet.signatures:
        return
    right = PAGE_W - 22
    width = 62.0
    count = len(sheet.signatures)
    for index, person in enumerate(sheet.signatures):
        x = right - (count - index) * width - (count - index - 1) * 6
        pdf.set_draw_color(*GREY)
        pdf.set_line_width(0.3)
        pdf.line(x + 4, base + 14, x + width - 4, base + 14)
        pdf.set_font("serif-bold", size=10)
        pdf.set_text_color(40, 40, 40)
        pdf.set_xy(x, base + 16)
        pdf.cell(width, 5, person.name, align="C")
        pdf.set_font("serif", size=8.5)
        pdf.set_text_color(*GREY)
        _centered(pdf, x, base + 21.5, width, 3.8, person.position)


_LINES: dict[tuple[str, str, str, float, float, float], tuple[str, ...]] = {}
"""Lines of the texts every certificate of a programme shares, as fpdf2 broke them."""


def _centered(pdf: FPDF, x: float, y: float, w: float, h: float, text: str) -> float:
    """`multi_cell(w, h, text, align="C")` at (x, y), for a text that is the same on every
    certificate: fpdf2 breaks it into lines once (a character at a time, a fifth of a
    certificate's time when done for each), and each line is a plain centred cell, which
    draws exactly what multi_cell draws. Returns the y below the text."""
    key = (text, pdf.font_family, pdf.font_style, pdf.font_size_pt, pdf.char_spacing, w)
    lines = _LINES.get(key)
    if lines is None:
        pdf.set_xy(x, y)
        lines = tuple(pdf.multi_cell(w, h, text, align="C", dry_run=True, output="LINES")) or ("",)
        if len(_LINES) >= 256:  # another programme's texts, or a long-lived bot: start afresh
            _LINES.clear()
        _LINES[key] = lines
    for line in lines:
        pdf.set_xy(x, y)
        pdf.cell(w, h, line, align="C")
        y += h
    pdf.set_xy(x, y)
    return y


def _qr(pdf: FPDF, target: str, x: float, y: float, size: float) -> None:
    """The code drawn as vector runs of dark modules: sharp at any zoom, a few hundred bytes."""
    # a fixed mask: choosing the best of eight took a fifth of the whole certificate's time,
    # and any mask reads the same
    code = segno.make(target, error="m", micro=False, mask=4)
    rows = [list(row) for row in code.matrix_iter(border=0)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x - module * 2, y - module * 2, size + module * 4, size + module * 4, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style=FILL)


def render_many(sheets: list[Sheet]) -> list[bytes]:
    """Several certificates in one go (a worker thread or process runs this)."""
    return [render(sheet) for sheet in sheets]
