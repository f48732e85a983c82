"""Reviewers' pages (their reviews, declarations, scoring) and the reviewer pool. Thin: parse,
call a selector or a service, render.

Reviewers reach reviews only through `selectors.review_get_for_reviewer` (their own,
never a conflicted one: 404); managers reach calls and applications through selectors limited
to the programmes they manage (404 otherwise) and act through services (403 when the role
does not allow it).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import REVIEWER, programme_ids
from applications.review import selectors, services
from applications.review.forms import (
    ConflictForm,
    NoConflictForm,
    ReviewerInviteForm,
    ReviewerSearchForm,
    ScoreForm,
)
from applications.review.models import ReviewState
from applications.review.ranking import max_weighted_total, rubric_from, weighted_total
from applications.uploads import storage_name
from audit.lists import CountReusingPaginator
from core.errors import TransitionRefused
from core.forms import error_text, form_errors_add, form_run, message_run
from core.pagination import ListPaginator, page_of
from core.storage import file_response

LIST_PAGE_SIZE = 25


def _next_or(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _act(request, fn, success, **kwargs):
    """Run a service for a one-button form and say what happened: its result, or None when refused."""
    done, result = message_run(request, fn, actor=request.user, **kwargs)
    if done:
        messages.success(request, success)
    return result


# --- reviewers --------------------------------------------------------------------------------


@login_required
def review_home(request):
    """The reviewer's assignments with due dates; managers also find their calls here."""
    open_reviews = selectors.reviews_with_overdue(selectors.review_list_waiting(request.user))
    done = ListPaginator(
        selectors.review_list_for_reviewer(request.user, [ReviewState.SUBMITTED]).order_by("-submitted_at", "pk"),
        LIST_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    calls = (
        page_of(request, selectors.call_list_managed(request.user).order_by("-deadline", "pk"), param="cpage")
        if selectors.managed_programme_ids(request.user) != frozenset()
        else []
    )
    return render(
        request,
        "reviews/home.html",
        {
            "open_reviews": open_reviews,
            "done": done,
            "calls": calls,
            "is_reviewer": bool(programme_ids(request.user, REVIEWER)) or bool(open_reviews) or done.paginator.count,
        },
    )


@login_required
def review_detail(request, pk):
    """Before the declaration: the title and the declaration. After it: the application and the
    score sheet (or, once submitted, the reviewer's own scores)."""
    review = selectors.review_get_for_reviewer(request.user, pk)
    application = review.application
    call = application.call
    context = {"review": review, "application": application, "call": call}
    if review.state == ReviewState.ASSIGNED:
        context.update(no_conflict_form=NoConflictForm(), conflict_form=ConflictForm())
        return render(request, "reviews/declare.html", context)
    criteria = list(call.criteria.order_by("position"))
    scores = selectors.review_scores(review)
    form = None
    if review.state in (ReviewState.ACCEPTED, ReviewState.RETURNED):
        form = ScoreForm(
            request.POST or None,
            criteria=criteria,
            min_chars=call.review_comment_min_chars,
            initial=ScoreForm.initial_from(review, scores),
        )
        if request.method == "POST" and form.is_valid():
            submitting = "submit" in request.POST
            fn = services.review_submit if submitting else services.review_save
            try:
                fn(actor=request.user, review_id=review.pk, **form.service_kwargs())
            except ValidationError as exc:
                form_errors_add(form, exc)
                if submitting:
                    messages.error(
                        request, _("Your draft is saved, but the review cannot be submitted yet: see below.")
                    )
            except TransitionRefused as exc:
                messages.error(request, error_text(exc))
                return redirect("reviews:review_detail", pk=review.pk)
            else:
                if submitting:
                    messages.success(request, _("Your review is submitted. Thank you."))
                    return redirect("reviews:review_home")
                messages.success(request, _("Draft saved."))
                return redirect("reviews:review_detail", pk=review.pk)
    elif request.method == "POST":
        messages.error(request, _("This review is submitted and can no longer be changed."))
        return redirect("reviews:review_detail", pk=review.pk)
    context.update(selectors.review_application_content(review))
    rubric = rubric_from(criteria)
    context.update(
        form=form,
        criteria=criteria,
        scores=[(c, scores.get(c.pk)) for c in criteria],
        max_total=max_weighted_total(rubric),
        draft_total=weighted_total({cid: s.score for cid, s in scores.items()}, rubric),
        overdue=review.state != ReviewState.SUBMITTED and timezone.now() > review.due_at,
        conflict_form=ConflictForm(),
    )
    return render(request, "reviews/review.html", context)


@login_required
@require_POST
def review_declare(request, pk):
    review = selectors.review_get_for_reviewer(request.user, pk)
    if "conflict" in request.POST:
        form = ConflictForm(request.POST)
        if form.is_valid():
            if (
                _act(
                    request,
                    services.review_declare_conflict,
                    _(
                        "Your conflict of interest is recorded and the programme "
                        "manager is told. The assignment has ended."
                    ),
                    review_id=review.pk,
                    reason=form.cleaned_data["reason"],
                )
                is not None
            ):
                return redirect("reviews:review_home")
            return redirect("reviews:review_detail", pk=review.pk)
        if review.state != ReviewState.ASSIGNED:
            messages.error(request, _("Describe the conflict of interest."))
            return redirect("reviews:review_detail", pk=review.pk)
        return render(
            request,
            "reviews/declare.html",
            {
                "review": review,
                "application": review.application,
                "call": review.application.call,
                "no_conflict_form": NoConflictForm(),
                "conflict_form": form,
            },
        )
    form = NoConflictForm(request.POST)
    if form.is_valid():
        _act(
            request,
            services.review_declare_no_conflict,
            _("Declaration signed. You can now read and score the application."),
            review_id=review.pk,
        )
        return redirect("reviews:review_detail", pk=review.pk)
    return render(
        request,
        "reviews/declare.html",
        {
            "review": review,
            "application": review.application,
            "call": review.application.call,
            "no_conflict_form": form,
            "conflict_form": ConflictForm(),
        },
    )


@login_required
def review_attachment_download(request, pk, number):
    """An attachment of the reviewed application; under blind review its name is neutral."""
    review = selectors.review_get_for_reviewer(request.user, pk)
    if not selectors.review_is_cleared(review):
        raise Http404
    attachment = selectors.review_attachment(review, number)
    if review.application.call.blind_review:
        extension = attachment.original_name.rsplit(".", 1)[-1].lower() if "." in attachment.original_name else ""
        name = f"attachment-{number}.{extension}" if extension.isalnum() else f"attachment-{number}"
    else:
        name = attachment.original_name
    try:
        return file_response(storage_name(attachment.stored_name), filename=name, content_type=attachment.content_type)
    except (ValueError, FileNotFoundError):
        raise Http404


# --- managers: pool, assignments, one application --------------------------------------------


@login_required
def reviewer_pool(request):
    programmes = list(selectors.programme_list_managed(request.user))
    if not programmes:
        raise Http404
    form = ReviewerInviteForm(request.POST or None, programmes=programmes)
    if request.method == "POST" and form.is_valid():
        invited, user = form_run(
            form,
            services.reviewer_invite,
            actor=request.user,
            programme_id=form.cleaned_data["programme"],
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            expertise=form.cleaned_data["expertise"],
            languages=form.cleaned_data["languages"],
            countries=form.cleaned_data["countries"],
        )
        if invited:
            messages.success(
                request, _("%(email)s is in the reviewer pool and has been sent an invitation.") % {"email": user.email}
            )
            return redirect("reviews:reviewer_pool")
    search = ReviewerSearchForm(request.GET)
    query = search.cleaned_data.get("q", "") if search.is_valid() else ""
    return render(
        request,
        "reviews/pool.html",
        {
            "form": form,
            "search_form": search,
            "query": query,
            "reviewers": page_of(
                request, selectors.reviewer_pool([p.pk for p in programmes], query), paginator=CountReusingPaginator
            ),
            "programmes": programmes,
        },
    )


@login_required
@require_POST
def reviewer_pool_active(request, user_id):
    programmes = list(selectors.programme_list_managed(request.user))
    if not programmes:
        raise Http404
    programme_id = int(request.POST.get("programme") or programmes[0].pk)
    if programme_id not in {p.pk for p in programmes}:
        raise Http404
    active = request.POST.get("active") == "1"
    _act(
        request,
        services.reviewer_set_active,
        _("Reviewer pool updated."),
        programme_id=programme_id,
        user_id=user_id,
        active=active,
    )
    return redirect("reviews:reviewer_pool")


# --- managers: ranking and decisions ----------------------------------------------------------


# --- applicants -------------------------------------------------------------------------------
