"""Donor reports (request, progress, download, retry), the donor dashboard of a programme with
its charts, and the programme manager's full "what waits" page."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import DONOR, MANAGER
from core.errors import TransitionRefused
from core.forms import form_errors_add
from core.pagination import page_of
from core.storage import file_response
from grants.calls.models import Programme
from grants.calls.selectors import programme_list_for
from reporting.donor import services as donor_reports
from reporting.donor.charts import CHARTS, chart_svg
from reporting.donor.figures import (
    programme_figures,
    programme_figures_current,
    programme_portfolio_rows,
    programme_tranche_rows,
)
from reporting.donor.forms import DonorReportRequestForm
from reporting.donor.models import DonorReport, DonorReportState
from reporting.donor.pdf.report import CONDITIONS, GRANT_STATES, TRANCHE_STATES
from reporting.donor.waiting import manager_counts_current, manager_lists_current
from reporting.grantee.results import programme_results


def _programme(request, pk, perm="reporting.view_donor_dashboard") -> Programme:
    programme = Programme.objects.filter(pk=pk).first()
    if programme is None or not request.user.has_perm(perm, programme):
        raise Http404
    return programme


def _programmes(user):
    return programme_list_for(user, DONOR, MANAGER).order_by("-starts_on", "code")


@login_required
def donor_report_list(request):
    programmes = _programmes(request.user)
    if not request.user.is_superuser and not programmes.exists():
        raise Http404
    form = DonorReportRequestForm(
        request.POST or None,
        programmes=programmes,
        initial={"language": (get_language() or "en")[:2], "programme": request.GET.get("programme")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = donor_reports.donor_report_request(
                actor=request.user,
                programme_id=data["programme"].pk,
                period_start=data["period_start"],
                period_end=data["period_end"],
                language=data["language"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("The report is being generated. This page shows its progress."))
            return redirect("donor:donor_report_detail", pk=report.pk)
    reports = page_of(request, donor_reports.donor_report_list_for(request.user).order_by("-requested_at", "-pk"))
    return render(
        request,
        "reporting/donor_report_list.html",
        {"form": form, "reports": reports, "retention_days": settings.HROMADA_GENERATED_FILE_RETENTION_DAYS},
    )


def _visible_report(request, pk) -> DonorReport:
    try:
        return donor_reports.donor_report_get_visible(request.user, pk)
    except DonorReport.DoesNotExist:
        raise Http404


@login_required
def donor_report_detail(request, pk):
    report = _visible_report(request, pk)
    template = "reporting/_donor_report_status.html" if request.htmx else "reporting/donor_report_detail.html"
    return render(
        request,
        template,
        {
            "report": report,
            "in_progress": report.state in (DonorReportState.QUEUED, DonorReportState.GENERATING),
            "retention_days": settings.HROMADA_GENERATED_FILE_RETENTION_DAYS,
        },
    )


@login_required
def donor_report_html(request, pk):
    """The accessible HTML twin of a donor report's PDF: the same content (headings, real tables,
    the charts as described tables), in the report's language, for the same readers."""
    report = _visible_report(request, pk)
    programme = report.programme
    with translation.override(report.language):
        figures = programme_figures(programme, report.period_start, report.period_end)
        return render(
            request,
            "reporting/donor_report_html.html",
            {
                "report": report,
                "programme": programme,
                "figures": figures,
                "results": programme_results(programme),
                "portfolio": [
                    (*row[:7], GRANT_STATES.get(row[7], row[7]))
                    for row in programme_portfolio_rows(programme, report.period_end)
                ],
                "tranches": [
                    (n, pos, CONDITIONS.get(cond, cond), planned, due, TRANCHE_STATES.get(state, state), on, paid)
                    for n, pos, cond, planned, due, state, on, paid in programme_tranche_rows(
                        programme, report.period_end
                    )
                ],
                "report_language": report.language,
            },
        )


@login_required
def donor_report_download(request, pk):
    try:
        path = donor_reports.donor_report_file(request.user, pk)
    except DonorReport.DoesNotExist:
        raise Http404
    report = DonorReport.objects.select_related("programme").get(pk=pk)
    filename = f"donor-report-{report.programme.code}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.pdf"
    try:
        return file_response(path, filename=filename, content_type="application/pdf")
    except FileNotFoundError:
        raise Http404


@login_required
@require_POST
def donor_report_retry(request, pk):
    report = _visible_report(request, pk)
    try:
        donor_reports.donor_report_retry(actor=request.user, report_id=report.pk)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        raise Http404
    else:
        messages.success(request, _("The report is queued again."))
    return redirect("donor:donor_report_detail", pk=report.pk)


@login_required
def donor_dashboard(request, pk):
    """The donor report's numbers and charts on screen, for one programme the user funds or manages."""
    programme = _programme(request, pk)
    figures = programme_figures_current(programme)
    return render(
        request,
        "reporting/donor_dashboard.html",
        {
            "programme": programme,
            "figures": figures,
            "charts": list(CHARTS),
            "results": programme_results(programme),
            "reports": donor_reports.donor_report_list_for(request.user, programme.pk)[:10],
        },
    )


@login_required
@csp_update({"style-src": ["'unsafe-inline'"]})  # type: ignore[arg-type]  # the SVG's own presentation attributes; it runs no script
def donor_chart(request, pk, name):
    programme = _programme(request, pk)
    if name not in CHARTS:
        raise Http404
    response = HttpResponse(
        chart_svg(name, programme_figures_current(programme)), content_type="image/svg+xml; charset=utf-8"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=60"
    return response


@login_required
def manager_dashboard(request):
    """Everything that waits for the programme manager, oldest first."""
    if not request.user.is_superuser and not programme_list_for(request.user, MANAGER).exists():
        raise Http404
    return render(
        request,
        "reporting/manager_dashboard.html",
        {"counts": manager_counts_current(request.user), "lists": manager_lists_current(request.user)},
    )
