"""The charts of the donor report, drawn with reportlab.graphics from `ProgrammeFigures`.

The same drawings go into the PDF and, rendered as SVG, onto the donor dashboard. Labels are
plain strings (reportlab.graphics never parses markup), shortened to fit.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from reporting.donor.figures import FUNNEL_STAGES, ProgrammeFigures
from reporting.donor.pdf.base import FONT, FONT_BOLD, fonts_register, shorten

PALETTE = [
    colors.HexColor(c) for c in ("#0b5cad", "#f0b400", "#1f7a3a", "#b00020", "#6b4fa0", "#2a9fb5", "#d9782d", "#5b6675")
]
WIDTH, HEIGHT = 480, 220


def _title(drawing: Drawing, text: str):
    drawing.add(String(0, drawing.height - 12, text, fontName=FONT_BOLD, fontSize=10))


def _empty(drawing: Drawing):
    drawing.add(
        String(
            drawing.width / 2,
            drawing.height / 2,
            _("No data yet"),
            fontName=FONT,
            fontSize=9,
            textAnchor="middle",
            fillColor=colors.grey,
        )
    )
    return drawing


def _bars(title: str, categories: list[str], series: list[tuple[str, list]], *, money=False) -> Drawing:
    fonts_register()
    drawing = Drawing(WIDTH, HEIGHT)
    _title(drawing, title)
    values = [[float(v or 0) for v in data] for _name, data in series]  # drawing coordinates only, never money
    if not categories or not any(any(v) for v in values):
        return _empty(drawing)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 45, WIDTH - 170, HEIGHT - 75
    chart.data = values
    chart.categoryAxis.categoryNames = [shorten(c, 16) for c in categories]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20 if len(categories) > 4 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 4 else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    if money:
        chart.valueAxis.labelTextFormat = lambda v: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}"
    else:
        chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for i in range(len(series)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = WIDTH - 110, HEIGHT - 40
        legend.fontName, legend.fontSize = FONT, 7.5
        legend.alignment = "right"
        legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], shorten(name, 22)) for i, (name, _d) in enumerate(series)]
        drawing.add(legend)
    return drawing


def _pie(title: str, items: list[tuple[str, Decimal | int]]) -> Drawing:
    fonts_register()
    drawing = Drawing(WIDTH, HEIGHT)
    _title(drawing, title)
    items = [(label, float(value)) for label, value in items if value]  # type: ignore[misc]
    if not items:
        return _empty(drawing)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 40, 20, 160, 160
    pie.data = [v for _l, v in items]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.5
    for i in range(len(items)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(pie)
    total = sum(v for _l, v in items)
    legend = Legend()
    legend.x, legend.y = 240, HEIGHT - 40
    legend.fontName, legend.fontSize = FONT, 8
    legend.alignment = "right"
    legend.colorNamePairs = [
        (PALETTE[i % len(PALETTE)], f"{shorten(label, 30)} ({v * 100 / total:.0f}%)")
        for i, (label, v) in enumerate(items)
    ]
    drawing.add(legend)
    return drawing


def funnel_chart(figures: ProgrammeFigures) -> Drawing:
    total = figures.funnel_total
    return _bars(
        _("Applications: from submission to award"),
        [str(label) for _k, label in FUNNEL_STAGES],
        [(_("Applications"), total.stages() if total else [])],
    )


def funnel_by_country_chart(figures: ProgrammeFigures) -> Drawing:
    rows = figures.funnel_by_country
    return _bars(
        _("Applications submitted and awarded by country"),
        [r.label for r in rows],
        [(_("Submitted"), [r.submitted for r in rows]), (_("Awarded"), [r.awarded for r in rows])],
    )


def money_by_call_chart(figures: ProgrammeFigures) -> Drawing:
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
    )


def commitments_by_country_chart(figures: ProgrammeFigures) -> Drawing:
    return _pie(_("Commitments by country"), [(r.label, r.committed) for r in figures.money_by_country])


def report_status_chart(figures: ProgrammeFigures) -> Drawing:
    return _pie(_("Grantee reports by status"), [(str(label), n) for _k, label, n in figures.report_status_rows()])


CHARTS = {
    "funnel": funnel_chart,
    "funnel-by-country": funnel_by_country_chart,
    "money-by-call": money_by_call_chart,
    "commitments-by-country": commitments_by_country_chart,
    "report-status": report_status_chart,
}


def chart_svg(name: str, figures: ProgrammeFigures) -> str:

    svg = renderSVG.drawToString(CHARTS[name](figures))
    # reportlab names the registered fonts; browsers know the family
    return svg.replace(
        f"font-family: {FONT_BOLD}", "font-family: 'DejaVu Sans', sans-serif; font-weight: bold"
    ).replace(f"font-family: {FONT}", "font-family: 'DejaVu Sans', sans-serif")
