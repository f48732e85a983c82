"""Programme managers' review pages: assignments, one application's reviews, consensus, decisions, the ranking and closing the selection."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from applications.models import ApplicationState, ReviewState
from applications.review import selectors, services
from applications.review.forms import (
    AssignForm,
    ConsensusForm,
    DecisionForm,
    ExtendForm,
    ReturnForm,
    ReviewerSearchForm,
)
from applications.review.ranking import call_ranking, max_weighted_total
from applications.review.views.reviewing import _act, _next_or
from applications.views.bulk import application_label
from applications.visibility import application_is_manager, application_is_member
from audit.lists import CountReusingPaginator
from core.bulk import bulk_report
from core.forms import error_text, message_run
from core.pagination import ListPaginator
from core.shortcuts import get_visible_or_404

RANKING_PAGE_SIZE = 50


@login_required
def review_call_assignments(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    applications = CountReusingPaginator(selectors.call_assignments(call), RANKING_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/assignments.html",
        {
            "call": call,
            "applications": applications,
            "progress": ListPaginator(selectors.reviewer_progress_current(call), RANKING_PAGE_SIZE).get_page(
                request.GET.get("rpage")
            ),
            "pool_size": len(selectors.programme_reviewer_ids(call.programme_id)),
        },
    )


@login_required
@require_POST
def review_call_assign_auto(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    assigned, result = message_run(request, services.reviews_assign_auto, actor=request.user, call_id=call.pk)
    if assigned:
        made = len(result.created)
        messages.success(request, ngettext("%(n)s assignment made.", "%(n)s assignments made.", made) % {"n": made})
        if result.short:
            messages.error(
                request,
                ngettext(
                    "Not enough eligible reviewers for %(n)s application: %(list)s. Invite more "
                    "reviewers or assign by hand.",
                    "Not enough eligible reviewers for %(n)s applications: %(list)s. Invite more "
                    "reviewers or assign by hand.",
                    len(result.short),
                )
                % {"n": len(result.short), "list": ", ".join(str(a) for a, _missing in result.short[:10])},
            )
    return redirect("reviews:review_call_assignments", call_id=call.pk)


def _managed_application(request, pk):
    """The application, 404 unless visible; 403 when visible but not the user's to manage."""
    application = selectors.application_get_visible(request.user, pk)
    if not application_is_manager(request.user, application):
        raise PermissionDenied
    return application


@login_required
def review_application(request, pk):
    """A manager's view of one application's reviews: reviewers, scores, comments, divergence;
    add a reviewer, return a review, record a consensus, decide."""
    application = _managed_application(request, pk)
    call = application.call
    rubric, assessment = services.application_assessment(application, call)
    criteria = list(call.criteria.order_by("position"))
    reviews = []
    for review in selectors.application_reviews_for_manager(application):
        scores = {s.criterion_id: s for s in review.scores.all()}
        row = [scores.get(c.pk) for c in criteria]
        extendable = review.state in (ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.RETURNED)
        reviews.append(
            {
                "review": review,
                "scores": row,
                "pairs": list(zip(criteria, row)),
                "extend_form": ExtendForm(prefix=f"extend-{review.pk}") if extendable else None,
            }
        )
    return render(
        request,
        "reviews/application.html",
        {
            "application": application,
            "call": call,
            "assessment": assessment,
            "criteria": criteria,
            "reviews": reviews,
            **_reviewer_search_context(request, application),
            "consensus_form": ConsensusForm(
                initial={"score": application.consensus_score, "justification": application.consensus_justification}
            ),
            "decision_form": DecisionForm(initial={"amount": application.requested_amount}),
            "return_form": ReturnForm(),
            "max_total": max_weighted_total(rubric),
            "can_decide": application.state in (ApplicationState.REVIEWED, ApplicationState.RESERVE),
            "can_consensus": application.state in (ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED),
            "can_assign": application.state in selectors.ASSIGNABLE_STATES,
        },
    )


