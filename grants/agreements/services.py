"""Use cases of grant agreements: terms, the budget as agreed, budget changes within the
flexibility limit and amendments beyond it. The only writers of these models; every change
writes an audit event and notifications are outbox rows in the same transaction.

Lock order, everywhere: the Grant row, then its other rows, then (inside `audit_record`) the
audit head."""

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ProgrammeRole
from accounts.selectors import organisation_member_users
from audit.services import audit_record
from audit.transitions import check, lock, transition
from core.errors import TransitionRefused
from core.money import cents, to_decimal
from core.storage import file_save
from grants.agreements import budget
from grants.agreements.models import Amendment, Grant, GrantBudgetLine, GrantState
from grants.agreements.selectors import grant_approved_version, version_heading_totals
from workers.messenger import notify_user

AGREEMENT_MAX_BYTES = 20 * 1024 * 1024


AGREEMENT_DIR = "agreements"


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def grant_path(grant) -> str:
    return f"/grants/{grant.pk}/"


def programme_people(programme_id, role):
    return [r.user for r in ProgrammeRole.objects.filter(programme_id=programme_id, role=role).select_related("user")]


def notify_people(kind, users, obj, key, context):
    seen = set()
    for user in users:
        if user.pk in seen or not user.email:
            continue
        seen.add(user.pk)
        notify_user(kind=kind, user=user, obj=obj, key=key, context=context)


def grant_lock(grant_id) -> Grant:
    try:
        return Grant.objects.select_for_update().get(pk=grant_id)
    except Grant.DoesNotExist:
        raise ValidationError(_("This grant does not exist."))


def require_perm(actor, permission, obj):
    if not actor.has_perm(permission, obj):
        raise PermissionDenied(_("You may not do this."))


def amount_parse(value, field_name, *, positive=True) -> Decimal:
    try:
        amount = to_decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field_name: _("Enter an amount, e.g. 1250.00.")})
    if not amount.is_finite():
        raise ValidationError({field_name: _("Enter an amount, e.g. 1250.00.")})
    if amount != cents(amount):
        raise ValidationError({field_name: _("Amounts have at most two decimals (cents).")})
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field_name: _("The amount must be positive.")})
    return amount


def line_snapshot(lines) -> list[dict]:
    return [
        {
            "line": line.pk,
            "heading": line.heading_id,
            "heading_name": str(line.heading),
            "position": line.position,
            "description": line.description,
            "amount": str(line.amount),
        }
        for line in lines
    ]


def dates_check(starts_on, ends_on, latest_end, max_months):
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The grant cannot end before it starts.")})
    if ends_on > latest_end:
        raise ValidationError(
            {
                "ends_on": _("The call allows at most %(months)s months: the grant must end by %(date)s.")
                % {"months": max_months, "date": latest_end.isoformat()}
            }
        )


def grant_terms_update(*, actor, grant_id: int, title: str, starts_on: date, ends_on: date) -> Grant:
    """Title and dates of a draft agreement."""
    with transaction.atomic():
        grant = grant_lock(grant_id)
        require_perm(actor, "grants.manage_grant", grant)
        if grant.state != GrantState.DRAFT:
            raise TransitionRefused(_("Only a draft agreement can be changed this way."))
        if not (title or "").strip():
            raise ValidationError({"title": _("The agreement needs a title.")})
        call = grant.call
        dates_check(
            starts_on,
            ends_on,
            add_months(starts_on, call.max_duration_months) - timedelta(days=1),
            call.max_duration_months,
        )
        before = {"title": grant.title, "starts_on": grant.starts_on, "ends_on": grant.ends_on}
        Grant.objects.filter(pk=grant.pk).update(title=title.strip(), starts_on=starts_on, ends_on=ends_on)
        audit_record(
            actor=actor,
            action="grant_terms_update",
            obj=grant,
            data={"before": before, "after": {"title": title.strip(), "starts_on": starts_on, "ends_on": ends_on}},
        )
    return Grant.objects.get(pk=grant_id)


def grant_publication_set(*, actor, grant_id: int, withhold_recipient: bool, withhold_reason: str = "") -> Grant:
    """Whether the public register and open data show the recipient's name (360Giving guidance
    lets a programme withhold the name of a grantee at risk); withholding says why."""
    reason = " ".join((withhold_reason or "").split())[:300]
    if withhold_recipient and not reason:
        raise ValidationError({"withhold_reason": _("Say why the name is withheld.")})
    with transaction.atomic():
        grant = grant_lock(grant_id)
        require_perm(actor, "grants.manage_grant", grant)
        before = {"withhold_recipient": grant.withhold_recipient, "withhold_reason": grant.withhold_reason}
        after = {
            "withhold_recipient": bool(withhold_recipient),
            "withhold_reason": reason if withhold_recipient else "",
        }
        if before != after:
            Grant.objects.filter(pk=grant.pk).update(**after)
            audit_record(actor=actor, action="grant_publication_set", obj=grant, reason=reason, data=after)
    return Grant.objects.get(pk=grant_id)


