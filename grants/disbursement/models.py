from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grants.agreements.models import Grant
from grants.calls.models import TrancheCondition


class ExchangeRate(models.Model):
    """Monthly accounting rate (InforEuro style): 1 unit of `base` = `rate` units of `currency`."""

    month = models.DateField(_("month"), help_text=_("first day of the month"))
    base = models.CharField(_("base currency"), max_length=3, default="EUR")
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=6)
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["month", "base", "currency"], name="exchange_rate_unique"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="exchange_rate_month_start"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} 1 {self.base} = {self.rate} {self.currency}"


class TrancheState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Tranche(ConcurrentTransitionMixin, models.Model):
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tranches")
    position = models.PositiveSmallIntegerField(_("number"))
    share_pct = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    condition = models.CharField(_("release condition"), max_length=20, choices=TrancheCondition.choices)
    planned_amount = models.DecimalField(_("planned amount"), max_digits=14, decimal_places=2)
    due_amount = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2, null=True, blank=True)
    due_reason = models.TextField(_("how the amount due was set"), blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(_("state"), default=TrancheState.PLANNED, choices=TrancheState.choices, protected=True)

    class Meta:
        ordering = ["grant", "position"]
        indexes = [models.Index(fields=["state", "due_on"], name="tranche_state_due")]  # tranches waiting
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [models.UniqueConstraint(fields=["grant", "position"], name="tranche_position_unique")]

    def __str__(self) -> str:
        return f"{self.grant.number} #{self.position}"

    @transition(field=state, source=TrancheState.PLANNED, target=TrancheState.DUE)
    def make_due(self) -> None:
        pass

    @transition(field=state, source=TrancheState.DUE, target=TrancheState.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=TrancheState.APPROVED, target=TrancheState.PAID)
    def pay(self) -> None:
        pass

    @transition(field=state, source=[TrancheState.PLANNED, TrancheState.DUE], target=TrancheState.CANCELLED)
    def cancel(self) -> None:
        pass


class Payment(models.Model):
    """One payment of one tranche. The one-to-one and the unique bank reference mean a tranche
    is never paid twice and a replayed request is refused by the database itself."""

    tranche = models.OneToOneField(Tranche, on_delete=models.PROTECT, related_name="payment")
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount paid"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("paid currency"), max_length=3)
    exchange_rate = models.DecimalField(_("exchange rate used"), max_digits=18, decimal_places=6, default=Decimal("1"))
    rate_month = models.DateField(_("rate of the month"), null=True, blank=True)
    amount_programme_currency = models.DecimalField(
        _("amount in the grant's currency"), max_digits=14, decimal_places=2
    )
    bank_reference = models.CharField(_("bank reference"), max_length=80, unique=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on"]
        indexes = [models.Index(fields=["-paid_on", "-id"], name="payment_paid_on")]  # the payments list
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_programme_currency__gt=0), name="payment_converted_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference}: {self.amount} {self.currency}"
