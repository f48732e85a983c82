"""PDFs of one application (for the archive and for reviewers: blind when the call is blind and
the reader is a reviewer) and of a grant agreement summary."""

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from accounts.orgid import COUNTRY_CHOICES
from core.clock import moment_text
from grants.calls.form.layout import form_load
from grants.calls.models import TrancheCondition
from reporting.donor.figures import fmt_money
from reporting.donor.pdf.base import (
    A4,
    FONT,
    FRAME_WIDTH,
    LINE,
    MARGIN,
    document_metadata,
    page_decorations,
    para,
    styles,
    table,
    xmp_canvasmaker,
)

COUNTRIES = dict(COUNTRY_CHOICES)
CONDITIONS = dict(TrancheCondition.choices)


def _facts(rows, s):
    return Table(
        [[para(label, s["small"]), para(value, s["body"])] for label, value in rows],
        colWidths=[45 * mm, FRAME_WIDTH - 45 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
                ("FONT", (0, 0), (-1, -1), FONT),
            ]
        ),
    )


def _dt(value):
    return moment_text(value) if value else "—"


def _d(value):
    return formats.date_format(value, "DATE_FORMAT") if value else "—"


def _build(story, title) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        **document_metadata(title),
    )
    decorate = page_decorations(title)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=xmp_canvasmaker(title))
    return buffer.getvalue()


def application_pdf(application, *, blind: bool) -> bytes:
    """`blind`: leave out everything that names the applicant (organisation, identifier, people)."""
    s = styles()
    call = application.call
    currency = call.envelope.currency
    title = application.reference or _("Application")
    story = [para(application.title or _("(untitled)"), s["title"]), para(str(call), s["subtitle"])]
    facts = [
        (_("Reference"), application.reference or "—"),
        (_("Call"), f"{call} ({call.code})"),
        (_("State"), application.get_state_display()),
        (_("Submitted at"), _dt(application.submitted_at)),
    ]
    if blind:
        facts.append((_("Applicant"), _("Hidden: this call is reviewed blind.")))
    else:
        org = application.organisation
        facts += [
            (_("Applicant"), org.legal_name),
            (_("Identifier"), org.registration_id),
            (_("Country"), str(COUNTRIES.get(org.country, org.country))),
        ]
    facts += [
        (_("Amount requested"), f"{fmt_money(application.requested_amount)} {currency}"),
        (_("Co-financing"), f"{fmt_money(application.cofinancing_amount)} {currency}"),
        (_("Duration (months)"), str(application.duration_months or "—")),
    ]
    if application.receipt_sha256:
        facts.append((_("SHA-256 of the submitted content"), application.receipt_sha256))
    story += [_facts(facts, s), para(_("Summary"), s["h1"]), para(application.summary or "—", s["body"])]
    answered = form_load(call.pk).answer_rows(application.answers, blind=blind)
    if answered:
        story.append(para(_("Answers"), s["h1"]))
        for n, (q, text) in enumerate(answered, start=1):
            story.append(KeepTogether([para(f"{n}. {q}", s["h2"])]))
            story.append(para(text or "—", s["body"]))
    lines = list(application.budget_lines.select_related("heading").order_by("position"))
    if lines:
        story.append(para(_("Budget (%(cur)s)") % {"cur": currency}, s["h1"]))
        rows = [
            [
                str(line.heading)[:30],
                line.description[:60],
                fmt_money(line.units),
                fmt_money(line.unit_cost),
                fmt_money(line.total),
            ]
            for line in lines
        ]
        rows.append([_("Total"), "", "", "", fmt_money(sum(line.total for line in lines))])
        story.append(
            table(
                [_("Heading"), _("Description"), _("Units"), _("Unit cost"), _("Total")],
                rows,
                [32 * mm, FRAME_WIDTH - 107 * mm, 20 * mm, 27 * mm, 28 * mm],
                numeric=(2, 3, 4),
            )
        )
    attachments = list(application.attachments.order_by("uploaded_at"))
    if attachments:
        story.append(para(_("Attachments"), s["h1"]))
        for i, a in enumerate(attachments, start=1):
            name = _("Attachment %(n)s") % {"n": i} if blind else a.original_name
            story.append(para(f"{name} — {a.content_type}, {a.size:,} B, SHA-256 {a.sha256}", s["small"]))
    story += [Spacer(1, 6 * mm), para(_("Printed %(when)s from Hromada.") % {"when": _dt(timezone.now())}, s["small"])]
    return _build(story, title)