def _amounts_for(grant, lines, amounts: dict, descriptions: dict | None):
    """Validate new amounts {line id: amount}: every line named, none negative, total = award."""
    known = {line.pk for line in lines}
    unknown = set(amounts) - known
    if unknown:
        raise ValidationError(
            _("These budget lines are not part of this grant: %(ids)s.")
            % {"ids": ", ".join(str(i) for i in sorted(unknown))}
        )
    new = {
        line.pk: amount_parse(amounts.get(line.pk, line.amount), f"line_{line.pk}", positive=False) for line in lines
    }
    total = sum(new.values(), Decimal("0"))
    if lines and total != grant.amount_awarded:
        raise ValidationError(
            _(
                "The budget adds up to %(total)s %(currency)s; it must equal the amount awarded, "
                "%(awarded)s %(currency)s."
            )
            % {"total": total, "awarded": grant.amount_awarded, "currency": grant.currency}
        )
    for line in lines:
        line.amount = new[line.pk]
        if descriptions and (descriptions.get(line.pk) or "").strip():
            line.description = descriptions[line.pk].strip()[:300]
    return lines


def grant_budget_update(*, actor, grant_id: int, amounts: dict, descriptions: dict | None = None) -> Grant:
    """Edit the approved budget of a draft agreement (before signature, no flexibility limit)."""
    with transaction.atomic():
        grant = grant_lock(grant_id)
        require_perm(actor, "grants.manage_grant", grant)
        if grant.state != GrantState.DRAFT:
            raise TransitionRefused(
                _("After signature the budget changes through the flexibility rule or an amendment.")
            )
        lines = list(GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk"))
        before = line_snapshot(lines)
        lines = _amounts_for(grant, lines, amounts, descriptions)
        GrantBudgetLine.objects.bulk_update(lines, ["amount", "description"])
        audit_record(
            actor=actor, action="grant_budget_update", obj=grant, data={"before": before, "after": line_snapshot(lines)}
        )
    return grant


def agreement_store(document) -> str:
    """Check the upload is a PDF (by its content) and store it under a generated name."""
    if document is None:
        raise ValidationError({"document": _("Upload the signed agreement (PDF).")})
    if document.size > AGREEMENT_MAX_BYTES:
        raise ValidationError(
            {"document": _("The file is larger than %(mb)s MB.") % {"mb": AGREEMENT_MAX_BYTES // (1024 * 1024)}}
        )
    document.seek(0)
    head = document.read(5)
    if head != b"%PDF-":
        raise ValidationError({"document": _("The signed agreement must be a PDF file.")})
    document.seek(0)
    return file_save(f"{AGREEMENT_DIR}/{uuid.uuid4().hex}.pdf", document)


def amendment_decided(amendment, actor):
    amendment.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    amendment.decided_at = timezone.now()


@dataclass
class BudgetChange:
    applied: bool  # True: within the flexibility limit, applied at once
    amendment: Amendment | None = None  # otherwise the amendment waiting for the manager
    breaches: list = field(default_factory=list)


def grant_budget_change(
    *, actor, grant_id: int, amounts: dict, reason: str = "", descriptions: dict | None = None
) -> BudgetChange:
    """Move money between budget lines of a signed grant. Within the call's flexibility limit
    (each heading at most ±limit% cumulatively against the approved version) it applies at once
    and is audited; beyond it, it becomes an amendment the manager approves or rejects."""
    with transaction.atomic():
        grant = grant_lock(grant_id)
        require_perm(actor, "grants.change_grant_budget", grant)
        if grant.state not in (GrantState.ACTIVE, GrantState.SUSPENDED):
            raise TransitionRefused(_("The budget of this grant cannot change in its current state."))
        # An amendment carries the whole budget: nothing else changes it while one waits.
        if Amendment.objects.filter(grant=grant, state=Amendment.State.PROPOSED).exists():
            raise ValidationError(_("An amendment is already waiting for the programme manager's decision."))
        lines = list(GrantBudgetLine.objects.filter(grant=grant).select_related("heading").order_by("position", "pk"))
        before = line_snapshot(lines)
        lines = _amounts_for(grant, lines, amounts, descriptions)
        approved = version_heading_totals(grant_approved_version(grant))
        proposed = budget.heading_totals((line.heading_id, line.amount) for line in lines)
        breaches = budget.flexibility_breaches(
            approved=approved, proposed=proposed, limit_pct=grant.call.flexibility_pct
        )
        if not breaches:
            GrantBudgetLine.objects.bulk_update(lines, ["amount", "description"])
            audit_record(
                actor=actor,
                action="budget_change",
                obj=grant,
                reason=reason or "",
                data={"before": before, "after": line_snapshot(lines), "limit_pct": grant.call.flexibility_pct},
            )
            return BudgetChange(applied=True)
        reason = reason_required(
            reason,
            _(
                "This change moves a heading beyond the %(pct)s%% flexibility limit and "
                "needs an amendment: say why it is needed."
            )
            % {"pct": grant.call.flexibility_pct},
        )
        version = (Amendment.objects.filter(grant=grant).aggregate(v=Max("version"))["v"] or 0) + 1
        amendment = Amendment.objects.create(
            grant=grant, version=version, reason=reason, lines=line_snapshot(lines), proposed_by=actor
        )
        event = audit_record(
            actor=actor,
            action="amendment_propose",
            obj=amendment,
            to_state=amendment.state,
            reason=reason,
            data={
                "grant": grant.number,
                "version": version,
                "lines": amendment.lines,
                "breaches": [
                    {"heading": b.heading, "approved": b.approved, "proposed": b.proposed, "change_pct": b.change_pct}
                    for b in breaches
                ],
            },
        )
        notify_people(
            "amendment_proposed",
            programme_people(grant.call.programme_id, ProgrammeRole.Role.MANAGER),
            amendment,
            str(event.seq),
            {"grant": grant.number, "version": version, "path": grant_path(grant)},
        )
        return BudgetChange(applied=False, amendment=amendment, breaches=breaches)


def _amendment_decide(*, actor, amendment_id, decision, reason):
    amendment_grant = Amendment.objects.filter(pk=amendment_id).values_list("grant_id", flat=True).first()
    if amendment_grant is None:
        raise ValidationError(_("This amendment does not exist."))
    with transaction.atomic():
        grant = grant_lock(amendment_grant)
        amendment = lock(Amendment, amendment_id)
        check(actor, amendment, decision, permission="grants.decide_amendment")
        if decision == "approve" and grant.state not in (GrantState.ACTIVE, GrantState.SUSPENDED):
            raise TransitionRefused(_("The grant is no longer running; its budget cannot change."))
        amendment_decided(amendment, actor)
        event = transition(amendment, decision, actor=actor, reason=reason, data={"grant": grant.number})
        if decision == "approve":
            lines = {line.pk: line for line in GrantBudgetLine.objects.filter(grant=grant)}
            changed = []
            for row in amendment.lines:
                line = lines.get(row["line"])
                if line is None:
                    raise ValidationError(_("The amendment names a budget line that no longer exists."))
                line.amount, line.description = Decimal(row["amount"]), row["description"]
                changed.append(line)
            if sum((line.amount for line in lines.values()), Decimal("0")) != grant.amount_awarded:
                raise ValidationError(_("The amended budget does not add up to the amount awarded."))
            GrantBudgetLine.objects.bulk_update(changed, ["amount", "description"])
        recipients = organisation_member_users(grant.organisation_id)
        if amendment.proposed_by_id and amendment.proposed_by not in recipients:
            recipients.append(amendment.proposed_by)
        notify_people(
            "amendment_decided",
            recipients,
            amendment,
            str(event.seq),
            {
                "grant": grant.number,
                "version": amendment.version,
                "decision": amendment.get_state_display(),
                "comment": reason,
                "path": grant_path(grant),
            },
        )
    return amendment


def amendment_approve(*, actor, amendment_id: int, reason: str = "") -> Amendment:
    """The amended budget replaces the current one and becomes the new approved version."""
    return _amendment_decide(actor=actor, amendment_id=amendment_id, decision="approve", reason=reason)


def amendment_reject(*, actor, amendment_id: int, reason: str) -> Amendment:
    reason = reason_required(reason, _("Say why the amendment is rejected."))
    return _amendment_decide(actor=actor, amendment_id=amendment_id, decision="reject", reason=reason)


def reason_required(reason, what):
    if not (reason or "").strip():
        raise ValidationError({"reason": what})
    return reason.strip()
