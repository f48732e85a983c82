import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import MoneyField

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from core.clock import database_now
from grants.calls.form.models import (  # noqa: F401  (the form's models, read with the call's)
    ChecklistItem,
    FormChange,
    FormPurpose,
    FormSection,
    Question,
    QuestionKind,
    SectionKind,
)


def new_form_token() -> str:
    return uuid.uuid4().hex


CURRENCIES = ["EUR", "USD", "UAH", "AMD", "GEL", "MDL", "AZN"]


# IATI OrganisationType codes a funder may have (codelist OrganisationType, version 2.03).
IATI_ORGANISATION_TYPES = [
    ("10", _("Government")),
    ("11", _("Local Government")),
    ("15", _("Other Public Sector")),
    ("21", _("International NGO")),
    ("22", _("National NGO")),
    ("23", _("Regional NGO")),
    ("30", _("Public Private Partnership")),
    ("40", _("Multilateral")),
    ("60", _("Foundation")),
    ("70", _("Private Sector")),
    ("80", _("Academic, Training and Research")),
    ("90", _("Other")),
]


class Donor(models.Model):  # type: ignore[django-manager-missing]
    name = models.CharField(_("name"), max_length=200, unique=True)
    identifier = models.CharField(
        _("organisation identifier"), max_length=60, blank=True, help_text=_("org-id form, e.g. XI-IATI-EC_NEAR")
    )
    # IATI names a funder only with both its identifier and its type.
    organisation_type = models.CharField(
        _("IATI organisation type"), max_length=2, blank=True, choices=IATI_ORGANISATION_TYPES
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return self.name


class Programme(models.Model):  # type: ignore[django-manager-missing]
    code = models.SlugField(
        _("code"), max_length=12, unique=True, help_text=_("short prefix used in grant numbers, e.g. EU4I")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    budget = MoneyField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        default_currency="EUR",
        currency_choices=[(c, c) for c in CURRENCIES],
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    countries = models.JSONField(_("countries"), default=list, help_text=_('ISO codes, e.g. ["UA", "AM"]'))
    donors = models.ManyToManyField(Donor, through="Contribution", related_name="programmes")
    # Sum of the envelopes of published calls, kept by call_publish/call_cancel under the
    # programme's row lock; the database refuses a value above the budget.
    envelopes_total = models.DecimalField(
        _("envelopes of published calls"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )

    class Meta:
        ordering = ["-starts_on", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="programme_budget_not_negative"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="programme_period_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(envelopes_total__lte=models.F("budget")), name="programme_envelopes_within_budget"
            ),
        ]

    def __str__(self):
        return self.title

    def country_names(self):
        names = dict(PROGRAMME_COUNTRY_CHOICES)
        return [str(names.get(c, c)) for c in self.countries]


class Contribution(models.Model):  # type: ignore[django-manager-missing]
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="contributions")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="contributions")
    amount = MoneyField(_("amount"), max_digits=14, decimal_places=2, default_currency="EUR")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["donor", "programme"], name="contribution_unique")]
        verbose_name = _("donor contribution")
        verbose_name_plural = _("donor contributions")

    def __str__(self):
        return f"{self.donor}: {self.amount}"


class IndicatorLevel(models.TextChoices):
    OUTCOME = "outcome", _("Outcome")
    OUTPUT = "output", _("Output")


