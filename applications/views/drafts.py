"""Pages for applicants and programme managers. Every application is fetched through the
visibility selectors: what a user may not see answers 404; what they may see but not do, 403."""

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Membership
from applications import selectors, services
from applications.forms import (
    AnswerForm,
    AttachmentForm,
    ClarificationForm,
    EligibleForm,
    ExtendForm,
    IneligibleForm,
    WithdrawForm,
)
from applications.models import Application, ApplicationState
from applications.services import EDIT
from applications.views.eligibility import has_eligibility_check
from applications.visibility import application_is_cleared_reviewer, application_is_manager, application_is_member
from audit.labels import action_label
from core.errors import TransitionRefused
from core.forms import message_run
from core.money import cents
from core.pagination import page_of
from core.shortcuts import get_visible_or_404
from grants.calls import selectors as call_selectors
from grants.calls.form.builder import changes_since
from grants.calls.form.checklist import checklist_guidance
from grants.calls.form.render import form_items, posted_answers


def _visible(request, pk) -> Application:
    return get_visible_or_404(selectors.application_list_visible_with_call(request.user), pk)


def _report(request, exc):
    """Turn a refused service call into messages on the page, one per message of a ValidationError
    (a checklist or a list of problems reads better as a list than as one line)."""
    if isinstance(exc, TransitionRefused):
        messages.error(request, exc.message)
    elif isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)


@login_required
@require_POST
def call_apply(request, pk):
    call = get_visible_or_404(call_selectors.call_list_visible(request.user), pk)
    organisation_id = request.POST.get("organisation")
    if not organisation_id:
        orgs = list(Membership.objects.filter(user=request.user).values_list("organisation_id", flat=True)[:2])
        organisation_id = orgs[0] if len(orgs) == 1 else None
    if not organisation_id or not str(organisation_id).isdigit():
        messages.error(request, _("Choose the organisation that applies."))
        return redirect("applications:call_detail", pk=call.pk)
    if has_eligibility_check(call):
        return redirect(reverse("applications:call_eligibility", args=[call.pk]) + f"?organisation={organisation_id}")
    try:
        app, created = services.application_start(
            actor=request.user, call_id=call.pk, organisation_id=int(organisation_id)
        )
    except PermissionDenied:
        messages.error(request, _("Only members of the organisation can apply on its behalf."))
        return redirect("applications:call_detail", pk=call.pk)
    except (TransitionRefused, ValidationError) as exc:
        _report(request, exc)
        return redirect("applications:call_detail", pk=call.pk)
    if not created:
        messages.info(request, _("Your organisation already has an application for this call; here it is."))
    return redirect("applications:application_edit", pk=app.pk)


@login_required
def application_list(request):
    return render(
        request,
        "applications/application_list.html",
        {"applications": page_of(request, selectors.application_list_mine(request.user))},
    )


def _roles(user, app):
    return {
        "is_member": application_is_member(user, app),
        "is_manager": application_is_manager(user, app),
        "is_reviewer": application_is_cleared_reviewer(user, app),
    }


@login_required
def application_detail(request, pk):
    app = _visible(request, pk)
    roles = _roles(request.user, app)
    parts = selectors.application_detail_parts(app)
    content = app.submitted_content
    show_identity = selectors.application_shows_identity(request.user, app)
    for attachment in parts["attachments"]:
        attachment.display_name = (
            attachment.original_name if show_identity else selectors.attachment_neutral_name(attachment)
        )
    context = {
        "app": app,
        "call": app.call,
        **roles,
        **parts,
        "content": content,
        "show_identity": show_identity,
        "deadline": services.application_deadline(app),
        "transitions": services.application_available_transitions(request.user, app),
        "history": _history(app) if (roles["is_member"] or roles["is_manager"]) else [],
        "screening": selectors.application_last_screening(app) if roles["is_manager"] else None,
        "checklist_items": services.checklist_items(app.call_id),
        "can_upload": roles["is_member"] and app.state in services.ATTACHABLE_STATES,
    }
    if context["screening"] is not None:
        context["screening"].label = _event_label(context["screening"].action)
        ticked = (context["screening"].data or {}).get("checklist") or {}
        context["screening_rows"] = [
            (label, ticked.get(key)) for key, label in context["checklist_items"] if key in ticked
        ]
    if roles["is_manager"]:
        context.update(
            eligible_form=EligibleForm(
                prefix="el", items=context["checklist_items"], guidance=checklist_guidance(app.call_id)
            ),
            ineligible_form=IneligibleForm(prefix="in"),
            clarification_form=ClarificationForm(prefix="cl"),
            extend_form=ExtendForm(prefix="ex"),
            auto_checks=_auto_checks(app, parts),
        )
    if roles["is_member"]:
        context.update(
            answer_form=AnswerForm(prefix="an"),
            withdraw_form=WithdrawForm(prefix="wd"),
            attachment_form=AttachmentForm(documents=parts["documents"], max_file_mb=app.call.max_file_mb),
        )
    if not content:
        context["summary"] = _budget_context(app, parts)
    return render(request, "applications/application_detail.html", context)


