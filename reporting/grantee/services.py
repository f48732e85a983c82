"""Use cases for grantee reports: the only code that writes reports, expenditure, indicator
values and supporting documents.

Schedule: every grant gets an interim report due at the middle of its period and a final
report due 60 days after it ends (`grantee_reports_schedule`, idempotent; run when the grant is
signed). A manager can add or move reports. The grantee fills a report in (autosaved, with
optimistic concurrency on `version`), attaches documents and submits; the manager marks costs
ineligible, then approves or asks for changes. Once an approval commits it sends
`report_approved` (reporting/grantee/signals.py): disbursement then releases the next tranche (and
the balance after the final report, which also lets the grant close).
"""

import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import ProgrammeRole
from accounts.selectors import organisation_member_users
from applications.conversations.models import EventKind, ThreadScope
from applications.conversations.services import thread_event_record
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.money import cents
from grants.agreements.models import Grant, GrantBudgetLine
from grants.calls.form.answers import answer_parse, answer_problems, empty_value
from reporting.grantee.documents import document_store
from reporting.grantee.models import (
    Expenditure,
    GranteeReport,
    GranteeReportState,
    Indicator,
    IndicatorValue,
    ReportDocument,
)
from reporting.grantee.selectors import (
    EDITABLE_STATES,
    NARRATIVE_MAX_CHARS,
    NARRATIVE_SECTIONS,
    report_financials,
    report_typed_form,
)
from reporting.grantee.signals import report_approved
from workers.messenger import notify_user

log = logging.getLogger(__name__)
MAX_DOCUMENTS = 20


class StaleVersion(Exception):
    """The report changed since the caller loaded it (HTTP 409): reload, nothing is lost."""

    def __init__(self, current_version: int):
        super().__init__(
            _("This report was changed elsewhere (version %(v)s). Reload it before saving again.")
            % {"v": current_version}
        )
        self.current_version = current_version
        self.message = str(self)


def _report_path(report_id) -> str:
    return f"/reporting/reports/{report_id}/"


def report_lock(report_id) -> GranteeReport:
    return (
        GranteeReport.objects.select_for_update(of=("self",))
        .select_related("grant", "grant__call", "grant__organisation")
        .get(pk=report_id)
    )


def report_permission_require(actor, perm, obj):
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


def report_editable_require(report):
    if report.state not in EDITABLE_STATES:
        raise TransitionRefused(
            _("This report was submitted; it can be changed only when the manager asks for changes.")
        )


# --- schedule --------------------------------------------------------------------------------


# --- indicators (the grant's logframe) --------------------------------------------------------


def _decimal(value, field_name, *, allow_none=False, minimum=None):
    if value in (None, "") and allow_none:
        return None
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: _("Enter a number.")})
    if not number.is_finite():
        raise ValidationError({field_name: _("Enter a number.")})
    if minimum is not None and number < minimum:
        raise ValidationError({field_name: _("Enter a number of at least %(min)s.") % {"min": minimum}})
    return number.quantize(Decimal("0.01"))


def _answers_apply(report, answers: dict, errors: dict) -> dict:
    """The report's answers to its call's report form (field name -> posted value), judged by type."""
    form = report_typed_form(report)
    questions = {f"q{q.pk}": q for q in form.answerable} if form else {}
    stored = dict(report.narrative or {})
    for name, raw in answers.items():
        question = questions.get(name)
        if question is None:
            errors[name] = [_("This question is not part of the report.")]
            continue
        try:
            stored[str(question.pk)] = answer_parse(question, raw)
        except ValidationError as exc:
            errors[name] = exc.messages
    return stored


