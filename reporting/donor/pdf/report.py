"""The donor report: cover, key figures, the funnel per call and per country, commitments and
disbursements against the budget, five charts, report status, the portfolio of grants and the
tranche schedule. Built from `reporting.donor.figures` (the numbers the donor dashboard shows)."""

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    NextPageTemplate,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core.formatting import moment_text
from grants.agreements.models import GrantState
from grants.calls.models import TrancheCondition
from grants.disbursement.models import TrancheState
from reporting.donor import charts
from reporting.donor.figures import FUNNEL_STAGES, ProgrammeFigures, country_name, fmt_money, fmt_pct
from reporting.donor.pdf.base import (
    A4,
    FONT,
    FRAME_WIDTH,
    LINE,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    chunked_tables,
    document_metadata,
    page_decorations,
    para,
    shorten,
    styles,
    table,
    xmp_canvasmaker,
)

GRANT_STATES = dict(GrantState.choices)
SECTION_MIN = 90 * mm  # a section starts on a new page only when less than this is left
TRANCHE_STATES = dict(TrancheState.choices)
CONDITIONS = {
    TrancheCondition.SIGNATURE: gettext_lazy("On signature"),
    TrancheCondition.INTERIM_REPORT: gettext_lazy("Interim report"),
    TrancheCondition.FINAL_REPORT: gettext_lazy("Final report"),
}


def _date(value):
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


