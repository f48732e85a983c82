"""The charts of the donor report, drawn with reportlab.graphics from `ProgrammeFigures`.

The same drawings go into the PDF and, rendered as SVG, onto the donor dashboard: the PDF's at
print size, the page's narrower with larger type (`WEB`), so that scaled to a phone's width the
labels stay at the size of the text around them. Category names wrap over up to three lines
instead of being cut; counts have whole-number axes; a "pie" of one slice is drawn as a bar.
Labels are plain strings (reportlab.graphics never parses markup).
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from core.formatting import number_text
from reporting.donor.figures import FUNNEL_STAGES, ProgrammeFigures
from reporting.donor.pdf.base import FONT, FONT_BOLD, fonts_register, plain, shorten

PALETTE = [
    colors.HexColor(c) for c in ("#0b5cad", "#f0b400", "#1f7a3a", "#b00020", "#6b4fa0", "#2a9fb5", "#d9782d", "#5b6675")
]


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    font: float  # labels and legend
    title: float


PDF = Size(480, 220, 8, 10)
WEB = Size(360, 300, 13, 14)  # shown at most 30rem wide: 13 units read as 13–17 px
WIDTH, HEIGHT = PDF.width, PDF.height


def _title(drawing: Drawing, text: str, size: Size):
    drawing.add(String(0, drawing.height - size.title, plain(text), fontName=FONT_BOLD, fontSize=size.title))


def _empty(drawing: Drawing, size: Size):
    drawing.add(
        String(
            drawing.width / 2,
            drawing.height / 2,
            _("No data yet"),
            fontName=FONT,
            fontSize=size.font,
            textAnchor="middle",
            fillColor=colors.grey,
        )
    )
    return drawing


def _wrapped(label: str, width: float, font: str, size: float, lines: int = 3) -> str:
    """A name over at most `lines` lines that fit `width` (measured in the font), the last one
    shortened with "…" only if the name is longer still."""
    text = " ".join(plain(label).split())
    parts = simpleSplit(text, font, size, width) or [""]
    if len(parts) > lines:
        parts = parts[: lines - 1] + [_fit(" ".join(parts[lines - 1 :]), width, font, size)]
    return "\n".join(_fit(part, width, font, size) for part in parts)


def _fit(text: str, width: float, font: str, size: float) -> str:
    """`text`, cut with "…" where even one word is wider than `width`."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _count_axis(axis, top: float) -> None:
    """Whole numbers only, about five steps: 0, 1, 2, 3 — never 0.5 or a repeated 1."""
    step = max(1, math.ceil(top / 5))
    axis.valueMin, axis.valueStep = 0, step
    axis.valueMax = max(step, step * math.ceil(top / step))
    axis.labelTextFormat = lambda v: number_text(int(round(v)))