def grantee_report_save(
    *,
    actor,
    report_id: int,
    version: int,
    narrative: dict | None = None,
    expenditures: dict | None = None,
    indicators: dict | None = None,
    answers: dict | None = None,
) -> GranteeReport:
    """Autosave. `expenditures`: {budget_line_id: {"amount_spent": …, "note": …}};
    `indicators`: {indicator_id: {"actual": …, "comment": …}}. Refused (StaleVersion) when
    `version` is not the current one, so two tabs never overwrite each other silently."""
    with transaction.atomic():
        report = report_lock(report_id)
        report_permission_require(actor, "reporting.edit_report", report)
        report_editable_require(report)
        if int(version) != report.version:
            raise StaleVersion(report.version)
        errors = {}
        if narrative is not None:
            allowed = {key for key, _label, _req in NARRATIVE_SECTIONS[report.kind]}  # type: ignore[index]
            cleaned = dict(report.narrative or {})
            for key, text in narrative.items():
                if key not in allowed:
                    continue
                text = (text or "").replace("\r\n", "\n")
                if len(text) > NARRATIVE_MAX_CHARS:
                    errors[f"narrative_{key}"] = ngettext(
                        "At most %(n)s character.", "At most %(n)s characters.", NARRATIVE_MAX_CHARS
                    ) % {"n": NARRATIVE_MAX_CHARS}
                cleaned[key] = text
            report.narrative = cleaned
        if answers is not None:
            report.narrative = _answers_apply(report, answers, errors)
        if expenditures:
            line_ids = set(GrantBudgetLine.objects.filter(grant_id=report.grant_id).values_list("pk", flat=True))
            existing = {e.budget_line_id: e for e in Expenditure.objects.filter(report=report)}
            for line_id, values in expenditures.items():
                line_id = int(line_id)
                if line_id not in line_ids:
                    raise ValidationError({"expenditures": _("This budget line does not belong to the grant.")})
                try:
                    amount = _decimal(values.get("amount_spent") or 0, f"spent_{line_id}", minimum=0)
                except ValidationError as exc:
                    errors.update(exc.message_dict)  # type: ignore[arg-type]
                    continue
                note = (values.get("note") or "")[:2000]
                exp = existing.get(line_id)
                if exp is None:
                    Expenditure.objects.create(report=report, budget_line_id=line_id, amount_spent=amount, note=note)
                else:
                    # what the manager refused can never exceed what is declared
                    exp.ineligible_amount = min(exp.ineligible_amount, amount)
                    exp.amount_spent, exp.note = amount, note
                    exp.save(update_fields=["amount_spent", "ineligible_amount", "note"])
        if indicators:
            ind_ids = set(Indicator.objects.filter(grant_id=report.grant_id).values_list("pk", flat=True))
            for ind_id, values in indicators.items():
                ind_id = int(ind_id)
                if ind_id not in ind_ids:
                    raise ValidationError({"indicators": _("This indicator does not belong to the grant.")})
                try:
                    actual = _decimal(values.get("actual"), f"actual_{ind_id}", allow_none=True)
                except ValidationError as exc:
                    errors.update(exc.message_dict)  # type: ignore[arg-type]
                    continue
                breakdown = {}
                for group, raw in (values.get("breakdown") or {}).items():
                    if group not in ("women", "men"):
                        continue
                    try:
                        part = _decimal(raw, f"actual_{ind_id}_{group}", allow_none=True, minimum=0)
                    except ValidationError as exc:
                        errors.update(exc.message_dict)  # type: ignore[arg-type]
                        continue
                    if part is not None:
                        breakdown[group] = str(part)
                if actual is not None and sum((Decimal(v) for v in breakdown.values()), Decimal("0")) > actual:
                    errors[f"actual_{ind_id}_women"] = _("Women and men together cannot be more than the actual value.")
                    continue
                IndicatorValue.objects.update_or_create(
                    report=report,
                    indicator_id=ind_id,
                    defaults={
                        "actual": actual,
                        "comment": (values.get("comment") or "")[:2000],
                        # a caller that says nothing of the breakdown (the API) keeps the stored one
                        **({"breakdown": breakdown} if "breakdown" in values else {}),
                    },
                )
        if errors:
            raise ValidationError(errors)
        report.version = F("version") + 1
        report.save(update_fields=["narrative", "version"])
        report.refresh_from_db(fields=["version"])
    return report


