"""The donor's charts and report read right: whole-number axes for counts, no one-slice pie,
names wrapped rather than cut, Armenian headers that wrap, and the grantee-reports figures of a
report's period agreeing with the dashboard."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone, translation
from reportlab.graphics.charts.piecharts import Pie
from reportlab.platypus import Paragraph

from reporting.donor import charts
from reporting.donor.figures import FunnelRow, MoneyRow, ProgrammeFigures, programme_figures
from reporting.donor.pdf.base import RowsTable, table
from reporting.grantee.models import ReportKind
from tests.reporting.builders import make_grant


def _figures(programme, **fields):
    return ProgrammeFigures(
        programme=programme, period_start=None, period_end=None, currency="EUR", budget=Decimal("1000"), **fields
    )


def _flat(drawing):
    """Every shape of a drawing, groups opened."""
    out, todo = [], list(drawing.contents)
    while todo:
        shape = todo.pop()
        out.append(shape)
        todo.extend(getattr(shape, "contents", []))
    return out


def test_counts_have_whole_number_axes(funded_programme):
    total = FunnelRow(key="all", label="All")
    total.submitted, total.eligible, total.reviewed, total.awarded, total.rejected = 3, 2, 2, 1, 1
    for size in (charts.PDF, charts.WEB):
        drawing = charts.funnel_chart(_figures(funded_programme, funnel_total=total), size)
        svg = charts.renderSVG.drawToString(drawing)
        assert ">0.5<" not in svg and ">1<" in svg and ">3<" in svg


def test_one_slice_is_no_pie_and_long_names_wrap(funded_programme):
    one = MoneyRow(key="UA", label="Ukraine")
    one.committed = Decimal("40000")
    drawing = charts.commitments_by_country_chart(_figures(funded_programme, money_by_country=[one]), charts.WEB)
    assert not any(isinstance(shape, Pie) for shape in _flat(drawing))
    name = "Innovation grants for online accountability tools"
    row = MoneyRow(key="c", label=name)
    row.envelope, row.committed = Decimal("400000"), Decimal("80000")
    svg = charts.renderSVG.drawToString(
        charts.money_by_call_chart(_figures(funded_programme, money_by_call=[row]), charts.WEB)
    )
    for word in ("Innovation", "accountability", "tools"):
        assert word in svg  # over several lines, not cut after a few characters


def test_armenian_headers_wrap_instead_of_running_into_the_next_column():
    headers = ["Դրամաշնորհառու կազմակերպություն", "Վճարված"]
    t = table(headers, [["a", "1"]], [20, 20], numeric=(1,))
    assert all(isinstance(cell, Paragraph) for cell in t._cellvalues[0])
    rows = RowsTable(headers, [["a", "1"]], [40, 40])
    assert len(rows.header_lines()[0]) > 1 and rows.wrap(80, 500)[1] > 2 * rows.row_height


def test_a_report_period_counts_an_early_approved_report_as_the_dashboard_does(call, grantee_org, grantee, manager):
    grant = make_grant(call, grantee_org, grantee)
    report = grant.reports.get(kind=ReportKind.INTERIM)
    report.due_on = timezone.localdate() + timedelta(days=60)  # due after the period's end…
    report.submit()
    report.submitted_at = timezone.now()  # as grantee_report_submit records it
    report.approve()
    report.save()  # …but handed in and approved within it
    dashboard = programme_figures(call.programme)
    period = programme_figures(call.programme, date(2020, 1, 1), timezone.localdate())
    assert dashboard.report_status["approved"] == period.report_status["approved"] == 1


def test_chart_labels_follow_the_readers_language(funded_programme):
    total = FunnelRow(key="all", label="All")
    total.submitted = 12000
    with translation.override("uk"):
        svg = charts.renderSVG.drawToString(
            charts.funnel_chart(_figures(funded_programme, funnel_total=total), charts.WEB)
        )
    assert "12\xa0000" in svg or "12&#160;000" in svg
