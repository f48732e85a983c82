"""The demo's story across the sub-domains, told through the same services people use
(`manage.py seed_demo`; idempotent: each step looks first and does only what is missing).

- `demo-integrity-2025`, **decided**: five organisations applied; four were found eligible and
  one not; two reviewers scored each eligible application; the ranking awarded the two best, put
  the third on the reserve list and rejected the fourth (below the criteria's minimum); the call's
  open data is published. The first grant is signed and its first tranche paid (the disbursement
  demo), its interim report approved (here), so the second tranche is due: paid in part.
- `demo-advocacy-2026`, **open** for applications (the applications demo).
- `demo-innovation-2026`, **in review**: three applications, eligible, reviewers assigned.

A call that is over is seeded as it would have happened: open while its applications are
submitted, its deadline then set to the moment the last one came in, closed by the schedule's own
job, and reviewed. Every reference the demo makes starts with `DEMO-` (the programme's and the
calls' codes), so it never collides with a real programme's numbering.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max

from accounts.models import Organisation
from accounts.roles import roles_forget
from applications import services as application_services
from applications.demo import _contact, _fill
from applications.models import Application, ApplicationState
from applications.review.demo import _pool as review_pool
from applications.review.models import Recommendation, Review, ReviewState
from applications.review.services import (
    ranking_decide_down,
    review_declare_no_conflict,
    review_submit,
    reviews_assign_auto,
    selection_close,
)
from core.clock import database_now
from grants.calls.models import Call, CallState
from grants.calls.services import calls_open_close
from grants.disbursement.demo import _grantee_contact
from reporting.grantee.models import GranteeReportState, Indicator, ReportKind
from reporting.grantee.services import grantee_report_approve, grantee_report_save, grantee_report_submit

DECIDED, IN_REVIEW = "demo-integrity-2025", "demo-innovation-2026"

# (project title, summary, the score each reviewer gives every criterion): the first two are
# awarded, the third fits no more in the envelope (reserve list), the fourth is below the minimum.
DECIDED_PROJECTS = [
    (
        "Civic monitoring of municipal budgets",
        "Volunteers in ten municipalities follow local budgets and publish what they find.",
        Decimal("4.5"),
    ),
    (
        "Open beneficial ownership for public contracts",
        "Linking the beneficial-ownership register to procurement data.",
        Decimal("4"),
    ),
    (
        "Integrity pacts for reconstruction projects",
        "Civil monitors in the procurement of three large projects.",
        Decimal("3.5"),
    ),
    (
        "A podcast on public ethics",
        "Twelve episodes with officials and journalists on conflicts of interest.",
        Decimal("2"),
    ),
]
INELIGIBLE_PROJECT = ("Office renovation", "Renovating our office (not eligible: no link to the call's aims).")
IN_REVIEW_PROJECTS = [
    ("Open budgets map", "A map of every municipal budget line, from the treasury's open data."),
    ("Procurement red flags", "Automatic red flags in public tenders, published weekly."),
    ("Declarations checker", "Compare officials' asset declarations year by year."),
]
RESULTS = "Шість громад публікують дані про закупівлі; 80 людей навчено моніторингу відкритих даних."
COMMENT = (
    "The proposal is assessed against this criterion with care: the need, the approach and the "
    "expected results are explained and consistent with the budget."
)


def _organisations(ctx: dict[str, Any], countries: list[str], count: int) -> list[Organisation]:
    """Organisations other than the demo applicant's, from the call's countries, in a fixed order."""
    applicant = ctx["users"].get("applicant")
    own = set(applicant.memberships.values_list("organisation_id", flat=True)) if applicant else set()
    chosen = [o for o in ctx["organisations"] if o.pk not in own and (not countries or o.country in countries)]
    return list(reversed(chosen))[:count]  # the other end of the list from the open call's applicants


def _apply(ctx: dict[str, Any], call: Call, projects: list[tuple[str, str]], *, first_contact=None) -> list:
    """Each organisation's application, submitted through the services (made once)."""
    apps = []
    organisations = _organisations(ctx, call.eligible_countries or [], len(projects))
    for index, (org, (title, summary)) in enumerate(zip(organisations, projects, strict=False), start=1):
        existing = Application.objects.filter(call=call, organisation=org).first()
        if existing is not None:
            apps.append(existing)
            continue
        user = first_contact(org) if (first_contact and index == 1) else _contact(org, 100 + org.pk)
        roles_forget(user)
        app, _created = application_services.application_start(actor=user, call_id=call.pk, organisation_id=org.pk)
        _fill(user, app, call, title=title, summary=summary)
        apps.append(application_services.application_submit(actor=user, application_id=app.pk))
    return apps


