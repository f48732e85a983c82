"""Copy a call: a new draft call of the same programme with the terms, texts in every language,
questions, budget headings, required documents, rubric, tranche plan and indicators of an earlier
one — the next round of a programme prepared in the browser, without retyping it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.shortcuts import get_permitted_or_403
from grants.calls.form.defaults import call_forms_copy
from grants.calls.models import Call
from grants.calls.services import CALL_FIELDS, TEMPLATE_PARTS

NOT_COPIED = ("code",)  # the copy's own; state, awards and dates of closing start afresh


def call_copy(*, actor, call_id: int, code: str) -> Call:
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("Give the new call a short code, e.g. advocacy-2027.")})
    source = get_permitted_or_403(
        actor, Call, call_id, "grants.manage_call", _("You do not manage this call's programme.")
    )
    with transaction.atomic():
        if Call.objects.filter(programme_id=source.programme_id, code=code).exists():
            raise ValidationError({"code": _("This programme already has a call with this code.")})
        copy = Call.objects.create(
            programme_id=source.programme_id,
            code=code,
            envelope=source.envelope,
            **{name: getattr(source, name) for name in CALL_FIELDS if name not in NOT_COPIED},
        )
        copy.indicators.set(source.indicators.all())
        call_forms_copy(source, copy)  # the forms, their documents and the checklist
        for part, (model, fields) in TEMPLATE_PARTS.items():
            if part in ("questions", "required_documents"):
                continue
            rows = getattr(source, part).order_by("position")
            model.objects.bulk_create(  # type: ignore[attr-defined]
                [model(call=copy, position=row.position, **{f: getattr(row, f) for f in fields}) for row in rows]
            )
        audit_record(actor=actor, action="call_copy", obj=copy, data={"from": source.pk, "code": code})
    return copy
