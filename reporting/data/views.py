"""Exports, imports, open data and the PDFs of one application or grant."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.roles import MANAGER, organisation_roles, programme_ids
from applications.models import ApplicationState
from applications.visibility import application_list_visible
from core.errors import TransitionRefused
from core.formatting import number_text
from core.forms import form_errors_add
from core.pagination import page_of
from core.storage import content_disposition, file_response
from grants.agreements.models import Grant
from grants.calls.form.layout import form_load
from grants.calls.models import Call, Programme
from reporting.data import exports, imports, jobs, opendata
from reporting.data.forms import ImportForm
from reporting.data.models import ExportJob
from reporting.data.setwise import PREVIEW_ROWS
from reporting.donor.pdf.documents import application_pdf, grant_summary_pdf
from reporting.grantee import selectors


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- PDFs of one application and one grant ----------------------------------------------------------


def _visible_application(request, pk):
    """A submitted application the user may see, and whether its applicant must stay hidden."""
    application = (
        application_list_visible(request.user)
        .select_related("call", "call__programme", "organisation")
        .exclude(state=ApplicationState.DRAFT)
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404
    user = request.user
    sees_identity = (
        user.is_superuser
        or application.organisation_id in organisation_roles(user)
        or application.call.programme_id in programme_ids(user, MANAGER)
    )
    return application, application.call.blind_review and not sees_identity


def _visible_grant(request, pk) -> Grant:
    try:
        grant = selectors.grant_get_visible(request.user, pk)
    except Grant.DoesNotExist:
        raise Http404
    if not request.user.has_perm("reporting.view_grant_summary", grant):
        raise Http404
    return grant


@login_required
def application_pdf_view(request, pk):
    application, blind = _visible_application(request, pk)
    return _pdf(application_pdf(application, blind=blind), f"{application.reference or application.pk}.pdf")


@login_required
def application_html_view(request, pk):
    """The accessible HTML twin of the application's PDF: the same content, for the same readers."""
    application, blind = _visible_application(request, pk)
    lines = list(application.budget_lines.select_related("heading").order_by("position"))
    return render(
        request,
        "reporting/application_print.html",
        {
            "app": application,
            "blind": blind,
            "currency": application.call.envelope.currency,
            "answers": form_load(application.call_id).answer_rows(application.answers, blind=blind),
            "lines": lines,
            "budget_total": sum((line.total for line in lines), 0),
            "attachments": list(application.attachments.order_by("uploaded_at")),
        },
    )


@login_required
def grant_summary_pdf_view(request, pk):
    grant = _visible_grant(request, pk)
    return _pdf(grant_summary_pdf(grant), f"{grant.number}.pdf")


@login_required
def grant_summary_html_view(request, pk):
    """The accessible HTML twin of the grant agreement summary (PDF)."""
    grant = _visible_grant(request, pk)
    lines = list(grant.budget_lines.select_related("heading").order_by("position"))
    programme = grant.call.programme
    return render(
        request,
        "reporting/grant_summary.html",
        {
            "grant": grant,
            "donors": ", ".join(c.donor.name for c in programme.contributions.select_related("donor")),
            "lines": lines,
            "budget_total": sum((line.amount for line in lines), 0),
            "tranches": list(grant.tranches.order_by("position")),
            "reports": list(grant.reports.order_by("due_on", "pk")),
            "indicators": list(grant.indicators.order_by("position")),
        },
    )


# --- exports ---------------------------------------------------------------------------------------


def _filters(request) -> dict:
    return {key: request.GET.get(key) for key in ("programme", "call") if request.GET.get(key)}


@login_required
def export_list(request):
    user = request.user
    filters = _filters(request)
    empty = exports.exports_empty(user, filters)
    programmes = (
        Programme.objects.all() if user.is_superuser else Programme.objects.filter(pk__in=list(programme_ids(user)))
    )
    return render(
        request,
        "reporting/export_list.html",
        {
            "kinds": [(key, spec.label, empty.get(key, "")) for key, spec in exports.EXPORTS.items()],
            "programmes": programmes,
            "filters": filters,
            "jobs": page_of(request, jobs.export_jobs_for(user).order_by("-created_at", "-pk"), size=20),
            "retention_days": settings.HROMADA_GENERATED_FILE_RETENTION_DAYS,
            "background_rows": settings.HROMADA_EXPORT_BACKGROUND_ROWS,
        },
    )


@login_required
def export_download(request, kind, file_format):
    filters = _filters(request)
    try:
        exports.export_check(kind, file_format, filters)
    except ValidationError:
        raise Http404
    total = exports.export_count(request.user, kind, filters)
    if total == 0:  # no file with a header row only: say why instead
        messages.info(request, exports.export_empty_reason(request.user, kind))
        url = reverse("data:export_list")
        return redirect(f"{url}?programme={filters['programme']}" if filters.get("programme") else url)
    if exports.export_in_background(total):
        job = jobs.export_job_request(
            actor=request.user, kind=kind, file_format=file_format, filters=filters, rows_total=total
        )
        messages.info(
            request,
            ngettext(
                "This export has %(n)s row: it is prepared in the background.",
                "This export has %(n)s rows: it is prepared in the background.",
                total,
            )
            % {"n": number_text(total)},
        )
        return redirect("data:export_job", pk=job.pk)
    filename = exports.export_filename(kind, file_format)
    if file_format == "csv":  # row by row from the database cursor to the client
        response = StreamingHttpResponse(
            exports.export_csv_stream(request.user, kind, filters), content_type=exports.FORMATS["csv"]
        )
        response["Content-Disposition"] = content_disposition(filename)
        return response
    return FileResponse(
        exports.export_xlsx_tempfile(request.user, kind, filters),
        as_attachment=True,
        filename=filename,
        content_type=exports.FORMATS[file_format],
    )