def _event_label(action: str) -> str:
    return action_label(action, "applications.application")


def _history(app):
    events = list(selectors.application_history(app))
    for event in events:
        event.label = _event_label(event.action)
    return events


def _auto_checks(app, parts):
    """What the system can tell the manager for the checklist."""
    if app.state == ApplicationState.DRAFT:
        return []
    problems = services.application_submission_problems(
        app,
        call=app.call,
        form=parts["form"],
        headings={h.pk: h for h in parts["headings"]},
        lines=parts["lines"],
        documents=parts["documents"],
        attachments=[a for a in parts["attachments"] if not app.submitted_at or a.uploaded_at <= app.submitted_at],
    )
    on_time = bool(app.submitted_at and app.submitted_at < services.application_deadline(app))
    return {"on_time": on_time, "problems": problems}


def _budget_context(app, parts):
    rows = services.budget_rows(parts["lines"])
    headings = {h.pk: h for h in parts["headings"]}
    summary = services.budget_summary(rows, headings)
    call = app.call
    total = summary.total
    cof = app.cofinancing_amount or Decimal("0")
    return {
        "direct": summary.direct,
        "indirect": summary.indirect,
        "contingency": summary.contingency,
        "total": total,
        "indirect_pct": summary.indirect_pct,
        "indirect_max": cents(summary.direct * call.indirect_max_pct / 100),
        "cofinancing_pct": (cof * 100 / total).quantize(Decimal("0.01")) if total else None,
        "requested_plus_cofinancing": (app.requested_amount or Decimal("0")) + cof,
    }


BUDGET_EMPTY_ROWS = 3


def _budget_rows_for_form(app, parts, posted=None):
    rows = (
        posted
        if posted is not None
        else [
            {
                "heading": line.heading_id,
                "description": line.description,
                "units": line.units,
                "unit_cost": line.unit_cost,
                "total": line.total,
            }
            for line in parts["lines"]
        ]
    )
    return rows + [{"heading": None, "description": "", "units": "", "unit_cost": "", "total": ""}] * BUDGET_EMPTY_ROWS


def _posted_fields(request, questions):
    """The draft's fields as the no-JavaScript form posts them."""
    post = request.POST
    fields = {name: post.get(name, "") for name in services.SCALAR_FIELDS if name in post}
    fields.update(posted_answers(post, questions))
    if "budget-heading" in post:
        columns = [post.getlist(f"budget-{c}") for c in ("heading", "description", "units", "unit_cost")]
        fields["budget"] = [
            dict(zip(("heading", "description", "units", "unit_cost"), values)) for values in zip(*columns)
        ]
    base = {key[5:]: value for key, value in post.items() if key.startswith("base_")}
    try:
        version = int(post.get("version", ""))
    except ValueError:
        version = None
    return fields, base, version


