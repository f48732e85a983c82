"""Forms for grant agreements, budgets, signature, tranches, payments and exchange rates.

Forms only parse; the services decide and their ValidationErrors land on the fields.
"""
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CURRENCIES


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


def _amount_field(label, **kwargs):
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=Decimal("0"),
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}), **kwargs)


class GrantCreateForm(forms.Form):
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput(), required=False,
                                help_text=_("Leave empty to start today."))
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput(), required=False,
                              help_text=_("Leave empty for the duration the applicant asked for (within the call's maximum)."))


class GrantTermsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The grant cannot end before it starts."))
        return data


class BudgetForm(forms.Form):
    """One amount per approved budget line (`line_<id>`), and why, for a change after signature."""

    reason = forms.CharField(label=_("Why the budget changes"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when a heading moves beyond the flexibility limit: the change then "
                                         "becomes an amendment for the programme manager to approve."))

    def __init__(self, *args, lines=(), with_reason=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = _amount_field(f"{line.heading} — {line.description}", initial=line.amount)
        if not with_reason:
            del self.fields["reason"]
        else:
            self.order_fields([f"line_{line.pk}" for line in self.lines] + ["reason"])

    def amounts(self) -> dict:
        return {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines}


class SignForm(forms.Form):
    document = forms.FileField(label=_("Signed agreement (PDF)"),
                               widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
                               help_text=_("The agreement signed by both parties, as a PDF of at most 20 MB."))
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput(), required=False,
                                help_text=_("Leave empty for today."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, required=False, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label:
            self.fields["reason"].label = label


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput(), initial=timezone.localdate)
    amount = forms.DecimalField(label=_("Amount paid"), max_digits=16, decimal_places=2, min_value=Decimal("0.01"),
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                                help_text=_("In the currency the bank actually sent."))
    currency = forms.ChoiceField(label=_("Paid currency"), choices=[(c, c) for c in CURRENCIES])
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=80,
                                     help_text=_("The transfer's unique reference; a payment is never recorded twice."))

    def clean_bank_reference(self):
        return self.cleaned_data["bank_reference"].strip()


class ExchangeRateForm(forms.Form):
    month = forms.DateField(label=_("Month"), widget=MonthInput(), input_formats=["%Y-%m", "%Y-%m-%d"],
                            help_text=_("The accounting month the rate applies to."))
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES if c != "EUR"])
    rate = forms.DecimalField(label=_("Units of the currency for 1 EUR"), max_digits=18, decimal_places=6,
                              min_value=Decimal("0.000001"),
                              widget=forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
                              help_text=_("E.g. 44.9512 for UAH: the monthly accounting rate (InforEuro)."))