@login_required
def export_job(request, pk):
    job = jobs.export_jobs_for(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    template = "reporting/_export_job_status.html" if request.htmx else "reporting/export_job.html"
    return render(
        request,
        template,
        {
            "job": job,
            "label": exports.EXPORTS[job.kind].label if job.kind in exports.EXPORTS else job.kind,
            "in_progress": job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING),
            "percent": min(100, job.rows_done * 100 // job.rows_total) if job.rows_total else 0,
            "retention_days": settings.HROMADA_GENERATED_FILE_RETENTION_DAYS,
        },
    )


@login_required
@require_POST
def export_job_retry(request, pk):
    """Queue again the person's failed export, or one stranded past its lease."""
    try:
        jobs.export_job_retry(actor=request.user, job_id=pk)
    except ExportJob.DoesNotExist:
        raise Http404
    except TransitionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The export is queued again."))
    return redirect("data:export_job", pk=pk)


@login_required
def export_job_download(request, pk):
    try:
        job, path = jobs.export_job_file(request.user, pk)
        return file_response(
            path,
            filename=exports.export_filename(job.kind, job.file_format),
            content_type=exports.FORMATS[job.file_format],
        )
    except (ExportJob.DoesNotExist, FileNotFoundError):
        raise Http404


# --- imports ------------------------------------------------------------------------------------------


def _import_programmes(user):
    if user.is_superuser:
        return Programme.objects.all()
    return Programme.objects.filter(pk__in=list(programme_ids(user, MANAGER)))


def import_view(request, kind):
    """Upload → preview (row errors, nothing saved) → confirm."""
    spec = imports.IMPORTERS[kind]
    user = request.user
    allowed = (
        user.has_perm("reporting.import_reviewers_any") if spec.needs_programme else user.has_perm(spec.permission)
    )
    if not allowed:
        raise Http404
    programmes = _import_programmes(user) if spec.needs_programme else None
    form = ImportForm(programmes=programmes)
    context = {
        "kind": kind,
        "spec": spec,
        "columns": spec.resource.columns,
        "form": form,
        "url_name": f"data:import_{kind}",
    }
    if request.method == "POST" and request.POST.get("action") == "confirm":
        token = request.POST.get("token", "")
        try:
            result = imports.import_confirm(actor=user, token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(f"data:import_{kind}")
        except PermissionDenied:
            raise Http404
        summary = imports.import_summary(result)
        if result.has_validation_errors() or result.has_errors():
            context.update(
                result=result, summary=summary, errors=imports.import_errors(result), token=token, stale=True
            )
            return render(request, "reporting/import.html", context, status=400)
        messages.success(request, _("Imported: %(new)s new, %(update)s updated, %(skip)s unchanged.") % summary)
        return redirect(f"data:import_{kind}")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, programmes=programmes)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            programme = form.cleaned_data.get("programme")
            try:
                token, result = imports.import_preview(
                    actor=user,
                    kind=kind,
                    content=upload.read(),
                    filename=upload.name,
                    programme_id=programme.pk if programme else None,
                )
            except ValidationError as exc:
                form_errors_add(form, exc)
            except PermissionDenied:
                form.add_error("programme", _("You may not import reviewers for this programme."))
            else:
                preview = [(n, row) for n, row in enumerate(result.rows[:PREVIEW_ROWS], start=1)]
                context.update(
                    result=result,
                    summary=imports.import_summary(result),
                    errors=imports.import_errors(result),
                    token=token,
                    preview=preview,
                    headers=[key for key, _l, _r in spec.resource.columns],
                )
                return render(request, "reporting/import.html", context)
        return render(request, "reporting/import.html", context, status=400)
    return render(request, "reporting/import.html", context)


@login_required
def import_organisations(request):
    return import_view(request, "organisations")


@login_required
def import_reviewers(request):
    return import_view(request, "reviewers")


@login_required
def import_indicators(request):
    return import_view(request, "indicators")


@login_required
def import_exchange_rates(request):
    return import_view(request, "exchange_rates")


@login_required
def import_example(request, kind):
    if kind not in imports.IMPORTERS:
        raise Http404
    response = HttpResponse(imports.import_example_file(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hromada-{kind}-example.csv"'
    return response


# --- open data (public) ----------------------------------------------------------------------------------


def opendata_index(request):
    calls = list(opendata.public_calls())
    return render(request, "reporting/opendata_index.html", {"calls": calls})


def _public_call(programme_code, call_code) -> Call:
    try:
        return opendata.public_call(programme_code, call_code)
    except Call.DoesNotExist:
        raise Http404


def _open(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def opendata_360_json(request, programme_code, call_code):
    call = _public_call(programme_code, call_code)
    url = request.build_absolute_uri(reverse("data:opendata_index"))
    response = StreamingHttpResponse(
        opendata.json_360_stream(call, base_url=url), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="360giving-{programme_code}-{call_code}.json"'
    return _open(response)


def opendata_360_csv(request, programme_code, call_code):
    call = _public_call(programme_code, call_code)
    url = request.build_absolute_uri(reverse("data:opendata_index"))
    response = StreamingHttpResponse(
        opendata.csv_360_stream(call, data_source=url), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="360giving-{programme_code}-{call_code}.csv"'
    return _open(response)


def opendata_iati(request, programme_code, call_code):
    call = _public_call(programme_code, call_code)
    response = StreamingHttpResponse(
        opendata.iati_activities_stream(call), content_type="application/xml; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="iati-{programme_code}-{call_code}.xml"'
    return _open(response)