class ProgressDoc(BaseDocTemplate):
    """Reports its progress (0–100) through `progress(pct)` while laying out pages."""

    def __init__(self, *args, progress=None, total_flowables=1, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress = progress
        self._total = max(total_flowables, 1)
        self._last = -1
        if progress is not None:
            self.setProgressCallBack(self._callback)

    def _callback(self, kind, value):
        if kind == "SIZE_EST":
            self._total = max(value, 1)
        elif kind == "PROGRESS" and self._progress is not None:
            # `value` counts flowables already laid out; the charts and tables are most of them.
            pct = min(99, int(value * 100 / self._total))
            if pct >= self._last + 5:
                self._last = pct
                self._progress(pct)


def results_story(results) -> list:
    """Results: per programme indicator, target against actual, by country and call."""
    s = styles()
    story = [CondPageBreak(SECTION_MIN), para(_("Results: target against actual"), s["h1"])]
    if not results:
        return [*story, para(_("This programme has no results framework yet."), s["body"])]
    story.append(
        para(
            _(
                "Actuals are the latest values of approved grantee reports; late: a report is past due and not approved."
            ),
            s["small"],
        )
    )
    widths = [FRAME_WIDTH - 110 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm]
    story.append(
        table(
            [_("Indicator"), _("Programme target"), _("Grants' targets"), _("Actual"), _("Late"), _("Missing")],
            [
                [
                    para(str(r.indicator), s["cell"]),
                    str(r.indicator.target),
                    str(r.grants_target),
                    str(r.actual),
                    str(r.late),
                    str(r.missing),
                ]
                for r in results
            ],
            widths,
            numeric=(1, 2, 3, 4, 5),
        )
    )
    for r in results:
        if not r.rows:
            continue
        story.append(para(str(r.indicator), s["h2"]))
        parts = [*r.by_country.values(), *r.by_call.values()]
        rows = [[para(b.label, s["cell"]), str(b.grants), str(b.target), str(b.actual)] for b in parts]
        story.append(
            table(
                [_("Country or call"), _("Grants"), _("Target"), _("Actual")],
                rows,
                [FRAME_WIDTH - 66 * mm, 22 * mm, 22 * mm, 22 * mm],
                numeric=(1, 2, 3),
            )
        )
    return story


def donor_report_story(
    figures: ProgrammeFigures,
    portfolio_rows,
    tranche_rows,
    *,
    title: str,
    subtitle: str,
    requested_by: str = "",
    results=None,
) -> list:
    s = styles()
    cur = figures.currency
    story = []
    # --- title block, then the sections flow one after another (a new page only where the next
    # section's start would not fit: CondPageBreak), so no page is left near-empty.
    story += [Spacer(1, 12 * mm), para(title, s["title"]), para(subtitle, s["subtitle"])]
    donors = ", ".join(name for name, _i, _a, _c in figures.donors)
    facts = [
        (_("Programme"), str(figures.programme)),
        (_("Funded by"), donors or "—"),
        (_("Period"), f"{_date(figures.period_start)} – {_date(figures.period_end)}"),
        (_("Budget"), f"{fmt_money(figures.budget)} {cur}"),
        (_("Countries"), ", ".join(figures.programme.country_names())),
        (_("Generated"), moment_text(figures.generated_at)),  # type: ignore[arg-type]
    ]
    if requested_by:
        facts.append((_("Requested by"), requested_by))
    story.append(
        Table(
            [[para(label, s["small"]), para(value, s["body"])] for label, value in facts],
            colWidths=[40 * mm, FRAME_WIDTH - 40 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE)]),
        )
    )
    story += [NextPageTemplate("body"), Spacer(1, 8 * mm)]

    # --- key figures
    story.append(para(_("Key figures"), s["h1"]))
    story.append(
        Table(
            [[para(label, s["body"]), para(value, s["body"])] for label, value in figures.key_figures()],
            colWidths=[70 * mm, FRAME_WIDTH - 70 * mm],
            style=TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE), ("FONT", (0, 0), (-1, -1), FONT)]),
        )
    )
    if figures.period_start:
        story.append(Spacer(1, 2 * mm))
        story.append(
            para(
                _("Disbursed in the period: %(amount)s %(cur)s")
                % {"amount": fmt_money(figures.disbursed_in_period), "cur": cur},
                s["body"],
            )
        )
    if figures.donors:
        story.append(para(_("Donor contributions"), s["h2"]))
        story.append(
            table(
                [_("Donor"), _("Identifier"), _("Contribution")],
                [[shorten(n, 60), i or "—", f"{fmt_money(a)} {c}"] for n, i, a, c in figures.donors],
                [80 * mm, 45 * mm, FRAME_WIDTH - 125 * mm],
                numeric=(2,),
            )
        )
    story.append(Spacer(1, 4 * mm))
    story.append(charts.funnel_chart(figures))

    # --- funnel
    story += [CondPageBreak(SECTION_MIN), para(_("Applications: the funnel"), s["h1"])]
    stage_headers = [str(label) for _k, label in FUNNEL_STAGES]
    funnel_widths = [FRAME_WIDTH - 5 * 19 * mm - 18 * mm] + [19 * mm] * 5 + [18 * mm]
    story.append(para(_("By call"), s["h2"]))
    rows = [[shorten(r.label, 48), *map(str, r.stages()), fmt_pct(r.success_rate)] for r in figures.funnel_by_call]
    rows.append([_("All calls"), *map(str, figures.funnel_total.stages()), fmt_pct(figures.funnel_total.success_rate)])  # type: ignore[union-attr]
    story.append(table([_("Call"), *stage_headers, _("Success")], rows, funnel_widths, numeric=range(1, 7)))
    story.append(para(_("By country"), s["h2"]))
    rows = [[r.label, *map(str, r.stages()), fmt_pct(r.success_rate)] for r in figures.funnel_by_country]
    story.append(table([_("Country"), *stage_headers, _("Success")], rows, funnel_widths, numeric=range(1, 7)))
    story.append(Spacer(1, 4 * mm))
    story.append(charts.funnel_by_country_chart(figures))

    # --- money
    story += [CondPageBreak(SECTION_MIN), para(_("Commitments and disbursements against the budget"), s["h1"])]
    story.append(
        para(
            _(
                "Budget %(budget)s %(cur)s; envelopes of calls %(env)s %(cur)s; committed %(com)s %(cur)s; "
                "disbursed %(dis)s %(cur)s; remaining to commit %(rem)s %(cur)s."
            )
            % {
                "budget": fmt_money(figures.budget),
                "env": fmt_money(figures.envelopes),
                "com": fmt_money(figures.committed),
                "dis": fmt_money(figures.disbursed),
                "rem": fmt_money(figures.remaining),
                "cur": cur,
            },
            s["body"],
        )
    )
    money_widths = [FRAME_WIDTH - 4 * 27 * mm - 14 * mm - 16 * mm] + [14 * mm] + [27 * mm] * 4 + [16 * mm]
    money_headers = [
        _("Call"),
        _("Grants"),
        _("Envelope"),
        _("Committed"),
        _("Disbursed"),
        _("In the period"),
        _("Paid %"),
    ]
    rows = [
        [
            shorten(r.label, 40),
            str(r.grants),
            fmt_money(r.envelope),
            fmt_money(r.committed),
            fmt_money(r.disbursed),
            fmt_money(r.disbursed_in_period),
            fmt_pct(r.disbursed_pct),
        ]
        for r in figures.money_by_call
    ]
    rows.append(
        [
            _("Total"),
            str(figures.grants),
            fmt_money(figures.envelopes),
            fmt_money(figures.committed),
            fmt_money(figures.disbursed),
            fmt_money(figures.disbursed_in_period),
            fmt_pct(figures.disbursed_pct),
        ]
    )
    story.append(para(_("By call (%(cur)s)") % {"cur": cur}, s["h2"]))
    story.append(table(money_headers, rows, money_widths, numeric=range(1, 7)))
    story.append(para(_("By country (%(cur)s)") % {"cur": cur}, s["h2"]))
    rows = [
        [
            r.label,
            str(r.grants),
            "",
            fmt_money(r.committed),
            fmt_money(r.disbursed),
            fmt_money(r.disbursed_in_period),
            fmt_pct(r.disbursed_pct),
        ]
        for r in figures.money_by_country
    ]
    story.append(table([_("Country"), *money_headers[1:]], rows, money_widths, numeric=range(1, 7)))
    story.append(CondPageBreak(80 * mm))
    story.append(charts.money_by_call_chart(figures))
    story.append(CondPageBreak(80 * mm))
    story.append(charts.commitments_by_country_chart(figures))

    # --- reports
    story += [CondPageBreak(SECTION_MIN), para(_("Grantee reports"), s["h1"])]
    rows = [[str(label), str(n)] for _k, label, n in figures.report_status_rows()]
    rows += [[_("Submitted on time"), str(figures.reports_on_time)], [_("Submitted late"), str(figures.reports_late)]]
    story.append(table([_("Status"), _("Reports")], rows, [90 * mm, 30 * mm], numeric=(1,)))
    story.append(Spacer(1, 4 * mm))
    story.append(charts.report_status_chart(figures))

    # --- portfolio: long, so in page-sized chunks
    story += [CondPageBreak(SECTION_MIN), para(_("Portfolio of grants"), s["h1"])]
    widths = [38 * mm, 46 * mm, 20 * mm, 26 * mm, 24 * mm, FRAME_WIDTH - 154 * mm]
    story += chunked_tables(
        [_("Grant"), _("Grantee"), _("Country"), _("Awarded"), _("Disbursed"), _("State")],
        (
            [
                number,
                shorten(org, 30),
                country_name(country),
                f"{fmt_money(awarded)} {currency}",
                fmt_money(disbursed or 0),
                str(GRANT_STATES.get(state, state)),
            ]
            for number, org, country, _title, awarded, disbursed, currency, state in portfolio_rows
        ),
        widths,
        numeric=(3, 4),
    )

    # --- tranches
    story += [CondPageBreak(SECTION_MIN), para(_("Tranches and payments"), s["h1"])]
    widths = [38 * mm, 8 * mm, 25 * mm, 22 * mm, 22 * mm, 18 * mm, 18 * mm, FRAME_WIDTH - 151 * mm]
    story += chunked_tables(
        [_("Grant"), "#", _("Condition"), _("Planned"), _("Due"), _("State"), _("Paid on"), _("Paid")],
        (
            [
                number,
                str(position),
                str(CONDITIONS.get(condition, condition)),
                fmt_money(planned),
                fmt_money(due) if due is not None else "—",
                str(TRANCHE_STATES.get(state, state)),
                _date(paid_on),
                fmt_money(paid) if paid is not None else "—",
            ]
            for number, position, condition, planned, due, state, paid_on, paid in tranche_rows
        ),
        widths,
        numeric=(3, 4, 7),
    )
    if results is not None:
        story += results_story(results)
    return story


def donor_report_build(
    out,
    figures: ProgrammeFigures,
    portfolio_rows,
    tranche_rows,
    *,
    title: str,
    subtitle: str,
    requested_by: str = "",
    progress=None,
    results=None,
) -> int:
    """Write the PDF to `out` (a path or a binary file); returns the number of pages."""
    story = donor_report_story(
        figures,
        portfolio_rows,
        tranche_rows,
        title=title,
        subtitle=subtitle,
        requested_by=requested_by,
        results=results,
    )
    doc = ProgressDoc(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        **document_metadata(title, subtitle),
        progress=progress,
        total_flowables=len(story),
    )
    frame = Frame(MARGIN, MARGIN + 4 * mm, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN - 4 * mm, id="main")
    doc.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[frame]),
            PageTemplate(id="body", frames=[frame], onPage=page_decorations(f"{title} — {subtitle}")),
        ]
    )
    doc.build(story, canvasmaker=xmp_canvasmaker(title, subtitle))
    return doc.page
