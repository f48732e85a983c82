"""Fonts, styles and the few building blocks every Hromada PDF shares.

Every piece of text they draw goes through `plain` first: control and bidirectional characters
are removed (core.text), since stored data may hold them from before they were removed on input."""

import threading
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import XMP
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from core.text import multi_line

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
    """DejaVu Sans covers Latin (with Romanian and Azerbaijani letters), Cyrillic, Armenian and Georgian;
    registered once per process."""
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
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=22, leading=28, spaceAfter=6 * mm, textColor=ACCENT
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=13, leading=18, spaceAfter=3 * mm),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=15,
            leading=20,
            spaceBefore=4 * mm,
            spaceAfter=3 * mm,
            textColor=ACCENT,
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=3 * mm, spaceAfter=2 * mm
        ),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
    }


def plain(text) -> str:
    """`text` as a string without control or bidi characters (newlines and tabs kept)."""
    return multi_line(str(text if text is not None else ""))


def para(text, style) -> Paragraph:
    """A paragraph of plain user text: cleaned, escaped, line breaks kept. Never pass markup here."""
    safe = escape(plain(text)).replace("\n", "<br/>")
    return Paragraph(safe, style)


def para_markup(template: str, style, **values) -> Paragraph:
    """Our own markup (bold labels…) with every value escaped: para_markup("<b>%(l)s</b>", s, l=…)."""
    return Paragraph(template % {k: escape(plain(v)) for k, v in values.items()}, style)


