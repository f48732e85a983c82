from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

# The text searched for an application, and the expression its GIN index is built on: a query
# must use this very expression for PostgreSQL to use the index (applications/search.py).
APPLICATION_SEARCH = SearchVector("reference", "title", "summary", config="simple")


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
    SHORTLISTED = "shortlisted", _("Invited to a full application")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


BEFORE_DECISION = [
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.ELIGIBLE,
    ApplicationState.CLARIFICATION_REQUESTED,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.REVIEWED,
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
    requested_amount = models.DecimalField(
        _("amount requested"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    cofinancing_amount = models.DecimalField(_("co-financing"), max_digits=14, decimal_places=2, default=Decimal("0"))
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)

    state = FSMField(_("state"), default=ApplicationState.DRAFT, choices=ApplicationState.choices, protected=True)
    reference = models.CharField(_("reference number"), max_length=40, unique=True, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    receipt_sha256 = models.CharField(_("SHA-256 of the submitted content"), max_length=64, blank=True)
    # The full application of a two-stage call names the concept note it was invited from; its
    # amount requested may not exceed the concept note's (the budget ceiling).
    # (A plain foreign key: the shortlist creates one per concept note. A unique one would make SQLite
    # rebuild the table, which its PostgreSQL-only search index cannot survive.)
    concept_note = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="full_applications", editable=False
    )
    # The eligibility check as answered before the draft was created: {"answers": {question id:
    # value}, "eligible": true, "checked_at": iso time}.
    # (Nullable: SQLite then adds the column in place instead of rebuilding the table, which its
    # PostgreSQL-only search index cannot survive.)
    eligibility = models.JSONField(_("eligibility check"), null=True, blank=True, editable=False)
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

    # The ranking's assessment of the application, stored by the review services in the
    # transaction that changes it (applications/review/ranking/stored.py), so that the ranking
    # reads one row per application in index order. `assessed_rules` is its freshness marker:
    # the fingerprint of the call's rules it was computed under, null when never computed.
    assessed_rules = models.CharField(max_length=16, null=True, blank=True, editable=False)
    reviews_submitted = models.PositiveIntegerField(default=0, editable=False)
    reviews_pending = models.PositiveIntegerField(default=0, editable=False)
    reviews_withdrawn = models.PositiveIntegerField(default=0, editable=False)
    ranking_group = models.PositiveSmallIntegerField(default=3, editable=False)  # fundable, not, pending
    # Ordering keys: the score (0 while pending), then the first criterion's mean (fundable only).
    ranking_score = models.DecimalField(max_digits=30, decimal_places=20, default=Decimal("0"), editable=False)
    ranking_first = models.DecimalField(max_digits=30, decimal_places=20, default=Decimal("0"), editable=False)
    divergence = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)
    reviews_divergent = models.BooleanField(default=False, editable=False)
    fundable = models.BooleanField(default=False, editable=False)
    # Exact decimals as strings: mean_total, score, criterion_means {criterion id: mean}, failures.
    assessment = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            models.Index(fields=["call", "state"], name="application_call_state"),
            # The ranking's order within each group of a call; on PostgreSQL it also carries what
            # the ranking's summary counts and adds up, which it then reads from the index alone.
            models.Index(
                fields=["call", "ranking_group", "-ranking_score", "-ranking_first", "id"],
                include=["state", "requested_amount", "reviews_divergent", "reviews_pending", "consensus_score"],
                name="application_ranking",
            ),
            # the applications whose stored assessment is missing or computed under other rules
            models.Index(fields=["call", "assessed_rules"], name="application_assessed_rules"),
            # The managers' list of a call, by reference; the applicant's list, latest first;
            # the API's list, newest first.
            models.Index(fields=["call", "reference", "id"], name="application_call_reference"),
            models.Index(fields=["organisation", "-updated_at"], name="application_org_updated"),
            # The managers' list of a call sorted by amount, submission time or title (either way).
            models.Index(fields=["call", "requested_amount", "id"], name="application_call_requested"),
            models.Index(fields=["call", "submitted_at", "id"], name="application_call_submitted"),
            models.Index(fields=["call", "title", "id"], name="application_call_title"),
            models.Index(fields=["-created_at", "id"], name="application_created"),
            # Full-text search (applications/search.py; PostgreSQL only).
            GinIndex(APPLICATION_SEARCH, name="application_search"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_amount__isnull=True) | models.Q(requested_amount__gt=0),
                name="application_requested_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(awarded_amount__isnull=True)
                | models.Q(awarded_amount__lte=models.F("requested_amount")),
                name="application_award_within_request",
            ),
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

    @transition(
        field=state, source=[ApplicationState.REVIEWED, ApplicationState.RESERVE], target=ApplicationState.AWARDED
    )
    def award(self):
        pass

    @transition(
        field=state, source=[ApplicationState.REVIEWED, ApplicationState.RESERVE], target=ApplicationState.SHORTLISTED
    )
    def shortlist(self):
        """A concept note invited to the full-application stage of a two-stage call."""

    @transition(field=state, source=ApplicationState.REVIEWED, target=ApplicationState.RESERVE)
    def put_on_reserve(self):
        pass

    @transition(
        field=state, source=[ApplicationState.REVIEWED, ApplicationState.RESERVE], target=ApplicationState.REJECTED
    )
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
            models.CheckConstraint(
                condition=models.Q(units__gte=0) & models.Q(unit_cost__gte=0), name="budget_line_not_negative"
            ),
        ]

    def save(self, *args, **kwargs):
        self.total = (self.units * self.unit_cost).quantize(Decimal("0.01"))
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A file stored under a generated name; served only through a permission-checked view."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "grants.RequiredDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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


class ProposedIndicator(models.Model):
    """An indicator the applicant proposes, linked to one of the programme indicators the call
    contributes to; on award it becomes one of the grant's indicators."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="proposed_indicators")
    programme_indicator = models.ForeignKey(
        "grants.ProgrammeIndicator",
        verbose_name=_("contributes to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("indicator"), max_length=300)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, default=Decimal("0"))
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    means_of_verification = models.CharField(_("means of verification"), max_length=300, blank=True)

    class Meta:
        ordering = ["application", "position"]
        verbose_name = _("proposed indicator")
        verbose_name_plural = _("proposed indicators")
