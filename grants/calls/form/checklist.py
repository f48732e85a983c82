"""A call's screening checklist: the administrative items a programme manager ticks before an
application is marked eligible. Every call starts with the five items below (EU practice) and
its managers change them; the keys are what audit events record (never translated)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from core.errors import TransitionRefused
from core.forms import TextCleaning
from core.languages import codes, main_language
from grants.calls.form.models import ChecklistItem
from grants.calls.models import Call, CallState

CHECKLIST = [
    ("on_time", gettext_lazy("Submitted before the deadline (the system's record).")),
    (
        "organisation",
        gettext_lazy("The organisation is of an eligible type and country, and its registration is valid."),
    ),
    ("limits", gettext_lazy("The amount requested, the duration and the co-financing are within the call's limits.")),
    ("budget", gettext_lazy("The budget is complete and consistent, with indirect costs within the cap.")),
    ("documents", gettext_lazy("Every required document is attached, complete, legible and signed where needed.")),
]
MAX_ITEMS = 30


def checklist_items(call_id: int | None = None) -> list[tuple[str, str]]:
    """(key, label in the reader's language) of the call's checklist, in order; the default items
    for a call that has none of its own."""
    if call_id is not None:
        items = [(i.key, i.label) for i in ChecklistItem.objects.filter(call_id=call_id).order_by("position", "pk")]
        if items:
            return items
    return [(key, str(label)) for key, label in CHECKLIST]


def checklist_guidance(call_id: int) -> dict:
    return {i.key: i.guidance for i in ChecklistItem.objects.filter(call_id=call_id) if i.guidance}


def checklist_defaults_create(call: Call) -> None:
    """The default items, in every language, for a new call."""
    rows = []
    for position, (key, label) in enumerate(CHECKLIST, start=1):
        texts = {}
        for code in codes():
            with translation.override(code):
                texts[f"label_{code}"] = str(label)
        rows.append(ChecklistItem(call=call, position=position, key=key, **texts))
    ChecklistItem.objects.bulk_create(rows)


class ChecklistItemForm(TextCleaning, forms.Form):
    label = forms.CharField(label=gettext_lazy("Item"), max_length=300, required=False)
    guidance = forms.CharField(label=gettext_lazy("Guidance"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    key = forms.CharField(widget=forms.HiddenInput, required=False)


ChecklistFormSet = forms.formset_factory(ChecklistItemForm, extra=2, can_order=True, can_delete=True, max_num=MAX_ITEMS)


def checklist_save(*, actor, call_id: int, rows: list[dict]) -> list[ChecklistItem]:
    """Replace the call's checklist with `rows` ({key?, label, guidance} in the main language), in
    order. Items keep their key (and their other languages) when given it."""
    main = main_language()
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None or not actor.has_perm("grants.manage_call", call):
            raise PermissionDenied(_("You do not manage this call's programme."))
        if call.state in (CallState.ARCHIVED, CallState.CANCELLED):
            raise TransitionRefused(_("An archived or cancelled call's checklist cannot be changed."))
        rows = [r for r in rows if (r.get("label") or "").strip()]
        if not rows:
            raise ValidationError(_("Keep at least one item on the checklist."))
        existing = {i.key: i for i in ChecklistItem.objects.filter(call=call)}
        keep, items = set(), []
        for position, row in enumerate(rows, start=1):
            item = existing.get(row.get("key") or "")
            if item is None:
                base = slugify(row["label"])[:30] or "item"
                key, n = base, 1
                while key in existing or key in keep:
                    n += 1
                    key = f"{base}-{n}"
                item = ChecklistItem(call=call, key=key)
            item.position = position
            setattr(item, f"label_{main}", row["label"].strip())
            setattr(item, f"guidance_{main}", (row.get("guidance") or "").strip())
            item.save()
            keep.add(item.key)
            items.append(item)
        ChecklistItem.objects.filter(call=call).exclude(key__in=keep).delete()
        audit_record(
            actor=actor,
            action="checklist_save",
            obj=call,
            data={"items": [{"key": i.key, "label": getattr(i, f"label_{main}")} for i in items]},
        )
    return items