class ProgrammeIndicator(models.Model):  # type: ignore[django-manager-missing]
    """An indicator of the programme's results framework; grants' own indicators link to it."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="indicators")
    level = models.CharField(_("level"), max_length=8, choices=IndicatorLevel.choices, default=IndicatorLevel.OUTPUT)
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. OC1 or OP1.2"))
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, default=Decimal("0"))
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    # What the actuals are broken down by, e.g. ["country", "gender"].
    disaggregation = models.JSONField(_("disaggregation"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    class Meta:
        ordering = ["programme", "position", "code"]
        verbose_name = _("programme indicator")
        verbose_name_plural = _("programme indicators")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="programme_indicator_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    REVIEWING = "reviewing", _("Under review")
    DECIDED = "decided", _("Decided")
    ARCHIVED = "archived", _("Archived")
    CANCELLED = "cancelled", _("Cancelled")


class Call(ConcurrentTransitionMixin, models.Model):  # type: ignore[django-manager-missing]
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="calls")
    code = models.SlugField(_("code"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    envelope = MoneyField(_("envelope"), max_digits=14, decimal_places=2, default_currency="EUR")
    min_grant = models.DecimalField(_("minimum grant"), max_digits=14, decimal_places=2)
    max_grant = models.DecimalField(_("maximum grant"), max_digits=14, decimal_places=2)
    cofinancing_min_pct = models.DecimalField(
        _("minimum co-financing (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_duration_months = models.PositiveSmallIntegerField(_("maximum duration (months)"), default=12)
    eligible_countries = models.JSONField(_("eligible countries"), default=list)
    eligible_org_types = models.JSONField(_("eligible organisation types"), default=list)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("reviewers per application"), default=2, validators=[MinValueValidator(1)]
    )
    divergence_threshold = models.DecimalField(
        _("divergence threshold (points)"), max_digits=5, decimal_places=2, default=Decimal("3")
    )
    overall_threshold = models.DecimalField(
        _("overall threshold"), max_digits=6, decimal_places=2, default=Decimal("10")
    )
    blind_review = models.BooleanField(_("blind review"), default=False)
    flexibility_pct = models.DecimalField(
        _("budget flexibility between headings (%)"), max_digits=5, decimal_places=2, default=Decimal("25")
    )
    indirect_max_pct = models.DecimalField(
        # xgettext:no-python-format
        _("indirect costs at most (% of direct costs)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("7"),
    )
    review_comment_min_chars = models.PositiveSmallIntegerField(_("minimum length of a reviewer's comment"), default=50)
    review_days = models.PositiveSmallIntegerField(_("days reviewers have to score"), default=14)
    reviewers_not_from_applicant_country = models.BooleanField(
        _("reviewers never from the applicant's country"), default=False
    )
    max_file_mb = models.PositiveSmallIntegerField(_("largest attachment (MB)"), default=10)
    max_total_mb = models.PositiveSmallIntegerField(_("all attachments of one application (MB)"), default=40)
    # Ledger counter kept by the award service under the call's row lock; the database refuses
    # a value above the envelope whatever the code does.
    awarded_total = models.DecimalField(
        _("awarded so far"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    # The results framework: the programme indicators this call's grants contribute to, and the
    # DAC 5-digit sector (IATI vocabulary 1) its activities are published under.
    indicators = models.ManyToManyField(
        "grants.ProgrammeIndicator", blank=True, related_name="calls", verbose_name=_("contributes to indicators")
    )
    sector = models.CharField(
        _("sector (DAC 5-digit code)"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("Enter a 5-digit DAC sector code, e.g. 15150."))],
        help_text=_("e.g. 15150 democratic participation and civil society"),
    )
    state = FSMField(_("state"), default=CallState.DRAFT, choices=CallState.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Closing before the deadline (applications.services.call_dates): when, and why (shown on the
    # call's page). A call closed by mistake may be reopened within a grace period after `closed_at`.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_early_reason = models.TextField(_("why the call closed early"), blank=True, editable=False)
    # Set by the first submission: from then on the application form takes wording fixes only.
    form_frozen_at = models.DateTimeField(_("form frozen at"), null=True, blank=True, editable=False)
    # Changed by every change to the form's questions (grants.calls.form.builder): autosave keeps
    # the questions' types in the cache under it, so a save reads no question row.
    form_token = models.CharField(max_length=32, default=new_form_token, editable=False)
    # PRAG practice for questions about the call: asked up to 21 days before the deadline,
    # answered (and published) at least 11 days before it.
    questions_days = models.PositiveSmallIntegerField(
        _("questions accepted until (days before the deadline)"), default=21
    )
    answers_days = models.PositiveSmallIntegerField(_("answers published by (days before the deadline)"), default=11)
    # A two-stage call (PRAG's restricted procedure) is two linked calls: the concept notes' call and
    # this one, the full applications', set on the full-application call. Each stage keeps its own
    # form, rubric, reviewers and deadline; the shortlist (applications.review.services.shortlist)
    # opens this stage to the invited organisations only.
    concept_call = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="full_call",
        verbose_name=_("concept-note stage"),
    )

    class Meta:
        ordering = ["deadline"]
        indexes = [
            # The public list (published and open calls by deadline); a manager's calls by programme.
            models.Index(fields=["state", "deadline"], name="call_state_deadline"),
            models.Index(fields=["programme", "-deadline"], name="call_programme_deadline"),
        ]
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="call_code_unique"),
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("opens_at")), name="call_deadline_after_opening"
            ),
            models.CheckConstraint(
                condition=models.Q(max_grant__gte=models.F("min_grant")), name="call_grant_range_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(awarded_total__gte=0) & models.Q(awarded_total__lte=models.F("envelope")),
                name="call_awards_within_envelope",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_concept_stage(self) -> bool:
        """The first stage of a two-stage call: concept notes, shortlisted rather than awarded."""
        return Call.objects.filter(concept_call_id=self.pk).exists() if self.pk else False

    @property
    def is_accepting(self) -> bool:
        """The clock decides, not only the state: a submission after the deadline is refused."""
        now = timezone.now()
        return self.state == CallState.OPEN and self.opens_at <= now < self.deadline

    @transition(field=state, source=CallState.DRAFT, target=CallState.PUBLISHED)
    def publish(self):
        pass

    @transition(field=state, source=CallState.PUBLISHED, target=CallState.OPEN)
    def open(self):
        pass

    @transition(field=state, source=CallState.OPEN, target=CallState.CLOSED)
    def close(self):
        self.closed_at = database_now()

    @transition(field=state, source=CallState.CLOSED, target=CallState.OPEN)
    def reopen(self):
        pass

    @transition(field=state, source=CallState.CLOSED, target=CallState.REVIEWING)
    def start_review(self):
        pass

    @transition(field=state, source=CallState.REVIEWING, target=CallState.DECIDED)
    def decide(self):
        pass

    @transition(field=state, source=CallState.DECIDED, target=CallState.ARCHIVED)
    def archive(self):
        pass

    @transition(field=state, source=[CallState.DRAFT, CallState.PUBLISHED, CallState.OPEN], target=CallState.CANCELLED)
    def cancel(self):
        pass


class Criterion(models.Model):  # type: ignore[django-manager-missing]
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=4, decimal_places=1, default=Decimal("5"))
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal("1"))
    minimum = models.DecimalField(_("minimum (threshold)"), max_digits=4, decimal_places=1, default=Decimal("0"))
    eliminatory = models.BooleanField(_("eliminatory"), default=False)

    class Meta:
        ordering = ["call", "position"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [models.UniqueConstraint(fields=["call", "position"], name="criterion_position_unique")]

    def __str__(self):
        return self.name


class HeadingKind(models.TextChoices):
    DIRECT = "direct", _("Direct costs")
    INDIRECT = "indirect", _("Indirect costs")
    CONTINGENCY = "contingency", _("Contingency reserve")


class BudgetHeading(models.Model):  # type: ignore[django-manager-missing]
    """A heading of the call's budget template (staff, travel, equipment, indirect…)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="budget_headings")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=HeadingKind.choices, default=HeadingKind.DIRECT)

    class Meta:
        ordering = ["call", "position"]
        verbose_name = _("budget heading")
        verbose_name_plural = _("budget headings")
        constraints = [models.UniqueConstraint(fields=["call", "position"], name="heading_position_unique")]

    def __str__(self):
        return self.name


