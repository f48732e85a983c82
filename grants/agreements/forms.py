"""Forms for grant agreements, budgets, signature, tranches, payments and exchange rates.

Forms only parse; the services decide and their ValidationErrors land on the fields."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LocalDecimalField, TextCleaning


class ReasonForm(TextCleaning, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, required=False, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label:
            self.fields["reason"].label = label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


def _amount_field(label, **kwargs):
    return LocalDecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        **kwargs,
    )


class GrantTermsForm(TextCleaning, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The grant cannot end before it starts."))
        return data


class BudgetForm(TextCleaning, forms.Form):
    """One amount per approved budget line (`line_<id>`), and why, for a change after signature."""

    reason = forms.CharField(
        label=_("Why the budget changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required when a heading moves beyond the flexibility limit: the change then "
            "becomes an amendment for the programme manager to approve."
        ),
    )

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


class PublicationForm(TextCleaning, forms.Form):
    withhold_recipient = forms.BooleanField(
        label=_("Withhold the recipient's name in the public register and open data"), required=False
    )
    withhold_reason = forms.CharField(
        label=_("Why"), max_length=300, required=False, help_text=_("e.g. the grantee works under threat")
    )