def report_document_add(*, actor, report_id: int, uploaded, indicator_id: int | None = None) -> ReportDocument:
    """Attach a supporting document; `indicator_id` names the indicator whose actual it evidences."""
    with transaction.atomic():
        report = report_lock(report_id)
        report_permission_require(actor, "reporting.edit_report", report)
        report_editable_require(report)
        if report.documents.count() >= MAX_DOCUMENTS:
            raise ValidationError(
                {
                    "file": ngettext(
                        "A report can have at most %(n)s document.",
                        "A report can have at most %(n)s documents.",
                        MAX_DOCUMENTS,
                    )
                    % {"n": MAX_DOCUMENTS}
                }
            )
        if (
            indicator_id is not None
            and not Indicator.objects.filter(pk=indicator_id, grant_id=report.grant_id).exists()
        ):
            raise ValidationError({"indicator": _("This indicator does not belong to the grant.")})
        fields = document_store(uploaded)
        document = ReportDocument.objects.create(report=report, uploaded_by=actor, indicator_id=indicator_id, **fields)
        audit_record(
            actor=actor,
            action="report_document_add",
            obj=report,
            data={
                "document": document.pk,
                "name": document.original_name,
                "sha256": document.sha256,
                "size": document.size,
                "content_type": document.content_type,
                "indicator": indicator_id,
            },
        )
    return document


def report_document_remove(*, actor, document_id: int) -> None:
    with transaction.atomic():
        document = ReportDocument.objects.select_related("report").get(pk=document_id)
        report = report_lock(document.report_id)
        report_permission_require(actor, "reporting.edit_report", report)
        report_editable_require(report)
        audit_record(
            actor=actor,
            action="report_document_remove",
            obj=report,
            data={"document": document.pk, "name": document.original_name, "sha256": document.sha256},
        )
        document.delete()


# --- transitions --------------------------------------------------------------------------------


def _managers(programme_id):
    return [
        r.user
        for r in ProgrammeRole.objects.filter(
            programme_id=programme_id, role=ProgrammeRole.Role.MANAGER
        ).select_related("user")
    ]


def _submit_problems(report) -> list[str]:
    problems = []
    narrative = report.narrative or {}
    form = report_typed_form(report)
    if form is not None:
        shown, _sections = form.shown(narrative)
        for q in form.answerable:
            if q.pk in shown:
                problems += answer_problems(q, narrative.get(str(q.pk), empty_value(q)))
    for key, label, required in [] if form is not None else NARRATIVE_SECTIONS[report.kind]:
        if required and not (narrative.get(key) or "").strip():
            problems.append(_("Fill in “%(section)s”.") % {"section": label})
    filled = set(
        IndicatorValue.objects.filter(report=report, actual__isnull=False).values_list("indicator_id", flat=True)
    )
    missing = Indicator.objects.filter(grant_id=report.grant_id).exclude(pk__in=filled).values_list("name", flat=True)
    for name in missing:
        problems.append(_("Enter the actual value of the indicator “%(name)s”.") % {"name": name})
    return problems


def grantee_report_submit(*, actor, report_id: int) -> GranteeReport:
    with transaction.atomic():
        report = lock(GranteeReport, report_id)
        check(actor, report, "submit", permission="reporting.edit_report")
        problems = _submit_problems(report)
        if problems:
            raise ValidationError(problems)
        lines = GrantBudgetLine.objects.filter(grant_id=report.grant_id).exclude(expenditures__report=report)
        Expenditure.objects.bulk_create([Expenditure(report=report, budget_line=bl) for bl in lines])
        report.submitted_at = timezone.now()
        financials = report_financials(report)
        event = transition(
            report,
            "submit",
            actor=actor,
            data={
                "spent": financials.spent_total,
                "cumulative": financials.cumulative_total,
                "flags": financials.flags,
            },
        )
        grant = Grant.objects.select_related("call", "organisation").get(pk=report.grant_id)
        for manager in _managers(grant.call.programme_id):
            notify_user(
                kind="grantee_report_submitted",
                user=manager,
                obj=report,
                key=str(event.seq),
                context={
                    "grant": grant.number,
                    "title": grant.title,
                    "organisation": grant.organisation.legal_name,
                    "path": _report_path(report.pk),
                },
            )
    return report


