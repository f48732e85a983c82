"""Forms for applications: they parse and label; the services decide."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationType
from accounts.orgid import COUNTRY_CHOICES
from applications import uploads
from applications.models import ApplicationState
from core.forms import MultipleFileField, TextCleaning
from grants.calls.form.checklist import checklist_items
from grants.calls.forms import TIME_ZONES, ZonedDateTimeField, zoned


class AttachmentForm(TextCleaning, forms.Form):
    document = forms.ChoiceField(label=_("Which document is this?"), required=False)
    file = MultipleFileField(label=_("Files"), help_text=_("PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG."))

    def __init__(self, *args, documents=(), max_file_mb=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", _("Another supporting document"))] + [
            (str(d.pk), str(d)) for d in documents
        ]
        self.fields["file"].widget.attrs["accept"] = uploads.ACCEPT_ATTRIBUTE
        if max_file_mb:
            self.fields["file"].help_text = _("PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG, at most %(mb)s MB.") % {
                "mb": max_file_mb
            }


class EligibleForm(TextCleaning, forms.Form):
    comment = forms.CharField(
        label=_("Note for the file (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, items=None, guidance=None, **kwargs):
        """`items`: the call's checklist as (key, label); `guidance`: key -> the item's guidance."""
        super().__init__(*args, **kwargs)
        self.items = list(items) if items is not None else checklist_items()
        for key, label in self.items:
            self.fields[f"check_{key}"] = forms.BooleanField(
                label=label, required=False, help_text=(guidance or {}).get(key, "")
            )
        self.order_fields([f"check_{key}" for key, _label in self.items] + ["comment"])

    def checklist(self) -> dict:
        return {key: bool(self.cleaned_data.get(f"check_{key}")) for key, _label in self.items}


class IneligibleForm(TextCleaning, forms.Form):
    reason = forms.CharField(label=_("Reason (the applicant will read it)"), widget=forms.Textarea(attrs={"rows": 3}))


class ClarificationForm(TextCleaning, forms.Form):
    question = forms.CharField(label=_("What should the applicant clarify?"), widget=forms.Textarea(attrs={"rows": 3}))
    due = ZonedDateTimeField(label=_("Answer due by"))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES, initial=settings.TIME_ZONE)

    def clean(self):
        data = super().clean()
        if data.get("due"):
            data["due"] = zoned(data["due"], data.get("time_zone"))
        return data


class AnswerForm(TextCleaning, forms.Form):
    answer = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 6}))


class ExtendForm(TextCleaning, forms.Form):
    until = ZonedDateTimeField(label=_("New deadline for this applicant"))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES, initial=settings.TIME_ZONE)
    reason = forms.CharField(
        label=_("Why does this applicant get more time?"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("until"):
            data["until"] = zoned(data["until"], data.get("time_zone"))
        return data


class WithdrawForm(TextCleaning, forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw the application? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApplicationFilterForm(TextCleaning, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Organisation, reference, title or summary."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    org_type = forms.ChoiceField(label=_("Organisation type"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_ = [("", _("Any"))]
        self.fields["state"].choices = any_ + list(ApplicationState.choices)
        self.fields["country"].choices = any_ + list(COUNTRY_CHOICES)
        self.fields["org_type"].choices = any_ + list(OrganisationType.choices)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ProposedIndicatorForm(TextCleaning, forms.Form):
    """One row of the proposed-indicators table (checked by the service, which names the row)."""

    programme_indicator = forms.TypedChoiceField(
        label=_("Contributes to"), required=False, coerce=int, empty_value=None
    )
    name = forms.CharField(label=_("Indicator"), max_length=300, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=60, required=False)
    baseline = forms.CharField(label=_("Baseline"), max_length=20, required=False)
    target = forms.CharField(label=_("Target"), max_length=20, required=False)
    means_of_verification = forms.CharField(label=_("Means of verification"), max_length=300, required=False)

    def __init__(self, *args, links=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme_indicator"].choices = [("", "—"), *links]


ProposedIndicatorFormSet = forms.formset_factory(ProposedIndicatorForm, extra=2, max_num=30)
