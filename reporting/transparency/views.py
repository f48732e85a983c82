"""The public register under /transparency/: anonymous, in every UI language, cacheable (shared
caches may keep an anonymous page for a few minutes), a fixed number of queries per page."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.signing import heads_document, public_key_info
from core.forms import form_run, message_run
from core.pagination import page_of
from core.spreadsheet import csv_streamed
from core.storage import file_response
from grants.agreements.models import Grant
from reporting.data.opendata import PUBLIC_CALL_STATES
from reporting.transparency import audit as audit_reads
from reporting.transparency import selectors
from reporting.transparency import services as practice_services
from reporting.transparency.forms import ChangesForm, PhotoForm, PracticeForm, ReceiptCheckForm, RegisterFilterForm
from reporting.transparency.models import Practice, PracticePhoto, PracticeState

PUBLIC_MAX_AGE = 300
LICENCE = {
    "id": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}


def public_page(view):
    """Cache-Control for a public page: shared caches may keep what an anonymous visitor sees;
    a signed-in user's copy (the site's header names them) stays private."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.has_header("Cache-Control"):
            pass  # the view decided (a receipt check answers one organisation: no-store)
        elif request.user.is_authenticated:
            patch_cache_control(response, private=True, max_age=0)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return wrapped


def _filter(request) -> tuple[RegisterFilterForm, selectors.RegisterFilter]:
    form = RegisterFilterForm(request.GET or None, choices=selectors.register_choices())
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        return form, selectors.RegisterFilter(**data)
    return form, selectors.RegisterFilter()


@public_page
def index(request):
    return render(request, "transparency/index.html", {})


@public_page
def grant_list(request):
    form, wanted = _filter(request)
    page = page_of(request, selectors.register_grants(wanted))
    return render(
        request,
        "transparency/grant_list.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.register_rows(page.object_list),
            "query": request.GET.urlencode(),
        },
    )