def _close(call: Call) -> Call:
    """The deadline becomes the moment the last application came in; the schedule's job closes it."""
    if call.state == CallState.OPEN:
        last = Application.objects.filter(call=call).aggregate(last=Max("submitted_at"))["last"]
        Call.objects.filter(pk=call.pk).update(deadline=max(last or database_now(), call.opens_at))
        calls_open_close()
    return Call.objects.get(pk=call.pk)


def _screen(manager, apps: list[Application], *, ineligible: frozenset[int] = frozenset()) -> None:
    checklist = {key: True for key, _label in application_services.CHECKLIST}
    for app in apps:
        app.refresh_from_db()
        if app.state != ApplicationState.SUBMITTED:
            continue
        if app.pk in ineligible:
            application_services.application_mark_ineligible(
                actor=manager, application_id=app.pk, reason="The project does not serve the call's aims."
            )
        else:
            application_services.application_mark_eligible(actor=manager, application_id=app.pk, checklist=checklist)


def _review_all(call: Call, scores: dict[int, Decimal]) -> None:
    """Every reviewer declares no conflict and scores each criterion of their applications."""
    criteria = list(call.criteria.order_by("position"))
    for review in Review.objects.filter(application__call=call).select_related("reviewer").order_by("pk"):
        if review.state == ReviewState.ASSIGNED:
            review = review_declare_no_conflict(actor=review.reviewer, review_id=review.pk)
        if review.state not in (ReviewState.ACCEPTED, ReviewState.RETURNED):
            continue
        score = scores[review.application_id]
        review_submit(
            actor=review.reviewer,
            review_id=review.pk,
            scores={c.pk: {"score": min(score, c.max_score), "comment": COMMENT} for c in criteria},
            recommendation=Recommendation.FUND if score >= 3 else Recommendation.DO_NOT_FUND,
            overall_comment="Scored against the rubric; see the comments on each criterion.",
        )


def seed_calls(ctx: dict[str, Any]) -> None:
    """After the applications demo: the decided call up to its decision, the call in review."""
    manager = ctx["users"].get("manager")
    if manager is None:
        return
    review_pool(ctx)  # the reviewers exist before the calls are reviewed
    decided = ctx["calls"].get(DECIDED)
    if decided is not None:
        decided.refresh_from_db()
        if decided.state == CallState.OPEN:
            projects = [(t, s) for t, s, _score in DECIDED_PROJECTS] + [INELIGIBLE_PROJECT]
            apps = _apply(ctx, decided, projects, first_contact=_grantee_contact)
            _screen(manager, apps, ineligible=frozenset({apps[-1].pk}))
            decided = _close(decided)
            with transaction.atomic():
                reviews_assign_auto(actor=manager, call_id=decided.pk)
            _review_all(decided, {app.pk: score for app, (_t, _s, score) in zip(apps, DECIDED_PROJECTS)})
        decided.refresh_from_db()
        if decided.state == CallState.REVIEWING:
            if Application.objects.filter(call=decided, state=ApplicationState.REVIEWED).exists():
                ranking_decide_down(actor=manager, call_id=decided.pk)
            selection_close(actor=manager, call_id=decided.pk)
    in_review = ctx["calls"].get(IN_REVIEW)
    if in_review is not None:
        in_review.refresh_from_db()
        if in_review.state == CallState.OPEN:
            apps = _apply(ctx, in_review, IN_REVIEW_PROJECTS)
            _screen(manager, apps)
            in_review = _close(in_review)
            with transaction.atomic():
                reviews_assign_auto(actor=manager, call_id=in_review.pk)


def seed_reports(ctx: dict[str, Any]) -> None:
    """After the grantee-reports demo: the grantee submits the interim report it started and the
    manager approves it, which makes the second tranche due (its spending condition is met)."""
    manager, decided = ctx["users"].get("manager"), ctx["calls"].get(DECIDED)
    if manager is None or decided is None:
        return
    grant_app = Application.objects.filter(call=decided, grant__isnull=False).order_by("pk").first()
    if grant_app is None:
        return
    report = grant_app.grant.reports.filter(kind=ReportKind.INTERIM).order_by("due_on").first()
    member = grant_app.organisation.memberships.select_related("user").order_by("pk").first()
    if report is None or member is None:
        return
    if report.state == GranteeReportState.SCHEDULED and report.narrative:
        indicators = {
            ind.pk: {"actual": (ind.baseline + ind.target) / 2, "comment": "Half-way, as planned."}
            for ind in Indicator.objects.filter(grant=grant_app.grant)
        }
        report = grantee_report_save(
            actor=member.user,
            report_id=report.pk,
            version=report.version,
            narrative={**report.narrative, "results": RESULTS},
            indicators=indicators,
        )
        report = grantee_report_submit(actor=member.user, report_id=report.pk)
    if report.state == GranteeReportState.SUBMITTED:
        grantee_report_approve(actor=manager, report_id=report.pk, comment="Clear and complete. Thank you.")