class RequiredDocument(models.Model):  # type: ignore[django-manager-missing]
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="required_documents")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("document"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["call", "position"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self):
        return self.name


class TrancheCondition(models.TextChoices):
    SIGNATURE = "signature", _("On signature")
    INTERIM_REPORT = "interim_report", _("After the interim report is approved")
    FINAL_REPORT = "final_report", _("After the final report is approved")


class TranchePlanItem(models.Model):
    """The call's tranche template, e.g. 40% on signature, 40% on interim report, 20% balance."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="tranche_plan")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    share_pct = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    condition = models.CharField(_("release condition"), max_length=20, choices=TrancheCondition.choices)

    class Meta:
        ordering = ["call", "position"]
        verbose_name = _("tranche plan item")
        verbose_name_plural = _("tranche plan")


class CallAlert(models.Model):
    """Someone following calls: told when a call opens that matches (an empty list matches all)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="call_alerts")
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("programme")
    )
    countries = models.JSONField(_("countries"), default=list, blank=True)
    org_types = models.JSONField(_("organisation types"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("call alert")
        verbose_name_plural = _("call alerts")

    def matches(self, call: "Call") -> bool:
        return (
            (self.programme_id is None or self.programme_id == call.programme_id)
            and (not self.countries or bool(set(self.countries) & set(call.eligible_countries)))
            and (not self.org_types or bool(set(self.org_types) & set(call.eligible_org_types)))
        )