def grant_summary_pdf(grant) -> bytes:
    s = styles()
    call, programme, org = grant.call, grant.call.programme, grant.organisation
    donors = ", ".join(c.donor.name for c in programme.contributions.select_related("donor"))
    story = [
        para(_("Grant agreement summary"), s["small"]),
        para(grant.title, s["title"]),
        para(grant.number, s["subtitle"]),
    ]
    story.append(
        _facts(
            [
                (_("Grant number"), grant.number),
                (_("Programme"), str(programme)),
                (_("Funded by"), donors or "—"),
                (_("Call"), f"{call} ({call.code})"),
                (_("Grantee"), org.legal_name),
                (_("Identifier"), org.registration_id),
                (_("Country"), str(COUNTRIES.get(org.country, org.country))),
                (_("Amount awarded"), f"{fmt_money(grant.amount_awarded)} {grant.currency}"),
                (_("Paid so far"), f"{fmt_money(grant.paid_total)} {grant.currency}"),
                (_("Period"), f"{_d(grant.starts_on)} – {_d(grant.ends_on)}"),
                (_("Signed at"), _dt(grant.signed_at)),
                (_("State"), grant.get_state_display()),
            ],
            s,
        )
    )
    lines = list(grant.budget_lines.select_related("heading").order_by("position"))
    if lines:
        story.append(para(_("Approved budget (%(cur)s)") % {"cur": grant.currency}, s["h1"]))
        rows = [[str(line.heading)[:30], line.description[:70], fmt_money(line.amount)] for line in lines]
        rows.append([_("Total"), "", fmt_money(sum(line.amount for line in lines))])
        story.append(
            table(
                [_("Heading"), _("Description"), _("Amount")],
                rows,
                [35 * mm, FRAME_WIDTH - 65 * mm, 30 * mm],
                numeric=(2,),
            )
        )
    tranches = list(grant.tranches.order_by("position"))
    if tranches:
        story.append(para(_("Tranches"), s["h1"]))
        story.append(
            table(
                [_("#"), _("Release condition"), _("Share (%)"), _("Planned"), _("State")],
                [
                    [
                        str(t.position),
                        str(CONDITIONS.get(t.condition, t.condition)),
                        str(t.share_pct),
                        fmt_money(t.planned_amount),
                        t.get_state_display(),
                    ]
                    for t in tranches
                ],
                [10 * mm, FRAME_WIDTH - 95 * mm, 20 * mm, 30 * mm, 35 * mm],
                numeric=(2, 3),
            )
        )
    reports = list(grant.reports.order_by("due_on", "pk"))
    if reports:
        story.append(para(_("Reporting schedule"), s["h1"]))
        story.append(
            table(
                [_("Report"), _("Period"), _("Due on"), _("State")],
                [
                    [
                        r.get_kind_display(),
                        f"{_d(r.period_start)} – {_d(r.period_end)}",
                        _d(r.due_on),
                        r.get_state_display(),
                    ]
                    for r in reports
                ],
                [35 * mm, FRAME_WIDTH - 105 * mm, 35 * mm, 35 * mm],
            )
        )
    indicators = list(grant.indicators.order_by("position"))
    if indicators:
        story.append(para(_("Indicators"), s["h1"]))
        story.append(
            table(
                [_("Indicator"), _("Unit"), _("Baseline"), _("Target")],
                [[i.name[:70], i.unit, fmt_money(i.baseline), fmt_money(i.target)] for i in indicators],
                [FRAME_WIDTH - 85 * mm, 25 * mm, 30 * mm, 30 * mm],
                numeric=(2, 3),
            )
        )
    story += [Spacer(1, 6 * mm), para(_("Printed %(when)s from Hromada.") % {"when": _dt(timezone.now())}, s["small"])]
    return _build(story, grant.number)
