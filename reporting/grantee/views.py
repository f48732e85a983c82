"""Pages of grantee reports: a grant's schedule, one report (the grantee fills it in, the manager
reviews it), supporting documents. Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.lists import CountReusingPaginator
from core.errors import TransitionRefused
from core.forms import form_errors_add, form_run
from core.pagination import page_of
from core.storage import file_response
from grants.agreements.models import Grant
from grants.calls.form.render import form_items, posted_answers
from reporting.grantee import indicators as indicators_services
from reporting.grantee import schedule, selectors, services
from reporting.grantee.documents import document_path
from reporting.grantee.forms import (
    DecisionForm,
    DocumentForm,
    IndicatorChangeForm,
    IndicatorForm,
    IneligibleForm,
    ReportAddForm,
    ReportForm,
    ReportMoveForm,
)
from reporting.grantee.models import GranteeReport, GranteeReportState, ReportDocument


def _report(request, pk) -> GranteeReport:
    try:
        return selectors.report_get_visible(request.user, pk)
    except GranteeReport.DoesNotExist:
        raise Http404


def _grant(request, pk) -> Grant:
    try:
        return selectors.grant_get_visible(request.user, pk)
    except Grant.DoesNotExist:
        raise Http404


@login_required
def report_list(request):
    """Reports the user works on: their organisations' reports, or the programmes' they manage."""
    reports = selectors.report_list_visible(request.user).order_by("due_on", "grant__number")
    state = request.GET.get("state")
    if state in GranteeReportState.values:
        reports = reports.filter(state=state)
    return render(
        request,
        "reporting/report_list.html",
        {
            "reports": page_of(
                request, reports.order_by("due_on", "grant__number", "pk"), paginator=CountReusingPaginator
            ),
            "states": GranteeReportState.choices,
            "state": state,
        },
    )


@login_required
def grant_reports(request, grant_id):
    grant = _grant(request, grant_id)
    if not request.user.has_perm("reporting.view_report", grant):
        raise Http404
    can_manage = request.user.has_perm("reporting.review_report", grant)
    add_form = ReportAddForm(request.POST if request.POST.get("action") == "add" else None, prefix="add")
    indicator_form = IndicatorForm(request.POST if request.POST.get("action") == "indicator" else None, prefix="ind")
    indicators = list(grant.indicators.all())
    change_form = IndicatorChangeForm(
        request.POST if request.POST.get("action") == "indicator_change" else None, prefix="chg", indicators=indicators
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        form = {"add": add_form, "indicator_change": change_form}.get(action, indicator_form)
        if form.is_valid():
            try:
                if form is add_form:
                    schedule.grantee_report_add(actor=request.user, grant_id=grant.pk, **form.cleaned_data)
                    messages.success(request, _("The report is added to the schedule."))
                elif form is change_form:
                    indicators_services.indicator_change(
                        actor=request.user, indicator_id=form.cleaned_data.pop("indicator"), **form.cleaned_data
                    )
                    messages.success(request, _("The indicator is changed."))
                else:
                    indicators_services.indicator_add(actor=request.user, grant_id=grant.pk, **form.cleaned_data)
                    messages.success(request, _("The indicator is added."))
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                return redirect("reports:grant_reports", grant_id=grant.pk)
    return render(
        request,
        "reporting/grant_reports.html",
        {
            "grant": grant,
            "reports": grant.reports.order_by("due_on", "pk"),
            "indicators": indicators,
            "can_manage": can_manage,
            "add_form": add_form,
            "indicator_form": indicator_form,
            "change_form": change_form,
            "can_schedule": can_manage and not grant.reports.exists(),
            "close_problems": selectors.grant_close_problems(grant.pk),
        },
    )


@login_required
@require_POST
def grant_reports_schedule(request, grant_id):
    grant = _grant(request, grant_id)
    if not request.user.has_perm("reporting.review_report", grant):
        raise PermissionDenied
    schedule.grantee_reports_schedule(grant_id=grant.pk, actor=request.user)
    messages.success(request, _("The reporting schedule is set."))
    return redirect("reports:grant_reports", grant_id=grant.pk)


def _in_report_form(document_form):
    """The document's file input belongs to the report's form (`form="report-form"`)."""
    for name in ("file", "indicator"):
        if name in document_form.fields:
            document_form.fields[name].widget.attrs["form"] = "report-form"
    return document_form


def _report_context(request, report, form=None, decision=None, ineligible=None, move=None, document_form=None):
    user = request.user
    financials = selectors.report_financials(report)
    indicators = selectors.report_indicators(report)
    sections = selectors.report_narrative_sections(report)
    typed = selectors.report_typed_form(report)
    can_edit = user.has_perm("reporting.edit_report", report) and report.state in selectors.EDITABLE_STATES
    can_review = user.has_perm("reporting.review_report", report)
    if can_edit and form is None:
        form = ReportForm(
            initial={"version": report.version}, sections=sections, lines=financials.lines, indicators=indicators
        )
    return {
        "report": report,
        "grant": report.grant,
        "financials": financials,
        "indicators": indicators,
        "sections": sections,
        # the call's report form, when it has one (grants.calls.form): drawn like the application's
        "report_parts": form_items(
            typed,
            {f"q{key}": value for key, value in (report.narrative or {}).items()},
            errors=getattr(form, "typed_errors", None),
        )
        if typed
        else [],
        "answer_rows": typed.answer_rows(report.narrative) if typed else [],
        "currency": report.grant.call.envelope.currency if typed else "",
        "documents": report.documents.select_related("indicator").order_by("uploaded_at"),
        "can_edit": can_edit,
        "can_review": can_review,
        "form": form,
        "document_form": _in_report_form(
            document_form or DocumentForm(indicators=[row["indicator"] for row in indicators])
        ),
        "approve_form": decision
        if decision is not None and decision.prefix == "approve"
        else DecisionForm(prefix="approve"),
        "changes_form": decision
        if decision is not None and decision.prefix == "changes"
        else DecisionForm(prefix="changes"),
        "ineligible_form": ineligible or IneligibleForm(lines=financials.lines),
        "move_form": move
        or ReportMoveForm(
            initial={"due_on": report.due_on, "period_start": report.period_start, "period_end": report.period_end}
        ),
        "waiting_review": report.state == GranteeReportState.SUBMITTED,
    }


@login_required
def report_detail(request, pk):
    report = _report(request, pk)
    return render(request, "reporting/report_detail.html", _report_context(request, report))


def _wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


@login_required
@require_POST
def report_save(request, pk):
    """Save the grantee's part. Called by autosave (JSON answer) and by the "Save" button."""
    report = _report(request, pk)
    financials = selectors.report_financials(report)
    form = ReportForm(
        request.POST,
        sections=selectors.report_narrative_sections(report),
        lines=financials.lines,
        indicators=selectors.report_indicators(report),
    )
    typed = selectors.report_typed_form(report)
    if form.is_valid():
        try:
            report = services.grantee_report_save(
                actor=request.user,
                report_id=report.pk,
                **form.service_arguments(),
                answers=posted_answers(request.POST, typed.questions) if typed else None,
            )
        except services.StaleVersion as exc:
            if _wants_json(request):
                return JsonResponse({"message": exc.message, "version": exc.current_version}, status=409)
            messages.error(request, exc.message)
            return redirect("reports:report_detail", pk=report.pk)
        except TransitionRefused as exc:
            if _wants_json(request):
                return JsonResponse({"message": str(exc.message)}, status=409)
            messages.error(request, exc.message)
            return redirect("reports:report_detail", pk=report.pk)
        except ValidationError as exc:
            form.typed_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("q")}
            form_errors_add(form, ValidationError({k: v for k, v in exc.message_dict.items() if not k.startswith("q")}))
            if _wants_json(request):
                return JsonResponse(
                    {"message": _("Check the highlighted fields."), "errors": exc.message_dict}, status=400
                )
        else:
            if _wants_json(request):
                return JsonResponse({"version": report.version, "message": _("Saved.")})
            if request.POST.get("action") == "submit":
                return _submit(request, report)
            messages.success(request, _("Saved."))
            return redirect("reports:report_detail", pk=report.pk)
    if _wants_json(request):
        return JsonResponse({"message": _("Check the highlighted fields."), "errors": form.errors}, status=400)
    return render(request, "reporting/report_detail.html", _report_context(request, report, form=form), status=400)


