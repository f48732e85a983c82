"""Forms for grant agreements, budgets, signature, tranches, payments and exchange rates.

Forms only parse; the services decide and their ValidationErrors land on the fields."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import LocalDecimalField, OneFileField, TextCleaning
from grants.agreements.forms import DateInput, MonthInput
from grants.calls.models import CURRENCIES


class GrantCreateForm(TextCleaning, forms.Form):
    starts_on = forms.DateField(
        label=_("Starts on"),
        widget=DateInput(),  # type: ignore[no-untyped-call]
        required=False,
        help_text=_("Leave empty to start today."),
    )
    ends_on = forms.DateField(
        label=_("Ends on"),
        widget=DateInput(),  # type: ignore[no-untyped-call]
        required=False,
        help_text=_("Leave empty for the duration the applicant asked for (within the call's maximum)."),
    )


class SignForm(TextCleaning, forms.Form):
    document = OneFileField(
        label=_("Signed agreement (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
        help_text=_("The agreement signed by both parties, as a PDF of at most 20 MB."),
    )
    signed_on = forms.DateField(
        label=_("Signed on"),
        widget=DateInput(),  # type: ignore[no-untyped-call]
        required=False,
        help_text=_("Leave empty for today."),
    )


class PaymentForm(TextCleaning, forms.Form):
    paid_on = forms.DateField(
        label=_("Paid on"),
        widget=DateInput(),  # type: ignore[no-untyped-call]
        initial=timezone.localdate,
    )
    amount = LocalDecimalField(
        label=_("Amount paid"),
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("In the currency the bank actually sent."),
    )
    currency = forms.ChoiceField(label=_("Paid currency"), choices=[(c, c) for c in CURRENCIES])
    bank_reference = forms.CharField(
        label=_("Bank reference"),
        max_length=80,
        help_text=_("The transfer's unique reference; a payment is never recorded twice."),
    )

    def clean_bank_reference(self) -> str:
        reference: str = self.cleaned_data["bank_reference"].strip()
        return reference


class ExchangeRateForm(TextCleaning, forms.Form):
    month = forms.DateField(
        label=_("Month"),
        widget=MonthInput(),  # type: ignore[no-untyped-call]
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("The accounting month the rate applies to."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES if c != "EUR"])
    rate = LocalDecimalField(
        label=_("Units of the currency for 1 EUR"),
        max_digits=18,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        help_text=_("E.g. 44.9512 for UAH: the monthly accounting rate (InforEuro)."),
    )
