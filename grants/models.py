from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import CurrencyField, MoneyField

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES

CURRENCIES = ["EUR", "USD", "UAH", "AMD", "GEL", "MDL", "AZN"]


class Translated:
    """`<field>`, `<field>_uk`, `<field>_hy`: the text in the active language, English otherwise."""

    def translated(self, field: str) -> str:
        lang = (get_language() or "en")[:2]
        return (lang != "en" and getattr(self, f"{field}_{lang}", "")) or getattr(self, field)


class Donor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    identifier = models.CharField(_("organisation identifier"), max_length=60, blank=True,
                                  help_text=_("org-id form, e.g. XI-IATI-EC_NEAR"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return self.name


class Programme(Translated, models.Model):
    code = models.SlugField(_("code"), max_length=12, unique=True, help_text=_("short prefix used in grant numbers, e.g. EU4I"))
    title = models.CharField(_("title"), max_length=200)
    title_uk = models.CharField(_("title (Ukrainian)"), max_length=200, blank=True)
    title_hy = models.CharField(_("title (Armenian)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    budget = MoneyField(_("budget"), max_digits=14, decimal_places=2, default_currency="EUR", currency_choices=[(c, c) for c in CURRENCIES])
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    countries = models.JSONField(_("countries"), default=list, help_text=_("ISO codes, e.g. [\"UA\", \"AM\"]"))
    donors = models.ManyToManyField(Donor, through="Contribution", related_name="programmes")

    class Meta:
        ordering = ["-starts_on", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="programme_budget_not_negative"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="programme_period_ordered"),
        ]

    def __str__(self):
        return self.translated("title")

    def country_names(self):
        names = dict(PROGRAMME_COUNTRY_CHOICES)
        return [str(names.get(c, c)) for c in self.countries]


class Contribution(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="contributions")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="contributions")
    amount = MoneyField(_("amount"), max_digits=14, decimal_places=2, default_currency="EUR")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["donor", "programme"], name="contribution_unique")]
        verbose_name = _("donor contribution")
        verbose_name_plural = _("donor contributions")

    def __str__(self):
        return f"{self.donor}: {self.amount}"


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    REVIEWING = "reviewing", _("Under review")
    DECIDED = "decided", _("Decided")
    ARCHIVED = "archived", _("Archived")
    CANCELLED = "cancelled", _("Cancelled")


class Call(Translated, ConcurrentTransitionMixin, models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="calls")
    code = models.SlugField(_("code"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    title_uk = models.CharField(_("title (Ukrainian)"), max_length=200, blank=True)
    title_hy = models.CharField(_("title (Armenian)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_uk = models.TextField(_("description (Ukrainian)"), blank=True)
    description_hy = models.TextField(_("description (Armenian)"), blank=True)
    envelope = MoneyField(_("envelope"), max_digits=14, decimal_places=2, default_currency="EUR")
    min_grant = models.DecimalField(_("minimum grant"), max_digits=14, decimal_places=2)
    max_grant = models.DecimalField(_("maximum grant"), max_digits=14, decimal_places=2)
    cofinancing_min_pct = models.DecimalField(_("minimum co-financing (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                              validators=[MinValueValidator(0), MaxValueValidator(100)])
    max_duration_months = models.PositiveSmallIntegerField(_("maximum duration (months)"), default=12)
    eligible_countries = models.JSONField(_("eligible countries"), default=list)
    eligible_org_types = models.JSONField(_("eligible organisation types"), default=list)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    reviewers_per_application = models.PositiveSmallIntegerField(_("reviewers per application"), default=2,
                                                                 validators=[MinValueValidator(1)])
    divergence_threshold = models.DecimalField(_("divergence threshold (points)"), max_digits=5, decimal_places=2, default=Decimal("3"))
    overall_threshold = models.DecimalField(_("overall threshold"), max_digits=6, decimal_places=2, default=Decimal("10"))
    blind_review = models.BooleanField(_("blind review"), default=False)
    flexibility_pct = models.DecimalField(_("budget flexibility between headings (%)"), max_digits=5, decimal_places=2, default=Decimal("25"))
    state = FSMField(_("state"), default=CallState.DRAFT, choices=CallState.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline"]
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="call_code_unique"),
            models.CheckConstraint(condition=models.Q(deadline__gt=models.F("opens_at")), name="call_deadline_after_opening"),
            models.CheckConstraint(condition=models.Q(max_grant__gte=models.F("min_grant")), name="call_grant_range_ordered"),
        ]

    def __str__(self):
        return self.translated("title")

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


class Criterion(Translated, models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=200)
    name_uk = models.CharField(_("name (Ukrainian)"), max_length=200, blank=True)
    name_hy = models.CharField(_("name (Armenian)"), max_length=200, blank=True)
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
        return self.translated("name")
