from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class DonorReportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    GENERATING = "generating", _("Generating")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class DonorReport(ConcurrentTransitionMixin, models.Model):
    programme = models.ForeignKey("grants.Programme", on_delete=models.CASCADE, related_name="donor_reports")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    language = models.CharField(max_length=8, default="en")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    stored_name = models.CharField(max_length=80, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    # While queued or generating: the job counts as stranded after this moment (workers/leases.py).
    lease_until = models.DateTimeField(null=True, blank=True)
    # The file was deleted after the retention period; the row stays as history.
    file_removed_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(_("state"), default=DonorReportState.QUEUED, choices=DonorReportState.choices, protected=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["programme", "-requested_at"], name="donor_report_prog_requested")]
        verbose_name = _("donor report")
        verbose_name_plural = _("donor reports")

    @transition(
        field=state, source=[DonorReportState.QUEUED, DonorReportState.GENERATING], target=DonorReportState.GENERATING
    )
    def start(self):
        pass

    @transition(field=state, source=DonorReportState.GENERATING, target=DonorReportState.READY)
    def finish(self):
        pass

    @transition(
        field=state, source=[DonorReportState.QUEUED, DonorReportState.GENERATING], target=DonorReportState.FAILED
    )
    def fail(self):
        pass

    @transition(field=state, source=DonorReportState.FAILED, target=DonorReportState.QUEUED)
    def retry(self):
        pass

    # A stranded report (its lease ended while queued or generating) is queued again.
    @transition(
        field=state, source=[DonorReportState.QUEUED, DonorReportState.GENERATING], target=DonorReportState.QUEUED
    )
    def requeue(self):
        pass