def _reviewer_row(user) -> dict:
    profile = getattr(user, "reviewer_profile", None)
    return {
        "id": user.pk,
        "name": user.get_full_name(),
        "email": user.email,
        "expertise": list(profile.expertise) if profile else [],
        "countries": list(profile.countries) if profile else [],
        "open_reviews": user.open_reviews,
    }


def _reviewer_search_context(request, application) -> dict:
    """The "add a reviewer" search: nothing is listed until the manager searches, so the page
    costs the same whatever the size of the pool."""
    form = ReviewerSearchForm(request.GET or None)
    searched = form.is_valid() and "q" in request.GET
    query = form.cleaned_data.get("q", "") if searched else ""
    return {
        "search_form": form,
        "searched": searched,
        "candidates": [_reviewer_row(u) for u in selectors.reviewer_candidates(application, query)] if searched else [],
    }


@login_required
def review_application_reviewers(request, pk):
    """JSON for the reviewer picker's suggestions: `?q=` matches name, e-mail, expertise or
    country among the reviewers who may review this application (at most 20)."""
    application = _managed_application(request, pk)
    form = ReviewerSearchForm(request.GET)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    return JsonResponse(
        {"results": [_reviewer_row(u) for u in selectors.reviewer_candidates(application, query)]},
        headers={"Cache-Control": "private, no-store"},
    )


