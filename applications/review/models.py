from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from applications.models.application import Application


class ReviewerProfile(models.Model):
    """A person in the reviewer pool: what they know, which languages they read, where from."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile")
    expertise = models.JSONField(_("expertise areas"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    countries = models.JSONField(
        _("countries"), default=list, blank=True, help_text=_("countries the reviewer is from or works in")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")

    def __str__(self):
        return str(self.user)


class ReviewState(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted (no conflict)")
    CONFLICTED = "conflicted", _("Conflict of interest")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for revision")


class Recommendation(models.TextChoices):
    FUND = "fund", _("Fund")
    FUND_WITH_CHANGES = "fund_with_changes", _("Fund with changes")
    DO_NOT_FUND = "do_not_fund", _("Do not fund")


class Review(ConcurrentTransitionMixin, models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(_("due"))
    declared_at = models.DateTimeField(_("declaration signed at"), null=True, blank=True)
    conflict_reason = models.TextField(_("conflict of interest"), blank=True)
    # Declared after the reviewer had read the application (and perhaps scored it): any score is
    # withdrawn from the ranking and the managers see the flag.
    conflict_late = models.BooleanField(_("conflict found after reading"), default=False)
    recommendation = models.CharField(_("recommendation"), max_length=20, choices=Recommendation.choices, blank=True)
    overall_comment = models.TextField(_("overall comment"), blank=True)
    weighted_total = models.DecimalField(_("weighted total"), max_digits=7, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_comment = models.TextField(_("why it was returned"), blank=True)
    state = FSMField(_("state"), default=ReviewState.ASSIGNED, choices=ReviewState.choices, protected=True)

    class Meta:
        ordering = ["application", "assigned_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="review_once_per_reviewer")]
        indexes = [
            models.Index(fields=["reviewer", "state"], name="review_reviewer_state"),
            # The review and assignment lists' sort: their first page is read in this order with
            # LIMIT instead of sorting every review of the programme.
            models.Index(fields=["due_at", "id"], name="review_due"),
        ]

    @transition(field=state, source=ReviewState.ASSIGNED, target=ReviewState.ACCEPTED)
    def declare_no_conflict(self):
        pass

    @transition(
        field=state,
        source=[ReviewState.ASSIGNED, ReviewState.ACCEPTED, ReviewState.SUBMITTED, ReviewState.RETURNED],
        target=ReviewState.CONFLICTED,
    )
    def declare_conflict(self):
        pass

    @transition(field=state, source=[ReviewState.ACCEPTED, ReviewState.RETURNED], target=ReviewState.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=ReviewState.SUBMITTED, target=ReviewState.RETURNED)
    def return_for_revision(self):
        pass


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey("grants.Criterion", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_once_per_criterion"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0), name="score_not_negative"
            ),
        ]
