"""Fonts, styles and the few building blocks every Hromada PDF shares."""
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
_registered = threading.Lock()
_done = False

ACCENT = colors.HexColor("#0b5cad")
MUTED = colors.HexColor("#5b6675")
LINE = colors.HexColor("#d9dee5")
STRIPE = colors.HexColor("#f3f5f8")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN


def fonts_register() -> None:
    """DejaVu Sans covers Latin, Cyrillic (Ukrainian) and Armenian; registered once per process."""
    global _done
    if _done:
        return
    with _registered:
        if _done:
            return
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(FONT_DIR / "DejaVuSans-Oblique.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD)
        _done = True


def styles() -> dict[str, ParagraphStyle]:
    fonts_register()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=22, leading=28, spaceAfter=6 * mm,
                                textColor=ACCENT),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=13, leading=18, spaceAfter=3 * mm),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=15, leading=20, spaceBefore=4 * mm,
                             spaceAfter=3 * mm, textColor=ACCENT),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=3 * mm,
                             spaceAfter=2 * mm),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
    }


def para(text, style) -> Paragraph:
    """A paragraph of plain user text: escaped, line breaks kept. Never pass markup here."""
    safe = escape(str(text if text is not None else "")).replace("\n", "<br/>")
    return Paragraph(safe, style)


def para_markup(template: str, style, **values) -> Paragraph:
    """Our own markup (bold labels…) with every value escaped: para_markup("<b>%(l)s</b>", s, l=…)."""
    return Paragraph(template % {k: escape(str(v if v is not None else "")) for k, v in values.items()}, style)


def shorten(text, limit: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


TABLE_STYLE = TableStyle([
    ("FONT", (0, 0), (-1, -1), FONT, 7.5),
    ("FONT", (0, 0), (-1, 0), FONT_BOLD, 7.5),
    ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
    ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
    ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
])


def numeric_columns_style(columns) -> TableStyle:
    return TableStyle([("ALIGN", (c, 0), (c, -1), "RIGHT") for c in columns])


def table(headers, rows, col_widths, numeric=(), style=None) -> Table:
    """A small table of plain strings (cells are never parsed as markup)."""
    t = Table([headers, *rows], colWidths=col_widths, repeatRows=1, style=style or TABLE_STYLE)
    if numeric:
        t.setStyle(numeric_columns_style(numeric))
    return t


def chunked_tables(headers, rows, col_widths, numeric=(), chunk=45):
    """A long table as a run of page-sized tables: reportlab's cost of splitting one table grows
    with the square of its length, a run of short ones grows linearly."""
    numeric_style = numeric_columns_style(numeric) if numeric else None
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            yield _chunk(headers, batch, col_widths, numeric_style)
            batch = []
    if batch:
        yield _chunk(headers, batch, col_widths, numeric_style)


def _chunk(headers, batch, col_widths, numeric_style):
    t = Table([headers, *batch], colWidths=col_widths, repeatRows=1, style=TABLE_STYLE)
    if numeric_style is not None:
        t.setStyle(numeric_style)
    return t


def page_decorations(title: str):
    """Footer with the document title and page number on every page but the cover."""
    title = shorten(title, 90)

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 10 * mm, title)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, _("Page %(n)s") % {"n": doc.page})
        canvas.restoreState()

    return on_page