@login_required
def application_edit(request, pk):
    app = _visible(request, pk)
    if not request.user.has_perm(EDIT, app):
        raise PermissionDenied
    if app.state != ApplicationState.DRAFT:
        return redirect("applications:application_detail", pk=app.pk)
    parts = selectors.application_detail_parts(app)
    for attachment in parts["attachments"]:
        attachment.display_name = attachment.original_name
    values = services.application_values(app, parts["questions"], parts["lines"])
    hashes = services.application_hashes(values)
    conflicts, errors, posted_rows = {}, {}, None
    if request.method == "POST":
        fields, base, version = _posted_fields(request, parts["questions"])
        saved, result = message_run(
            request,
            services.application_autosave,
            actor=request.user,
            application_id=app.pk,
            version=version,
            fields=fields,
            base=base,
        )
        if not saved:
            return redirect("applications:application_detail", pk=app.pk)
        if not result.conflicts and not result.errors:
            messages.success(request, _("Draft saved."))
            return redirect("applications:application_edit", pk=app.pk)
        # Show the person their own text again, with the other member's next to it (the draft as
        # stored now, read whole: the save read only what it compares).
        app = _visible(request, app.pk)
        conflicts = {name: {"theirs": _display(value)} for name, value in result.conflicts.items()}
        errors, hashes = result.errors, result.hashes
        values = {**result.values, **{k: v for k, v in fields.items() if k in conflicts or k in errors}}
        if "budget" in conflicts or "budget" in errors:
            posted_rows = [r for r in fields.get("budget", []) if any(r.values())]
        messages.error(
            request,
            _(
                "Some fields were not saved; see the messages next to them. Saving again keeps "
                "your text in place of the other member's."
            ),
        )
    return render(
        request,
        "applications/application_form.html",
        {
            "app": app,
            "call": app.call,
            **parts,
            "values": values,
            "hashes": hashes,
            "form_parts": form_items(
                parts["form"], values, errors=errors, conflicts=conflicts, attachments=parts["attachments"]
            ),
            "currency": app.call.envelope.currency,
            "form_changes": changes_since(app.call_id, app.created_at),
            "conflicts": conflicts,
            "errors": errors,
            "budget_form_rows": _budget_rows_for_form(app, parts, posted_rows),
            "summary": _budget_context(app, parts),
            "deadline": services.application_deadline(app),
            "attachment_form": AttachmentForm(documents=parts["documents"], max_file_mb=app.call.max_file_mb),
            "storage_key": f"hromada:application:{app.pk}:{request.user.pk}",
        },
    )


def _display(value) -> str:
    """A stored draft value as text (budget rows or table rows one per line, picks by commas)."""
    if isinstance(value, list):
        if value and all(isinstance(r, dict) and "unit_cost" in r for r in value):
            return "\n".join(
                f"{r.get('description', '')}: {r.get('units', '')} × {r.get('unit_cost', '')}" for r in value
            )
        return "\n".join(" | ".join(map(str, r.values())) if isinstance(r, dict) else str(r) for r in value)
    return str(value)


def _json_login_required(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse(
                {"detail": _("Your session has expired. Log in again; your text is kept in this browser.")}, status=401
            )
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@_json_login_required
@require_POST
def application_autosave(request, pk):
    """JSON: {"version": n, "fields": {name: value}, "base": {name: hash}} -> what was saved, what
    conflicts (with the stored value), the new version and every field's hash.

    The hottest path of the site (every open form, every few seconds): the service's row lock
    and membership check come first; visibility is asked only to tell 404 from 403."""
    try:
        payload = json.loads(request.body or b"{}")
        fields, base = payload.get("fields") or {}, payload.get("base") or {}
        version = payload.get("version")
        if not isinstance(fields, dict) or not isinstance(base, dict):
            raise ValueError
    except (ValueError, AttributeError):
        if not selectors.application_list_visible_exists(request.user, pk):
            return JsonResponse({"detail": _("Not found.")}, status=404)
        return JsonResponse({"detail": _("The request could not be read.")}, status=400)
    try:
        result = services.application_autosave(
            actor=request.user, application_id=pk, version=version, fields=fields, base=base
        )
    except Application.DoesNotExist:
        return JsonResponse({"detail": _("Not found.")}, status=404)
    except PermissionDenied:
        if not selectors.application_list_visible_exists(request.user, pk):
            return JsonResponse({"detail": _("Not found.")}, status=404)
        return JsonResponse(
            {"detail": _("Only members of the applicant organisation can edit this application.")}, status=403
        )
    except TransitionRefused as exc:
        return JsonResponse({"detail": str(exc.message)}, status=409)
    sent_base = base
    updates = {
        name: value
        for name, value in result.values.items()
        if name not in fields and sent_base.get(name) not in (None, result.hashes[name])
    }
    return JsonResponse(
        {
            "version": result.version,
            "saved_at": result.saved_at.isoformat(),
            "applied": result.applied,
            "conflicts": result.conflicts,
            "errors": result.errors,
            "hashes": result.hashes,
            "updates": updates,
        },
        status=400 if result.errors else 200,  # the refused fields say why; the others were saved
    )


def application_url(app) -> str:
    return reverse("applications:application_detail", args=[app.pk])