def grantee_report_approve(*, actor, report_id: int, comment: str = "") -> GranteeReport:
    with transaction.atomic():
        report = lock(GranteeReport, report_id)
        check(actor, report, "approve", permission="reporting.review_report")
        report.decided_by = actor
        report.decided_at = timezone.now()
        report.manager_comment = (comment or "").strip()
        financials = report_financials(report)
        event = transition(
            report,
            "approve",
            actor=actor,
            reason=comment,
            data={
                "eligible": financials.eligible_total,
                "ineligible": financials.ineligible_total,
                "flags": financials.flags,
            },
        )
        grant = report.grant
        for member in organisation_member_users(grant.organisation_id):
            notify_user(
                kind="grantee_report_approved",
                user=member,
                obj=report,
                key=str(event.seq),
                context={
                    "grant": grant.number,
                    "title": grant.title,
                    "comment": report.manager_comment,
                    "path": _report_path(report.pk),
                },
            )
        transaction.on_commit(lambda: report_approved.send(sender=GranteeReport, grant_id=grant.pk, actor=actor))
    return report


def grantee_report_request_changes(*, actor, report_id: int, comment: str) -> GranteeReport:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what the grantee should change.")})
    with transaction.atomic():
        report = lock(GranteeReport, report_id)
        check(actor, report, "request_changes", permission="reporting.review_report")
        report.decided_by = actor
        report.decided_at = timezone.now()
        report.manager_comment = comment
        event = transition(report, "request_changes", actor=actor, reason=comment)
        grant = report.grant
        thread_event_record(
            application=grant.application,
            scope=ThreadScope.GRANT,
            event=EventKind.REPORT_CHANGES_REQUESTED,
            actor=actor,
            body=comment,
            data={"report": report.kind, "report_id": report.pk},
        )
        for member in organisation_member_users(grant.organisation_id):
            notify_user(
                kind="grantee_report_changes_requested",
                user=member,
                obj=report,
                key=str(event.seq),
                context={
                    "grant": grant.number,
                    "title": grant.title,
                    "comment": comment,
                    "path": _report_path(report.pk),
                },
            )
    return report


def expenditure_ineligible_set(*, actor, report_id: int, amounts: dict, reason: str = "") -> GranteeReport:
    """The manager marks costs ineligible while reviewing: {budget_line_id: amount}."""
    with transaction.atomic():
        report = report_lock(report_id)
        report_permission_require(actor, "reporting.review_report", report)
        if report.state != GranteeReportState.SUBMITTED:
            raise TransitionRefused(_("Costs can be marked ineligible only while the report waits for review."))
        existing = {e.budget_line_id: e for e in Expenditure.objects.filter(report=report)}
        changes, errors = [], {}
        for line_id, value in amounts.items():
            exp = existing.get(int(line_id))
            if exp is None:
                raise ValidationError({"amounts": _("This budget line is not in the report.")})
            try:
                amount = _decimal(value or 0, f"ineligible_{line_id}", minimum=0)
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
            if amount > exp.amount_spent:
                errors[f"ineligible_{line_id}"] = _("At most the amount spent (%(spent)s).") % {  # type: ignore[assignment]
                    "spent": exp.amount_spent
                }
                continue
            if amount != exp.ineligible_amount:
                changes.append({"budget_line": exp.budget_line_id, "before": exp.ineligible_amount, "after": amount})
                exp.ineligible_amount = amount
                exp.save(update_fields=["ineligible_amount"])
        if errors:
            raise ValidationError(errors)
        if changes:
            audit_record(
                actor=actor,
                action="expenditure_ineligible_set",
                obj=report,
                reason=reason,
                data={
                    "changes": changes,
                    "ineligible_total": cents(sum(e.ineligible_amount for e in existing.values()) or 0),
                },
            )
    return report