def shorten(text, limit: int) -> str:
    text = " ".join(plain(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


TABLE_STYLE = TableStyle(
    [
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
    ]
)


def numeric_columns_style(columns) -> TableStyle:
    return TableStyle([("ALIGN", (c, 0), (c, -1), "RIGHT") for c in columns])


def table(headers, rows, col_widths, numeric=(), style=None) -> Table:
    """A small table of plain strings (cells are never parsed as markup)."""
    rows = [[plain(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    # Headers as paragraphs: they wrap within their column instead of running into the next one.
    header_style = ParagraphStyle(
        "th", fontName=FONT_BOLD, fontSize=7.5, leading=9, textColor=colors.white, wordWrap=None
    )
    numeric_columns = set(numeric)
    headers = [
        Paragraph(escape(plain(h)), ParagraphStyle("thr", parent=header_style, alignment=TA_RIGHT))
        if i in numeric_columns
        else Paragraph(escape(plain(h)), header_style)
        if isinstance(h, str | Promise)
        else h
        for i, h in enumerate(headers)
    ]
    t = Table([headers, *rows], colWidths=col_widths, repeatRows=1, style=style or TABLE_STYLE)
    if numeric:
        t.setStyle(numeric_columns_style(numeric))
    return t


def chunked_tables(headers, rows, col_widths, numeric=(), chunk=200):
    """A long table as a run of RowsTable chunks: reportlab's own Table re-measures itself at
    every page split (its cost grows with the square of its length); these split in linear time
    and hold at most `chunk` rows each, so no single flowable gets large."""
    headers = [str(h) for h in headers]
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            yield RowsTable(headers, batch, col_widths, numeric)
            batch = []
    if batch:
        yield RowsTable(headers, batch, col_widths, numeric)


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


class RowsTable(Flowable):
    """A long table of plain strings drawn fast: one text object per piece, stripes and rules as
    single paths, rows of one fixed height. It splits between any two rows (the header repeats)
    at a cost proportional to the rows, where reportlab's Table re-measures itself at every
    split. Cells are never parsed as markup; strings longer than their column are shortened."""

    PAD = 3

    def __init__(self, headers, rows, col_widths, numeric=(), font_size=7.5, row_height=10.5):
        super().__init__()
        self.headers, self.rows = list(headers), rows
        self.col_widths, self.numeric = list(col_widths), frozenset(numeric)
        self.font_size, self.row_height = font_size, row_height

    def header_lines(self) -> list[list[str]]:
        """Each header wrapped to its column (a long Armenian or Ukrainian word never overprints
        the next column: the header row grows instead)."""
        return [
            simpleSplit(plain(h), FONT_BOLD, self.font_size, max(w - 2 * self.PAD, 1)) or [""]
            for h, w in zip(self.headers, self.col_widths, strict=False)
        ]

    @property
    def header_height(self) -> float:
        return self.row_height * max(len(lines) for lines in self.header_lines())

    def wrap(self, avail_width, avail_height):
        self.width = sum(self.col_widths)
        self.height = self.header_height + self.row_height * len(self.rows)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        fit = int((avail_height - self.header_height) // self.row_height)
        if fit < 1:
            return []
        if fit >= len(self.rows):
            return [self]
        cls = type(self)
        args = (self.col_widths, self.numeric, self.font_size, self.row_height)
        return [cls(self.headers, self.rows[:fit], *args), cls(self.headers, self.rows[fit:], *args)]

    def draw(self):
        canvas, rh, size, pad = self.canv, self.row_height, self.font_size, self.PAD
        header_lines = self.header_lines()
        hh = rh * max(len(lines) for lines in header_lines)
        width, height = sum(self.col_widths), hh + rh * len(self.rows)
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, height - hh, width, hh, stroke=0, fill=1)
        stripes = canvas.beginPath()
        for i in range(1, len(self.rows), 2):
            stripes.rect(0, height - hh - rh * (i + 1), width, rh)
        canvas.setFillColor(STRIPE)
        canvas.drawPath(stripes, stroke=0, fill=1)
        rules = canvas.beginPath()
        for i in range(1, len(self.rows) + 1):
            rules.moveTo(0, height - hh - rh * i)
            rules.lineTo(width, height - hh - rh * i)
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.25)
        canvas.drawPath(rules, stroke=1, fill=0)
        lefts, rights = [], []
        x = 0
        for w in self.col_widths:
            lefts.append(x + pad)
            rights.append(x + w - pad)
            x += w
        limits = [w - 2 * pad for w in self.col_widths]
        baseline = rh * 0.3
        text = canvas.beginText()
        text.setFont(FONT_BOLD, size)
        text.setFillColor(colors.white)
        for line in range(max(len(lines) for lines in header_lines)):
            cells = [lines[line] if line < len(lines) else "" for lines in header_lines]
            self._row(text, cells, height - rh * (line + 1) + baseline, lefts, rights, limits, FONT_BOLD)
        text.setFont(FONT, size)
        text.setFillColorRGB(0.11, 0.14, 0.19)
        y = height - hh + baseline
        for row in self.rows:
            y -= rh
            self._row(text, row, y, lefts, rights, limits, FONT)
        canvas.drawText(text)
        canvas.restoreState()

    def _row(self, text, row, y, lefts, rights, limits, font):
        size = self.font_size
        for col, value in enumerate(row):
            if not value:
                continue
            value = plain(value)
            w = _width(value, font, size)
            if w > limits[col]:
                value, w = _fit(value, limits[col], font, size)
            x = rights[col] - w if col in self.numeric else lefts[col]
            text.setTextOrigin(x, y)
            text.textOut(value)


_WIDTHS: dict[str, dict[int, float]] = {}
_MEASURED: dict[tuple[str, str], float] = {}


def _char_widths(font: str) -> dict[int, float]:
    table = _WIDTHS.get(font)
    if table is None:
        face = pdfmetrics.getFont(font).face
        table = _WIDTHS[font] = dict(face.charWidths)
        table[-1] = face.defaultWidth
    return table


def _width(value: str, font: str, size: float) -> float:
    """The width of a string in points, from the font's advance widths; repeated strings (states,
    countries, conditions) are measured once."""
    key = (font, value)
    width = _MEASURED.get(key)
    if width is None:
        widths = _char_widths(font)
        default = widths[-1]
        width = sum([widths.get(ord(ch), default) for ch in value])
        if len(_MEASURED) > 100_000:
            _MEASURED.clear()
        _MEASURED[key] = width
    return width * size / 1000


def _fit(value: str, limit: float, font: str, size: float) -> tuple[str, float]:
    """The longest prefix that fits with an ellipsis, in one pass over the characters."""
    widths = _char_widths(font)
    default = widths[-1]
    budget = limit * 1000 / size - widths.get(ord("…"), default)
    used, end = 0.0, 0
    for ch in value:
        w = widths.get(ord(ch), default)
        if used + w > budget:
            break
        used += w
        end += 1
    value = value[:end].rstrip() + "…"
    return value, _width(value, font, size)


# --- document metadata: language, the title a viewer shows, XMP ---------------------------------


def _xmp_packet(title: str, subject: str, lang: str, created: str) -> str:
    t, s, lg = escape(plain(title)), escape(plain(subject)), escape(lang)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li><rdf:li xml:lang="{lg}">{t}</rdf:li></rdf:Alt></dc:title>\n'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{s}</rdf:li></rdf:Alt></dc:description>\n'
        "<dc:creator><rdf:Seq><rdf:li>Hromada</rdf:li></rdf:Seq></dc:creator>\n"
        f"<dc:language><rdf:Bag><rdf:li>{lg}</rdf:li></rdf:Bag></dc:language>\n"
        "<dc:format>application/pdf</dc:format>\n"
        f"<xmp:CreateDate>{created}</xmp:CreateDate><xmp:CreatorTool>Hromada</xmp:CreatorTool>\n"
        "<pdf:Producer>ReportLab</pdf:Producer>\n"
        "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def document_metadata(title: str, subject: str = "") -> dict:
    """Keyword arguments for a reportlab DocTemplate: title, author, subject, the document's
    language (the active one) and the viewer showing the title rather than the file name."""
    return {
        "title": plain(title),
        "author": "Hromada",
        "subject": plain(subject),
        "lang": (get_language() or "en")[:2],
        "displayDocTitle": True,
    }


def xmp_canvasmaker(title: str, subject: str = ""):
    """A canvas maker that adds the XMP metadata stream (title, language, creator) to the PDF's
    catalogue: what PDF/UA checkers and libraries read besides the Info dictionary."""
    lang = (get_language() or "en")[:2]
    created = timezone.now().replace(microsecond=0).isoformat()
    packet = _xmp_packet(title, subject, lang, created)

    def make(*args, **kwargs):
        canv = canvas.Canvas(*args, **kwargs)
        canv._doc.Catalog.Metadata = XMP(creator=lambda _doc: packet.encode())
        return canv

    return make