def _submit(request, report):
    try:
        services.grantee_report_submit(actor=request.user, report_id=report.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The report is submitted. The programme manager is notified."))
    return redirect("reports:report_detail", pk=report.pk)


@login_required
@require_POST
def report_decide(request, pk, decision):
    report = _report(request, pk)
    if not request.user.has_perm("reporting.review_report", report):
        raise PermissionDenied
    form = DecisionForm(request.POST, prefix="approve" if decision == "approve" else "changes")
    if form.is_valid():
        try:
            if decision == "approve":
                services.grantee_report_approve(
                    actor=request.user, report_id=report.pk, comment=form.cleaned_data["comment"]
                )
                messages.success(request, _("The report is approved."))
            else:
                services.grantee_report_request_changes(
                    actor=request.user, report_id=report.pk, comment=form.cleaned_data["comment"]
                )
                messages.success(request, _("The grantee is asked for changes."))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form_errors_add(form, exc)
            return render(
                request, "reporting/report_detail.html", _report_context(request, report, decision=form), status=400
            )
        else:
            return redirect("reports:report_detail", pk=report.pk)
    return redirect("reports:report_detail", pk=report.pk)


@login_required
@require_POST
def report_ineligible(request, pk):
    report = _report(request, pk)
    if not request.user.has_perm("reporting.review_report", report):
        raise PermissionDenied
    financials = selectors.report_financials(report)
    form = IneligibleForm(request.POST, lines=financials.lines)
    if form.is_valid():
        try:
            services.expenditure_ineligible_set(
                actor=request.user, report_id=report.pk, amounts=form.amounts(), reason=form.cleaned_data["reason"]
            )
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Ineligible costs are recorded."))
            return redirect("reports:report_detail", pk=report.pk)
    return render(
        request, "reporting/report_detail.html", _report_context(request, report, ineligible=form), status=400
    )


@login_required
@require_POST
def report_move(request, pk):
    report = _report(request, pk)
    if not request.user.has_perm("reporting.review_report", report):
        raise PermissionDenied
    form = ReportMoveForm(request.POST)
    if form.is_valid():
        try:
            schedule.grantee_report_move(actor=request.user, report_id=report.pk, **form.cleaned_data)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("The report's dates are changed."))
            return redirect("reports:report_detail", pk=report.pk)
    return render(request, "reporting/report_detail.html", _report_context(request, report, move=form), status=400)