@public_page
def grant_list_csv(request):
    """What the register lists under the same filters, every page, as CSV (streamed)."""
    _form, wanted = _filter(request)
    headers = [
        _("Grant number"),
        _("Title"),
        _("Recipient"),
        _("Country"),
        _("Programme"),
        _("Call"),
        _("Currency"),
        _("Amount awarded"),
        _("Paid so far"),
        _("Starts on"),
        _("Ends on"),
        _("State"),
    ]
    withheld = _("withheld")

    def rows():
        for g in selectors.register_grants(wanted).iterator(chunk_size=500):
            yield [
                g.number,
                g.title,
                selectors.recipient_name(g) or withheld,
                g.organisation.country,
                g.call.programme.code,
                g.call.code,
                g.currency,
                g.amount_awarded,
                g.paid_total,
                g.starts_on,
                g.ends_on,
                g.get_state_display(),
            ]

    response = StreamingHttpResponse(csv_streamed(headers, rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hromada-grants.csv"'
    return response


@public_page
def grant_detail(request, pk):
    try:
        grant = selectors.register_grant(pk)
    except (Grant.DoesNotExist, ValueError):
        raise Http404
    [(grant, results)] = selectors.register_rows([grant])
    practices = list(selectors.published_practices().filter(grant=grant).prefetch_related("photos"))
    return render(
        request, "transparency/grant_detail.html", {"grant": grant, "results": results, "practices": practices}
    )


@public_page
def audit(request):
    """The signed heads and the public key; with a reference and a fingerprint, the receipt check
    (not cached: it answers one organisation)."""
    form = ReceiptCheckForm(request.GET or None)
    check = None
    if form.is_bound and form.is_valid():
        check = audit_reads.receipt_check(form.cleaned_data["reference"], form.cleaned_data["fingerprint"])
    public_key, key_id = public_key_info()
    response = render(
        request,
        "transparency/audit.html",
        {
            "heads": audit_reads.published_heads(),
            "public_key": public_key,
            "key_id": key_id,
            "form": form,
            "checked": form.is_bound and form.is_valid(),
            "check": check,
        },
    )
    if form.is_bound:
        response["Cache-Control"] = "no-store"
    return response


def audit_heads_json(request):
    response = JsonResponse(heads_document(), json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _file_links(request, call) -> list[dict]:
    args = [call.programme.code, call.code]
    return [
        {
            "format": "json",
            "mediatype": "application/json",
            "label": "360Giving JSON",
            "path": reverse("data:opendata_360_json", args=args),
        },
        {
            "format": "csv",
            "mediatype": "text/csv",
            "label": "360Giving CSV",
            "path": reverse("data:opendata_360_csv", args=args),
        },
        {
            "format": "xml",
            "mediatype": "application/xml",
            "label": "IATI 2.03 XML",
            "path": reverse("data:opendata_iati", args=args),
        },
    ]


@public_page
def data(request):
    rows = [{**row, "files": _file_links(request, row["call"])} for row in audit_reads.data_files()]
    return render(
        request,
        "transparency/data.html",
        {"rows": rows, "publisher": settings.HROMADA_PUBLISHER_NAME or request.get_host(), "licence": LICENCE},
    )


def data_package(request):
    """The open-data files as a Frictionless Data Package (datapackage.json)."""
    resources = []
    for row in audit_reads.data_files():
        call = row["call"]
        for link in _file_links(request, call):
            resources.append(
                {
                    "name": f"{call.programme.code}-{call.code}-{link['format']}".lower(),
                    "title": f"{call} ({link['label']})",
                    "path": request.build_absolute_uri(link["path"]),
                    "format": link["format"],
                    "mediatype": link["mediatype"],
                    "last_modified": row["updated"].isoformat() if row["updated"] else None,
                }
            )
    package = {
        "name": "hromada-grants",
        "title": "Hromada: grants awarded",
        "licenses": [{"name": LICENCE["id"], "path": LICENCE["url"], "title": LICENCE["title"]}],
        "publisher": settings.HROMADA_PUBLISHER_NAME or request.get_host(),
        "resources": resources,
    }
    response = JsonResponse(package, json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


# --- practices: public ------------------------------------------------------------------------


@public_page
def practice_list(request):
    page = page_of(request, selectors.published_practices(), size=20)
    practices = list(page.object_list)
    covers = selectors.practice_covers([p.pk for p in practices])
    return render(
        request,
        "transparency/practice_list.html",
        {"page": page, "rows": [(p, covers.get(p.pk)) for p in practices]},
    )


def _practice_for(request, pk) -> Practice:
    """A published practice for anyone; an unpublished one for its grantee and the managers."""
    practice = Practice.objects.select_related("grant__organisation", "grant__call__programme").filter(pk=pk).first()
    if practice is None:
        raise Http404
    if practice.state == PracticeState.PUBLISHED and practice.grant.call.state in PUBLIC_CALL_STATES:
        return practice
    if request.user.is_authenticated and request.user.has_perm("reporting.view_practice", practice):
        return practice
    raise Http404


@public_page
def practice_detail(request, pk):
    practice = _practice_for(request, pk)
    user = request.user
    can_write = (
        user.is_authenticated
        and user.has_perm("reporting.write_practice", practice)
        and practice.state in practice_services.EDITABLE
    )
    can_publish = (
        user.is_authenticated
        and user.has_perm("reporting.publish_practice", practice)
        and practice.state == PracticeState.SUBMITTED
    )
    return render(
        request,
        "transparency/practice_detail.html",
        {
            "practice": practice,
            "photos": list(practice.photos.all()),
            "can_write": can_write,
            "can_publish": can_publish,
            "form": PracticeForm(instance=practice) if can_write else None,
            "photo_form": PhotoForm() if can_write else None,
            "changes_form": ChangesForm() if can_publish else None,
        },
    )


def practice_photo(request, photo_id):
    photo = PracticePhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    practice = _practice_for(request, photo.practice_id)
    try:
        response = file_response(
            practice_services.photo_path(photo.stored_name), filename=photo.stored_name, content_type=photo.content_type
        )
    except FileNotFoundError:
        raise Http404
    response["Content-Disposition"] = "inline"
    if practice.state == PracticeState.PUBLISHED:
        response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


# --- practices: the grantee writes, the manager publishes -------------------------------------


@login_required
def grant_practices(request, grant_id):
    """The grant's practices, and a form to start one (its grantee)."""
    grant = Grant.objects.select_related("call", "organisation").filter(pk=grant_id).first()
    if grant is None or not request.user.has_perm("reporting.view_practice", grant):
        raise Http404
    can_write = request.user.has_perm("reporting.write_practice", grant)
    form = PracticeForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        if form.is_valid():
            done, practice = form_run(
                form, practice_services.practice_save, actor=request.user, grant_id=grant.pk, **form.cleaned_data
            )
            if done:
                messages.success(request, _("The practice is saved as a draft. Add photos, then submit it."))
                return redirect("transparency:practice_detail", pk=practice.pk)
    return render(
        request,
        "transparency/grant_practices.html",
        {"grant": grant, "practices": list(grant.practices.order_by("-pk")), "form": form, "can_write": can_write},
    )


@login_required
@require_POST
def practice_action(request, pk, action):
    practice = _practice_for(request, pk)
    actor = request.user
    if action == "save":
        form = PracticeForm(request.POST, instance=practice)
        if form.is_valid():
            message_run(
                request,
                practice_services.practice_save,
                actor=actor,
                grant_id=practice.grant_id,
                practice_id=practice.pk,
                **form.cleaned_data,
            )
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    elif action == "photo":
        photo_form = PhotoForm(request.POST, request.FILES)
        if photo_form.is_valid():
            message_run(
                request,
                practice_services.practice_photo_add,
                actor=actor,
                practice_id=practice.pk,
                uploaded=photo_form.cleaned_data["photo"],
                alt_text=photo_form.cleaned_data["alt_text"],
            )
        else:
            messages.error(request, _("Choose a photo and describe it."))
    elif action == "submit":
        message_run(request, practice_services.practice_submit, actor=actor, practice_id=practice.pk)
    elif action == "publish":
        done, _p = message_run(request, practice_services.practice_publish, actor=actor, practice_id=practice.pk)
        if done:
            messages.success(request, _("The practice is published."))
    elif action == "changes":
        message_run(
            request,
            practice_services.practice_request_changes,
            actor=actor,
            practice_id=practice.pk,
            comment=request.POST.get("comment", ""),
        )
    else:
        raise Http404
    return redirect("transparency:practice_detail", pk=practice.pk)