def _money_axis(axis, top: float, ticks: int) -> None:
    """Round steps (1, 2 or 5 × a power of ten), at most `ticks` of them, in thousands above 1,000."""
    raw = max(top / max(ticks, 1), 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    axis.valueMin, axis.valueStep = 0, step
    axis.valueMax = step * math.ceil(top / step)
    axis.labelTextFormat = lambda v: f"{number_text(v / 1000)}k" if v >= 1000 else number_text(v)


def _legend(drawing: Drawing, pairs, x: float, y: float, size: Size, *, across: bool):
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, size.font
    legend.alignment = "right"
    legend.dx = legend.dy = size.font * 0.8
    legend.deltay = size.font * 1.5
    widest = max(stringWidth(name, FONT, size.font) for _c, name in pairs) + size.font * 2.5
    if across and widest * len(pairs) <= drawing.width - x:  # one row under the title
        legend.columnMaximum = 1
        legend.deltax = widest
    else:
        legend.columnMaximum = len(pairs)
    legend.colorNamePairs = pairs
    drawing.add(legend)


def _bars(
    title: str, categories: list[str], series: list[tuple[str, list]], *, money=False, size: Size = PDF
) -> Drawing:
    """Horizontal bars, one group per category, the categories' names beside them (wrapped)."""
    fonts_register()
    values = [[float(v or 0) for v in data] for _name, data in series]  # drawing coordinates only, never money
    label_w = size.width * (0.42 if size is WEB else 0.32)
    names = [_wrapped(c, label_w - 8, FONT, size.font) for c in categories]
    lines = [n.count("\n") + 1 for n in names]
    group_h = max(max(lines, default=1) * size.font * 1.2, len(series) * size.font * 1.1) + size.font * 0.9
    title_lines = _wrapped(title, size.width, FONT_BOLD, size.title, lines=3).split("\n")
    legend_w = sum(stringWidth(name, FONT, size.font) + size.font * 2.5 for name, _d in series)
    legend_rows = 0 if len(series) < 2 else (1 if legend_w <= size.width else len(series))
    legend_h = legend_rows * size.font * 1.5 + (size.font * 1.2 if legend_rows else 0)
    top = size.title * 1.3 * len(title_lines) + legend_h + 6
    axis_h = size.font * 2.2
    height = top + max(len(categories), 1) * group_h + axis_h
    drawing = Drawing(size.width, max(height, size.height * 0.5))
    for i, line in enumerate(title_lines):
        drawing.add(
            String(0, drawing.height - size.title * (1 + 1.3 * i), line, fontName=FONT_BOLD, fontSize=size.title)
        )
    if not categories or not any(any(v) for v in values):
        return _empty(drawing, size)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_w, axis_h
    chart.width = size.width - label_w - size.font * 2.5
    chart.height = drawing.height - top - axis_h
    chart.data = values
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.reverseDirection = 1  # the first category at the top
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = size.font
    chart.categoryAxis.labels.leading = size.font * 1.2
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.textAnchor = "end"
    chart.categoryAxis.labels.dx = -4
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = size.font
    highest = max(max(v) for v in values)
    if money:
        _money_axis(chart.valueAxis, highest, 3 if size is WEB else 5)
    else:
        _count_axis(chart.valueAxis, highest)
    chart.barSpacing = 1
    chart.groupSpacing = size.font * 0.9
    for i in range(len(series)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    if len(series) > 1:
        pairs = [(PALETTE[i % len(PALETTE)], shorten(name, 22)) for i, (name, _d) in enumerate(series)]
        y = drawing.height - size.title * 1.3 * len(title_lines) - size.font * 0.6
        _legend(drawing, pairs, 0, y, size, across=True)
    return drawing


def _pie(title: str, items: list[tuple[str, Decimal | int]], *, size: Size = PDF, money=False) -> Drawing:
    """A pie with its legend (each slice's share); one slice is no pie: a bar says it plainly."""
    fonts_register()
    shown = [(label, float(value)) for label, value in items if value]
    if len(shown) < 2:
        return _bars(title, [label for label, _v in shown], [(title, [v for _l, v in shown])], money=money, size=size)
    total = sum(v for _l, v in shown)
    pairs = [
        (PALETTE[i % len(PALETTE)], f"{shorten(label, 30)} ({number_text(Decimal(v * 100 / total), 0)}%)")
        for i, (label, v) in enumerate(shown)
    ]
    below = size is WEB  # narrow: the legend goes under the pie
    title_lines = _wrapped(title, size.width, FONT_BOLD, size.title, lines=2).split("\n")
    diameter = min(size.width * 0.45, size.height - size.title - 30)
    legend_h = len(shown) * size.font * 1.5 + size.font if below else 0
    drawing = Drawing(size.width, size.title * 1.3 * len(title_lines) + 12 + diameter + legend_h + 6)
    for i, line in enumerate(title_lines):
        drawing.add(
            String(0, drawing.height - size.title * (1 + 1.3 * i), line, fontName=FONT_BOLD, fontSize=size.title)
        )
    pie = Pie()
    pie.width = pie.height = diameter
    pie.x, pie.y = 10, drawing.height - size.title * 1.3 * len(title_lines) - 12 - diameter
    pie.data = [v for _l, v in shown]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.5
    for i in range(len(shown)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(pie)
    if below:
        _legend(drawing, pairs, 10, pie.y - size.font * 1.5, size, across=False)
    else:
        _legend(drawing, pairs, diameter + 50, drawing.height - size.title - 20, size, across=False)
    return drawing


def funnel_chart(figures: ProgrammeFigures, size: Size = PDF) -> Drawing:
    total = figures.funnel_total
    return _bars(
        _("Applications: from submission to award"),
        [str(label) for _k, label in FUNNEL_STAGES],
        [(_("Applications"), total.stages() if total else [])],
        size=size,
    )


def funnel_by_country_chart(figures: ProgrammeFigures, size: Size = PDF) -> Drawing:
    rows = figures.funnel_by_country
    return _bars(
        _("Applications submitted and awarded by country"),
        [r.label for r in rows],
        [(_("Submitted"), [r.submitted for r in rows]), (_("Awarded"), [r.awarded for r in rows])],
        size=size,
    )


def money_by_call_chart(figures: ProgrammeFigures, size: Size = PDF) -> Drawing:
    rows = figures.money_by_call
    return _bars(
        _("Envelope, commitments and disbursements by call (%(cur)s)") % {"cur": figures.currency},
        [r.label for r in rows],
        [
            (_("Envelope"), [r.envelope for r in rows]),
            (_("Committed"), [r.committed for r in rows]),
            (_("Disbursed"), [r.disbursed for r in rows]),
        ],
        money=True,
        size=size,
    )


def commitments_by_country_chart(figures: ProgrammeFigures, size: Size = PDF) -> Drawing:
    return _pie(
        _("Commitments by country"), [(r.label, r.committed) for r in figures.money_by_country], size=size, money=True
    )


def report_status_chart(figures: ProgrammeFigures, size: Size = PDF) -> Drawing:
    return _pie(
        _("Grantee reports by status"), [(str(label), n) for _k, label, n in figures.report_status_rows()], size=size
    )


CHARTS = {
    "funnel": funnel_chart,
    "funnel-by-country": funnel_by_country_chart,
    "money-by-call": money_by_call_chart,
    "commitments-by-country": commitments_by_country_chart,
    "report-status": report_status_chart,
}


def chart_svg(name: str, figures: ProgrammeFigures) -> str:
    """The chart for the page (`WEB` size), as SVG text."""
    svg = renderSVG.drawToString(CHARTS[name](figures, WEB))
    # reportlab names the registered fonts; browsers know the family
    return svg.replace(
        f"font-family: {FONT_BOLD}", "font-family: 'DejaVu Sans', sans-serif; font-weight: bold"
    ).replace(f"font-family: {FONT}", "font-family: 'DejaVu Sans', sans-serif")
