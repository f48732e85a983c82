"""A signed grant gets its reporting schedule, whichever code signs it.

The grants workflow may also call `grantee_reports_schedule` itself; the schedule is created
once (the function returns the existing reports on later calls)."""
from django.dispatch import receiver
from django_fsm.signals import post_transition

from grants.models import Grant


@receiver(post_transition, sender=Grant, dispatch_uid="reporting_schedule_on_grant_sign")
def schedule_on_grant_sign(sender, instance, name, **kwargs):
    if name != "sign" or instance.pk is None:
        return
    from .report_services import grantee_reports_schedule

    grantee_reports_schedule(grant_id=instance.pk, actor=None)
