from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    CLARIFICATION_REQUESTED = "clarification_requested", _("Clarification requested")
    UNDER_REVIEW = "under_review", _("Under review")
    REVIEWED = "reviewed", _("Reviewed")
    AWARDED = "awarded", _("Awarded")
    RESERVE = "reserve", _("Reserve list")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


BEFORE_DECISION = [
    ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.ELIGIBLE,
    ApplicationState.CLARIFICATION_REQUESTED, ApplicationState.UNDER_REVIEW, ApplicationState.REVIEWED,
]


class Application(ConcurrentTransitionMixin, models.Model):
    call = models.ForeignKey("grants.Call", on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="applications")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Incremented by every autosave: a save based on an older version is refused, not lost.
    version = models.PositiveIntegerField(default=1)

    title = models.CharField(_("project title"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True, help_text="question id -> text")
    requested_amount = models.DecimalField(_("amount requested"), max_digits=14, decimal_places=2, null=True, blank=True)
    cofinancing_amount = models.DecimalField(_("co-financing"), max_digits=14, decimal_places=2, default=Decimal("0"))
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)

    state = FSMField(_("state"), default=ApplicationState.DRAFT, choices=ApplicationState.choices, protected=True)
    reference = models.CharField(_("reference number"), max_length=40, unique=True, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    receipt_sha256 = models.CharField(_("SHA-256 of the submitted content"), max_length=64, blank=True)
    submitted_content = models.JSONField(_("content as submitted"), null=True, blank=True)
    deadline_extended_to = models.DateTimeField(_("individual deadline extension"), null=True, blank=True)

    ineligibility_reason = models.TextField(_("reason for ineligibility"), blank=True)
    clarification_question = models.TextField(_("clarification requested"), blank=True)
    clarification_due = models.DateTimeField(_("clarification due"), null=True, blank=True)
    clarification_answer = models.TextField(_("clarification answer"), blank=True)

    consensus_score = models.DecimalField(_("consensus score"), max_digits=7, decimal_places=2, null=True, blank=True)
    consensus_justification = models.TextField(_("consensus justification"), blank=True)
    awarded_amount = models.DecimalField(_("amount awarded"), max_digits=14, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [models.Index(fields=["call", "state"], name="application_call_state")]
        constraints = [
            models.CheckConstraint(condition=models.Q(requested_amount__isnull=True) | models.Q(requested_amount__gt=0),
                                   name="application_requested_positive"),
            models.CheckConstraint(condition=models.Q(awarded_amount__isnull=True) | models.Q(awarded_amount__lte=models.F("requested_amount")),
                                   name="application_award_within_request"),
        ]

    def __str__(self):
        return self.reference or self.title or f"#{self.pk}"

    @transition(field=state, source=ApplicationState.DRAFT, target=ApplicationState.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.ELIGIBLE)
    def mark_eligible(self):
        pass

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.INELIGIBLE)
    def mark_ineligible(self):
        pass

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.CLARIFICATION_REQUESTED)
    def request_clarification(self):
        pass

    @transition(field=state, source=ApplicationState.CLARIFICATION_REQUESTED, target=ApplicationState.SUBMITTED)
    def answer_clarification(self):
        pass

    @transition(field=state, source=ApplicationState.ELIGIBLE, target=ApplicationState.UNDER_REVIEW)
    def start_review(self):
        pass

    @transition(field=state, source=ApplicationState.UNDER_REVIEW, target=ApplicationState.REVIEWED)
    def complete_review(self):
        pass

    @transition(field=state, source=[ApplicationState.REVIEWED, ApplicationState.RESERVE], target=ApplicationState.AWARDED)
    def award(self):
        pass

    @transition(field=state, source=ApplicationState.REVIEWED, target=ApplicationState.RESERVE)
    def put_on_reserve(self):
        pass

    @transition(field=state, source=[ApplicationState.REVIEWED, ApplicationState.RESERVE], target=ApplicationState.REJECTED)
    def reject(self):
        pass

    @transition(field=state, source=BEFORE_DECISION, target=ApplicationState.WITHDRAWN)
    def withdraw(self):
        pass


class BudgetLine(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    heading = models.ForeignKey("grants.BudgetHeading", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(_("description"), max_length=300)
    units = models.DecimalField(_("units"), max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, editable=False)

    class Meta:
        ordering = ["application", "position"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(units__gte=0) & models.Q(unit_cost__gte=0), name="budget_line_not_negative"),
        ]

    def save(self, *args, **kwargs):
        self.total = (self.units * self.unit_cost).quantize(Decimal("0.01"))
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A file stored under a generated name; served only through a permission-checked view."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("grants.RequiredDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    content_type = models.CharField(_("detected type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class ReviewerProfile(models.Model):
    """A person in the reviewer pool: what they know, which languages they read, where from."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile")
    expertise = models.JSONField(_("expertise areas"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    countries = models.JSONField(_("countries"), default=list, blank=True, help_text=_("countries the reviewer is from or works in"))
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
        indexes = [models.Index(fields=["reviewer", "state"], name="review_reviewer_state")]

    @transition(field=state, source=ReviewState.ASSIGNED, target=ReviewState.ACCEPTED)
    def declare_no_conflict(self):
        pass

    @transition(field=state, source=ReviewState.ASSIGNED, target=ReviewState.CONFLICTED)
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
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=0), name="score_not_negative"),
        ]
