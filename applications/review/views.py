"""Pages of independent review and selection. Thin: parse, call a selector or a service, render.

Reviewers reach reviews only through `review_selectors.review_get_for_reviewer` (their own,
never a conflicted one: 404); managers reach calls and applications through selectors limited
to the programmes they manage (404 otherwise) and act through services (403 when the role
does not allow it).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import REVIEWER, programme_ids
from applications.models import ApplicationState
from applications.review import selectors, services
from applications.review.forms import (
    AssignForm,
    ConflictForm,
    ConsensusForm,
    DecisionForm,
    NoConflictForm,
    ReturnForm,
    ReviewerInviteForm,
    ScoreForm,
)
from applications.review.models import ReviewState
from applications.review.ranking import call_ranking, max_weighted_total, ranking_titles, rubric_from, weighted_total
from applications.uploads import content_disposition, stored_path
from applications.visibility import application_is_manager, application_is_member
from core.errors import TransitionRefused
from core.forms import error_text, form_errors_add, form_run, message_run
from core.shortcuts import get_visible_or_404

RANKING_PAGE_SIZE = 50
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
    done = Paginator(
        selectors.review_list_for_reviewer(request.user, [ReviewState.SUBMITTED]).order_by("-submitted_at", "pk"),
        LIST_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    calls = (
        list(selectors.call_list_managed(request.user))
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
    try:
        path = stored_path(attachment.stored_name)
        handle = open(path, "rb")
    except (ValueError, FileNotFoundError):
        raise Http404
    if review.application.call.blind_review:
        extension = attachment.original_name.rsplit(".", 1)[-1].lower() if "." in attachment.original_name else ""
        name = f"attachment-{number}.{extension}" if extension.isalnum() else f"attachment-{number}"
    else:
        name = attachment.original_name
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
    return render(
        request,
        "reviews/pool.html",
        {
            "form": form,
            "reviewers": list(selectors.reviewer_pool([p.pk for p in programmes])),
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


@login_required
def review_call_assignments(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    applications = Paginator(selectors.call_assignments(call), RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/assignments.html",
        {
            "call": call,
            "applications": applications,
            "progress": selectors.reviewer_progress(call),
            "pool_size": len(selectors.programme_reviewer_ids(call.programme_id)),
        },
    )


@login_required
@require_POST
def review_call_assign_auto(request, call_id):
    call = selectors.call_get_managed(request.user, call_id)
    assigned, result = message_run(request, services.reviews_assign_auto, actor=request.user, call_id=call.pk)
    if assigned:
        messages.success(request, _("%(n)s assignment(s) made.") % {"n": len(result.created)})
        if result.short:
            messages.error(
                request,
                _(
                    "Not enough eligible reviewers for %(n)s application(s): %(list)s. Invite more "
                    "reviewers or assign by hand."
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
        reviews.append({"review": review, "scores": row, "pairs": list(zip(criteria, row))})
    return render(
        request,
        "reviews/application.html",
        {
            "application": application,
            "call": call,
            "assessment": assessment,
            "criteria": criteria,
            "reviews": reviews,
            "assign_form": AssignForm(reviewers=selectors.reviewer_choices(call)),
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


@login_required
@require_POST
def review_application_assign(request, pk):
    application = _managed_application(request, pk)
    form = AssignForm(request.POST, reviewers=selectors.reviewer_choices(application.call))
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


# --- managers: ranking and decisions ----------------------------------------------------------


@login_required
def review_ranking(request, call_id):
    """Fundable applications by score with the envelope's cut-off line; not fundable ones apart
    with the reason; a constant number of queries whatever the number of applications."""
    call = selectors.call_get_managed(request.user, call_id)
    criteria = list(call.criteria.order_by("position"))
    rubric, ranking = call_ranking(call, criteria)
    page = Paginator(ranking.fundable, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    not_fundable = Paginator(ranking.not_fundable, RANKING_PAGE_SIZE).get_page(request.GET.get("npage"))
    pending = ranking.pending[:RANKING_PAGE_SIZE]
    ranking_titles([*page.object_list, *not_fundable.object_list, *pending])
    return render(
        request,
        "reviews/ranking.html",
        {
            "call": call,
            "criteria": criteria,
            "ranking": ranking,
            "page": page,
            "not_fundable": not_fundable,
            "pending": pending,
            "pending_count": len(ranking.pending),
            "cutoff_rank": ranking.cutoff + 1 if ranking.cutoff is not None else None,
            "currency": call.envelope.currency,
            "envelope": call.envelope.amount,
            "awarded_total": call.awarded_total,
            "flagged_count": len(ranking.flagged),
            "can_decide_down": call.state == "reviewing",
            "can_close": call.state == "reviewing",
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


# --- applicants -------------------------------------------------------------------------------


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
