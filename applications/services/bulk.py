"""Screening many applications of a call at once (`core.bulk`): each through
`application_mark_eligible`, with one checklist and note for all."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.models import Application
from applications.services.screening import application_mark_eligible
from applications.visibility import application_list_visible
from core.bulk import BULK_LIMIT, BulkResult, bulk_run


def applications_selected(*, actor, call_id: int, application_ids) -> QuerySet[Application]:
    """The selected applications of the call that the actor may see, by reference; more than
    BULK_LIMIT or none at all is refused."""
    ids = {int(i) for i in application_ids if str(i).isdigit()}
    if not ids:
        raise ValidationError(_("Select at least one application."))
    if len(ids) > BULK_LIMIT:
        raise ValidationError(
            ngettext(
                "Select at most %(n)s application at a time.",
                "Select at most %(n)s applications at a time.",
                BULK_LIMIT,
            )
            % {"n": BULK_LIMIT}
        )
    return (
        application_list_visible(actor)
        .filter(call_id=call_id, pk__in=ids)
        .select_related("organisation")
        .order_by("reference", "pk")
    )


def applications_mark_eligible(
    *, actor, call_id: int, application_ids, checklist: dict, comment: str = ""
) -> BulkResult:
    selected = applications_selected(actor=actor, call_id=call_id, application_ids=application_ids)
    return bulk_run(
        list(selected),
        lambda app: application_mark_eligible(actor=actor, application_id=app.pk, checklist=checklist, comment=comment),
    )