@login_required
@require_POST
def report_document_add(request, pk):
    """Attach a document. The "Attach" button belongs to the report's form, so what the grantee
    typed arrives with the file and is saved first: uploading never loses typed values (nor does
    a refused file: the page comes back with both)."""
    report = _report(request, pk)
    form = DocumentForm(
        request.POST, request.FILES, indicators=[row["indicator"] for row in selectors.report_indicators(report)]
    )
    typed = None
    if "version" in request.POST:  # the report's own fields came along: save them first
        financials = selectors.report_financials(report)
        typed = ReportForm(
            request.POST,
            sections=selectors.report_narrative_sections(report),
            lines=financials.lines,
            indicators=selectors.report_indicators(report),
        )
        saved, report_or_none = False, None
        if typed.is_valid():
            try:
                saved, report_or_none = form_run(
                    typed,
                    services.grantee_report_save,
                    actor=request.user,
                    report_id=report.pk,
                    **typed.service_arguments(),
                )
            except services.StaleVersion as exc:
                typed.add_error(None, exc.message)
        if not saved:
            return render(
                request,
                "reporting/report_detail.html",
                _report_context(request, report, form=typed, document_form=form),
                status=400,
            )
        report = report_or_none
        typed = None  # saved: the page shows the stored values and version
    if form.is_valid():
        try:
            services.report_document_add(
                actor=request.user,
                report_id=report.pk,
                uploaded=form.cleaned_data["file"],
                indicator_id=form.cleaned_data.get("indicator"),
            )
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("The document is attached."))
            return redirect("reports:report_detail", pk=report.pk)
    return render(
        request, "reporting/report_detail.html", _report_context(request, report, document_form=form), status=400
    )


@login_required
@require_POST
def report_document_remove(request, document_id):
    document = ReportDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise Http404
    report = _report(request, document.report_id)
    try:
        services.report_document_remove(actor=request.user, document_id=document.pk)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The document is removed."))
    return redirect("reports:report_detail", pk=report.pk)


@login_required
def report_document_download(request, document_id):
    document = ReportDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise Http404
    _report(request, document.report_id)  # 404 unless the user may see the report
    try:
        return file_response(
            document_path(document.stored_name), filename=document.original_name, content_type=document.content_type
        )
    except FileNotFoundError:
        raise Http404
