"""Building blocks for tests of later workflow stages: a call with its full template, and an
application driven through its transitions (the model's named transitions, never by assigning
the state). Tests of a stage's own services must call those services instead."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from applications.models import Application, ApplicationState, BudgetLine
from grants.calls.models import (
    BudgetHeading,
    Call,
    CallState,
    Criterion,
    HeadingKind,
    Question,
    RequiredDocument,
    TrancheCondition,
    TranchePlanItem,
)

# The transitions that lead from draft to each state.
PATHS = {
    ApplicationState.DRAFT: [],
    ApplicationState.SUBMITTED: ["submit"],
    ApplicationState.ELIGIBLE: ["submit", "mark_eligible"],
    ApplicationState.INELIGIBLE: ["submit", "mark_ineligible"],
    ApplicationState.CLARIFICATION_REQUESTED: ["submit", "request_clarification"],
    ApplicationState.UNDER_REVIEW: ["submit", "mark_eligible", "start_review"],
    ApplicationState.REVIEWED: ["submit", "mark_eligible", "start_review", "complete_review"],
    ApplicationState.RESERVE: ["submit", "mark_eligible", "start_review", "complete_review", "put_on_reserve"],
    ApplicationState.REJECTED: ["submit", "mark_eligible", "start_review", "complete_review", "reject"],
    ApplicationState.WITHDRAWN: ["withdraw"],
}

CALL_PATHS = {
    CallState.DRAFT: [],
    CallState.PUBLISHED: ["publish"],
    CallState.OPEN: ["publish", "open"],
    CallState.CLOSED: ["publish", "open", "close"],
    CallState.REVIEWING: ["publish", "open", "close", "start_review"],
    CallState.DECIDED: ["publish", "open", "close", "start_review", "decide"],
}


def call_full(
    programme, code="adv", state=CallState.OPEN, envelope="500000", criteria=((5, 2, 3), (5, 1, 3), (5, 1, 3)), **fields
) -> Call:
    """A call with rubric, budget headings, questions, required documents and a 40/40/20 tranche plan."""
    now = timezone.now()
    call = Call.objects.create(
        programme=programme,
        code=code,
        title=fields.pop("title", f"Call {code}"),
        envelope=Money(Decimal(envelope), programme.budget.currency),
        min_grant=fields.pop("min_grant", Decimal("10000")),
        max_grant=fields.pop("max_grant", Decimal("60000")),
        opens_at=fields.pop("opens_at", now - timedelta(days=10)),
        deadline=fields.pop("deadline", now + timedelta(days=20)),
        cofinancing_min_pct=fields.pop("cofinancing_min_pct", Decimal("5")),
        eligible_countries=fields.pop("eligible_countries", ["UA", "AM", "GE", "MD", "AZ"]),
        eligible_org_types=fields.pop(
            "eligible_org_types", ["ngo", "association", "media", "think_tank", "network", "other"]
        ),
        **fields,
    )
    for i, (max_score, weight, minimum) in enumerate(criteria, start=1):
        Criterion.objects.create(
            call=call,
            position=i,
            name=f"Criterion {i}",
            max_score=Decimal(max_score),
            weight=Decimal(weight),
            minimum=Decimal(minimum),
        )
    for i, (name, kind) in enumerate(
        [
            ("Staff", HeadingKind.DIRECT),
            ("Travel", HeadingKind.DIRECT),
            ("Equipment", HeadingKind.DIRECT),
            ("Indirect costs", HeadingKind.INDIRECT),
        ],
        start=1,
    ):
        BudgetHeading.objects.create(call=call, position=i, name=name, kind=kind)
    Question.objects.create(call=call, position=1, text="What problem does the action address?", max_chars=2000)
    Question.objects.create(call=call, position=2, text="How will you measure success?", max_chars=1500)
    RequiredDocument.objects.create(call=call, position=1, name="Statute of the organisation")
    for i, (share, condition) in enumerate(
        [
            ("40", TrancheCondition.SIGNATURE),
            ("40", TrancheCondition.INTERIM_REPORT),
            ("20", TrancheCondition.FINAL_REPORT),
        ],
        start=1,
    ):
        TranchePlanItem.objects.create(call=call, position=i, share_pct=Decimal(share), condition=condition)
    for name in CALL_PATHS[state]:
        getattr(call, name)()
    call.save()
    if state != CallState.DRAFT:
        type(programme).objects.filter(pk=programme.pk).update(envelopes_total=call.envelope.amount)
    return call


def application_in_state(
    call, organisation, user, state=ApplicationState.DRAFT, requested="40000", title=None, **fields
):
    """An application with answers and a budget, moved along PATHS[state]."""
    app = Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=user,
        title=title or f"Project of {organisation.legal_name}",
        summary="What we will do and why.",
        requested_amount=Decimal(requested),
        duration_months=12,
        cofinancing_amount=Decimal("2500"),
        answers={str(q.pk): "An answer." for q in call.questions.all()},
        **fields,
    )
    headings = list(call.budget_headings.order_by("position"))
    if headings:
        BudgetLine.objects.create(
            application=app,
            heading=headings[0],
            position=1,
            description="Project lead",
            units=Decimal("12"),
            unit_cost=Decimal("2500"),
        )
        BudgetLine.objects.create(
            application=app,
            heading=headings[1],
            position=2,
            description="Trips to the regions",
            units=Decimal("10"),
            unit_cost=Decimal("1000"),
        )
    for name in PATHS[state]:
        getattr(app, name)()
    if state != ApplicationState.DRAFT:
        app.reference = f"{call.code.upper()}-{app.pk:04d}"
        app.submitted_at = timezone.now()
    app.save()
    return app


def audited_bulk(what: str = "rows") -> None:
    """Rows a test bulk-created stand for rows the use cases would have made, each with its audit
    event: one event tells the lists that reuse their counts until the next audited change
    (`audit.lists.CountReusingPaginator`) that the data changed."""
    from django.db import transaction

    from audit.services import audit_record

    with transaction.atomic():
        audit_record(actor=None, action="bulk_rows", data={"what": what})


LARGE_FORM_KINDS = [
    "long_text", "short_text", "number", "choice", "multi_choice", "yes_no",
    "date", "email", "url", "amount", "table", "long_text",
]  # fmt: skip


def form_large(call, *, sections: int = 10, per_section: int = 12, conditions: int = 20):
    """A manager's large application form: `sections` sections of `per_section` questions of every
    kind, `conditions` of them shown only when an earlier yes/no question is answered yes, and the
    budget section last. Optional questions but the first long text of each section. Returns the
    questions in order."""
    from grants.calls.form.models import FormSection, Question, SectionKind

    Question.objects.filter(call=call).exclude(kind="file").delete()
    made, gates = [], []
    for s in range(sections):
        section = FormSection.objects.create(call=call, position=s + 1, title=f"Section {s + 1}")
        for n, kind in enumerate(LARGE_FORM_KINDS[:per_section] * (per_section // len(LARGE_FORM_KINDS) or 1)):
            options: dict = {}
            if kind in ("choice", "multi_choice"):
                options = {"choices": [{"value": f"a{i}", "label": {"en": f"Answer {i}"}} for i in range(1, 6)]}
            if kind == "table":
                options = {
                    "columns": [
                        {"key": "c1", "label": {"en": "Activity"}, "kind": "text"},
                        {"key": "c2", "label": {"en": "Cost"}, "kind": "amount", "total": True},
                    ],
                    "max_rows": 20,
                }
            condition = {}
            if kind != "yes_no" and gates and sum(1 for q in made if q.condition) < conditions and n % 2:
                condition = {"question": gates[-1].pk, "op": "yes"}
            question = Question.objects.create(
                call=call,
                section=section,
                position=n + 1,
                kind=kind,
                text=f"Question {s + 1}.{n + 1} ({kind})",
                required=n == 0,
                options=options,
                condition=condition,
            )
            made.append(question)
            if kind == "yes_no":
                gates.append(question)
    FormSection.objects.create(call=call, position=sections + 1, kind=SectionKind.BUDGET, title="Budget")
    return made