@login_required
@require_POST
def review_application_assign(request, pk):
    application = _managed_application(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        _act(
            request,
            services.review_assign,
            _("Reviewer assigned."),
            application_id=application.pk,
            reviewer_id=form.cleaned_data["reviewer"],
        )
    else:
        messages.error(request, _("Choose a reviewer from the pool."))
    return redirect(_next_or(request, reverse("reviews:review_application", args=[application.pk])))


@login_required
@require_POST
def review_application_consensus(request, pk):
    application = _managed_application(request, pk)
    form = ConsensusForm(request.POST)
    if form.is_valid():
        _act(
            request,
            services.consensus_record,
            _("Consensus score recorded."),
            application_id=application.pk,
            **form.cleaned_data,
        )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("reviews:review_application", pk=application.pk)


@login_required
@require_POST
def review_application_decide(request, pk):
    application = _managed_application(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        note = form.cleaned_data["note"]
        if decision == "award":
            _act(
                request,
                services.application_award,
                _("Grant awarded to %(app)s.") % {"app": application},
                application_id=application.pk,
                amount=form.cleaned_data["amount"],
                note=note,
            )
        elif decision == "put_on_reserve":
            _act(
                request,
                services.application_reserve,
                _("%(app)s is on the reserve list.") % {"app": application},
                application_id=application.pk,
                note=note,
            )
        else:
            _act(
                request,
                services.application_reject,
                _("%(app)s is rejected.") % {"app": application},
                application_id=application.pk,
                note=note,
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(_next_or(request, reverse("reviews:review_application", args=[application.pk])))


@login_required
@require_POST
def review_return(request, pk):
    review = get_visible_or_404(selectors.review_list_visible(request.user), pk)
    if not request.user.has_perm("applications.return_review", review):
        raise PermissionDenied
    form = ReturnForm(request.POST)
    if form.is_valid():
        _act(
            request,
            services.review_return,
            _("The review is returned to its reviewer."),
            review_id=review.pk,
            comment=form.cleaned_data["comment"],
        )
    else:
        messages.error(request, _("Say what the reviewer should revise."))
    return redirect("reviews:review_application", pk=review.application_id)


@login_required
@require_POST
def review_extend(request, pk):
    """The manager gives a reviewer more time (from the application's review page)."""
    review = get_visible_or_404(selectors.review_list_visible(request.user), pk)
    if not request.user.has_perm("applications.assign_reviewers", review):
        raise PermissionDenied
    form = ExtendForm(request.POST, prefix=f"extend-{review.pk}")
    if form.is_valid():
        _act(
            request,
            services.review_extend,
            _("The reviewer has more time and is told the new due date."),
            review_id=review.pk,
            due_at=form.cleaned_data["due_at"],
            reason=form.cleaned_data["reason"],
        )
    else:
        messages.error(request, _("Give the new due date and the reason."))
    return redirect("reviews:review_application", pk=review.application_id)


@login_required
def review_ranking(request, call_id):
    """Fundable applications by score with the envelope's cut-off line; not fundable ones apart
    with the reason. The database ranks the call; the page fetches its own rows and the summary:
    a constant number of queries and rows whatever the number of applications."""
    call = selectors.call_get_managed(request.user, call_id)
    criteria = list(call.criteria.order_by("position"))
    _rubric, ranking = call_ranking(
        call, criteria, page=request.GET.get("page"), npage=request.GET.get("npage"), size=RANKING_PAGE_SIZE
    )
    summary = ranking.summary
    concept_stage = call.is_concept_stage  # a two-stage call's concept notes: shortlisted, not awarded
    return render(
        request,
        "reviews/ranking.html",
        {
            "call": call,
            "criteria": criteria,
            "ranking": summary,
            "page": ranking.fundable,
            "not_fundable": ranking.not_fundable,
            "pending": ranking.pending,
            "pending_count": summary.pending,
            "cutoff_rank": summary.cutoff_rank,
            "cutoff_page": (summary.cutoff_rank - 1) // RANKING_PAGE_SIZE + 1 if summary.cutoff_rank else None,
            "currency": call.envelope.currency,
            "envelope": call.envelope.amount,
            "awarded_total": call.awarded_total,
            "flagged_count": summary.flagged,
            "can_decide_down": call.state == "reviewing" and not concept_stage,
            "can_close": call.state == "reviewing" and not concept_stage,
            # Decision buttons only where the decision service would take them (and why not otherwise).
            "can_decide": call.state in services.DECISION_CALL_STATES,
            "reviews_needed": call.reviewers_per_application,
            "concept_stage": concept_stage,
        },
    )


@login_required
@require_POST
def review_ranking_decide_down(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    decided, done = message_run(request, services.ranking_decide_down, actor=request.user, call_id=call.pk)
    if decided:
        messages.success(
            request,
            _("Decided down the ranking: %(a)s awarded, %(r)s on the reserve list, %(j)s rejected.")
            % {"a": len(done.awarded), "r": len(done.reserved), "j": len(done.rejected)},
        )
    return redirect("reviews:review_ranking", call_id=call.pk)


@login_required
@require_POST
def review_selection_close(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    _act(request, services.selection_close, _("The selection is closed: the call is decided."), call_id=call.pk)
    return redirect("reviews:review_ranking", call_id=call.pk)


@login_required
def review_feedback(request, pk):
    """Consolidated feedback for the applicant once decided: per-criterion scores and the
    reviewers' comments, without their names."""
    application = selectors.application_get_visible(request.user, pk)
    if not (application_is_member(request.user, application) or application_is_manager(request.user, application)):
        raise PermissionDenied
    decided = application.state in selectors.DECIDED_STATES
    return render(
        request,
        "reviews/feedback.html",
        {
            "application": application,
            "call": application.call,
            "decided": decided,
            "feedback": selectors.application_feedback(application) if decided else None,
        },
    )


@login_required
@require_POST
def review_call_assign_selected(request, call_id):
    """One reviewer for the applications selected in the call's list (named by e-mail or name)."""
    call = selectors.call_get_managed(request.user, call_id)
    back = QueryDict(request.POST.get("query", ""), mutable=True).urlencode()
    url = reverse("applications:call_applications", args=[call.pk]) + (f"?{back}" if back else "")
    try:
        reviewer = selectors.pool_member_named(call.programme_id, request.POST.get("reviewer", ""))
        result = services.reviews_assign_selected(
            actor=request.user, call_id=call.pk, application_ids=request.POST.getlist("ids"), reviewer_id=reviewer.pk
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(url)
    n = len(result.done)
    done = ngettext(
        "%(reviewer)s assigned to %(n)s application.", "%(reviewer)s assigned to %(n)s applications.", n
    ) % {"reviewer": reviewer.get_full_name() or reviewer.email, "n": n}
    bulk_report(request, result, done, application_label)
    return redirect(url)
