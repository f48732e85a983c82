"""Forms for programmes and calls. They parse and label; the services decide."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationType
from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from core.forms import LocalDecimalField, TextCleaning
from core.languages import main_language_texts, main_text
from grants.calls.models import CURRENCIES, Call, Donor, HeadingKind, Programme, ProgrammeIndicator, TrancheCondition
from grants.calls.team import INVITED_ROLES

TIME_ZONES = [
    ("Europe/Kyiv", _("Kyiv")),
    ("Asia/Yerevan", _("Yerevan")),
    ("Asia/Tbilisi", _("Tbilisi")),
    ("Europe/Chisinau", _("Chișinău")),
    ("Asia/Baku", _("Baku")),
    ("Europe/Minsk", _("Minsk")),
    ("Europe/Brussels", _("Brussels")),
    ("UTC", "UTC"),
]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ZonedDateTimeField(forms.DateTimeField):
    """A wall-clock time read in the time zone chosen next to it (see `zoned`), never the server's."""

    widget = LocalDateTimeInput

    def to_python(self, value):
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value.strip()).replace(tzinfo=None, second=0, microsecond=0)
            except ValueError:
                pass
        value = super().to_python(value)
        return timezone.make_naive(value) if value is not None and timezone.is_aware(value) else value

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
        return super().prepare_value(value)


def zoned(value: datetime | None, zone: str) -> datetime | None:
    """The naive wall-clock `value` in `zone`, as an aware datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone or settings.TIME_ZONE))


class ProgrammeForm(TextCleaning, forms.ModelForm):
    budget_amount = LocalDecimalField(label=_("Budget"), max_digits=14, decimal_places=2, min_value=Decimal("0"))
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial="EUR")
    countries = forms.MultipleChoiceField(
        label=_("Countries"), choices=PROGRAMME_COUNTRY_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Programme
        fields = ["code", "title", "description", "starts_on", "ends_on", "countries"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        main_language_texts(self)
        if self.instance.pk:
            self.fields["budget_amount"].initial = self.instance.budget.amount
            self.fields["currency"].initial = self.instance.budget.currency
            self.fields["currency"].disabled = True
            self.fields["code"].disabled = True

    def validate_unique(self):
        pass  # the service reports a duplicate code on the field


class ContributionForm(TextCleaning, forms.Form):
    donor = forms.ModelChoiceField(label=_("Donor"), queryset=Donor.objects.all(), required=False)
    amount = LocalDecimalField(
        label=_("Contribution"), max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("donor") and data.get("amount") is None:
            self.add_error("amount", _("Enter the donor's contribution."))
        return data


ContributionFormSet = forms.formset_factory(ContributionForm, extra=2, max_num=20)


# DAC 5-digit sectors (IATI vocabulary 1) of governance and civil-society calls.
DAC_SECTORS = [
    ("15110", _("15110 Public sector policy and administrative management")),
    ("15113", _("15113 Anti-corruption organisations and institutions")),
    ("15130", _("15130 Legal and judicial development")),
    ("15150", _("15150 Democratic participation and civil society")),
    ("15151", _("15151 Elections")),
    ("15153", _("15153 Media and free flow of information")),
    ("15160", _("15160 Human rights")),
    ("15170", _("15170 Women's rights organisations and movements")),
    ("15185", _("15185 Local government")),
]


class CallForm(TextCleaning, forms.ModelForm):
    envelope_amount = LocalDecimalField(
        label=_("Envelope"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=_("The total of all grants of this call, in the programme's currency."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone of the opening time and deadline"), choices=TIME_ZONES, initial=settings.TIME_ZONE
    )
    opens_at = ZonedDateTimeField(label=_("Opens at"))
    deadline = ZonedDateTimeField(label=_("Deadline"), help_text=_("Submissions are refused from this minute on."))
    eligible_countries = forms.MultipleChoiceField(
        label=_("Eligible countries"),
        choices=PROGRAMME_COUNTRY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    eligible_org_types = forms.MultipleChoiceField(
        label=_("Eligible organisation types"),
        choices=OrganisationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Call
        fields = [
            "code",
            "title",
            "description",
            "min_grant",
            "max_grant",
            "cofinancing_min_pct",
            "max_duration_months",
            "indirect_max_pct",
            "flexibility_pct",
            "eligible_countries",
            "eligible_org_types",
            "opens_at",
            "deadline",
            "max_file_mb",
            "max_total_mb",
            "reviewers_per_application",
            "divergence_threshold",
            "overall_threshold",
            "blind_review",
            "review_comment_min_chars",
            "review_days",
            "reviewers_not_from_applicant_country",
            "sector",
            "indicators",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "indicators": forms.CheckboxSelectMultiple,
            "sector": forms.Select(choices=[("", "—"), *DAC_SECTORS]),
        }

    two_stage = forms.BooleanField(
        label=_("Two stages: concept notes first, then full applications from a shortlist"),
        required=False,
        help_text=_(
            "PRAG's restricted procedure. A second call, the full applications' stage, is created as a draft "
            "with the same terms: give it its own questions, documents and rubric; it opens when you invite "
            "the shortlist."
        ),
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        main_language_texts(self)
        self.programme = programme
        if self.instance.pk:
            del self.fields["two_stage"]  # chosen when the call is created
        if programme.countries:
            names = dict(PROGRAMME_COUNTRY_CHOICES)
            self.fields["eligible_countries"].choices = [(c, names.get(c, c)) for c in programme.countries]  # type: ignore[attr-defined]
        self.fields["envelope_amount"].label = _("Envelope (%(currency)s)") % {"currency": programme.budget.currency}
        indicators = self.fields["indicators"]
        indicators.queryset = programme.indicators.all()  # type: ignore[attr-defined]
        indicators.help_text = _("The programme indicators this call's grants contribute to.")
        if self.instance.pk:
            self.fields["envelope_amount"].initial = self.instance.envelope.amount

    def clean(self):
        data = super().clean()
        zone = data.get("time_zone") or settings.TIME_ZONE
        for name in ("opens_at", "deadline"):
            if data.get(name) is not None:
                data[name] = zoned(data[name], zone)
        if data.get("opens_at") and data.get("deadline") and data["deadline"] <= data["opens_at"]:
            self.add_error("deadline", _("The deadline must be after the opening time."))
        if (
            data.get("min_grant") is not None
            and data.get("max_grant") is not None
            and data["max_grant"] < data["min_grant"]
        ):
            self.add_error("max_grant", _("The maximum grant must not be below the minimum grant."))
        return data

    def _post_clean(self):
        pass  # the model is written by the service, not by the form

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("time_zone",)}


# --- the call's template: one small formset per part ----------------------------------------


class _RowForm(TextCleaning, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def row(self) -> dict:
        return {
            k: v for k, v in self.cleaned_data.items() if k not in ("DELETE", "ORDER") and not (k == "id" and v is None)
        }


class QuestionRowForm(_RowForm):
    text = forms.CharField(label=_("Question"), max_length=500)
    help_text = forms.CharField(label=_("Guidance"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    max_chars = forms.IntegerField(label=_("Character limit"), min_value=1, max_value=100_000, initial=3000)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)


class HeadingRowForm(_RowForm):
    name = forms.CharField(label=_("Budget heading"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind of cost"), choices=HeadingKind.choices, initial=HeadingKind.DIRECT)


class DocumentRowForm(_RowForm):
    name = forms.CharField(label=_("Document"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)


class CriterionRowForm(_RowForm):
    name = forms.CharField(label=_("Criterion"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    max_score = LocalDecimalField(label=_("Maximum score"), max_digits=4, decimal_places=1, initial=Decimal("5"))
    weight = LocalDecimalField(label=_("Weight"), max_digits=5, decimal_places=2, initial=Decimal("1"))
    minimum = LocalDecimalField(label=_("Minimum (threshold)"), max_digits=4, decimal_places=1, initial=Decimal("0"))
    eliminatory = forms.BooleanField(label=_("Eliminatory"), required=False)


class TrancheRowForm(_RowForm):
    share_pct = LocalDecimalField(
        label=_("Share (%)"), max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )
    condition = forms.ChoiceField(label=_("Release condition"), choices=TrancheCondition.choices)


TEMPLATE_FORMSETS = {
    "questions": (
        _("Questions"),
        QuestionRowForm,
        ["text", "help_text", "max_chars", "required"],
    ),
    "budget_headings": (_("Budget headings"), HeadingRowForm, ["name", "kind"]),
    "required_documents": (
        _("Required documents"),
        DocumentRowForm,
        ["name", "description", "required"],
    ),
    "criteria": (
        _("Rubric"),
        CriterionRowForm,
        ["name", "description", "max_score", "weight", "minimum", "eliminatory"],
    ),
    "tranche_plan": (_("Tranche plan"), TrancheRowForm, ["share_pct", "condition"]),
}


def template_formsets(call: Call, parts: dict, data=None) -> dict:
    """One formset per template part, filled from the call's rows (`parts` from call_template)."""
    formsets = {}
    for part, (label, form_class, fields) in TEMPLATE_FORMSETS.items():
        formset_class = forms.formset_factory(form_class, extra=2, can_delete=True, can_order=True, max_num=100)
        initial = [{"id": obj.pk, **{f: main_text(obj, f) for f in fields}} for obj in parts[part]]
        formsets[part] = formset_class(data, prefix=part, initial=initial)
        formsets[part].label = label  # type: ignore[attr-defined]
    return formsets


class OverallThresholdForm(TextCleaning, forms.Form):
    overall_threshold = LocalDecimalField(
        label=_("Overall threshold (weighted total a fundable application reaches)"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0"),
    )


class CancelForm(TextCleaning, forms.Form):
    reason = forms.CharField(label=_("Why is the call cancelled?"), widget=forms.Textarea(attrs={"rows": 3}))


class ProgrammeIndicatorForm(TextCleaning, forms.ModelForm):
    disaggregation = forms.MultipleChoiceField(
        label=_("Disaggregated by"),
        choices=[("country", _("Country")), ("gender", _("Gender")), ("age", _("Age group"))],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ProgrammeIndicator
        fields = ["level", "code", "name", "unit", "baseline", "target", "disaggregation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        main_language_texts(self)
        self.fields["baseline"].required = False

    def _post_clean(self):
        pass  # the model is written by the service, not by the form


class TeamInviteForm(TextCleaning, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in INVITED_ROLES]


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in INVITED_ROLES]


class CloseEarlyForm(TextCleaning, forms.Form):
    reason = forms.CharField(
        label=_("Why does the call close early?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the call's page and sent to every organisation with a draft."),
    )


class NewDeadlineForm(TextCleaning, forms.Form):
    """A new deadline for everyone (extend, reopen), in a chosen time zone, with the reason."""

    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES, initial=settings.TIME_ZONE)
    deadline = ZonedDateTimeField(label=_("New deadline"))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent to every organisation with a draft."),
    )

    def clean(self):
        data = super().clean()
        if data.get("deadline") is not None:
            data["deadline"] = zoned(data["deadline"], data.get("time_zone") or settings.TIME_ZONE)
        return data


class CallAlertForm(TextCleaning, forms.Form):
    programme: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.none(), required=False, empty_label=_("Any programme")
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        choices=PROGRAMME_COUNTRY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: any country."),
    )
    org_types = forms.MultipleChoiceField(
        label=_("Organisation types"),
        choices=OrganisationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: any type."),
    )

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes if programmes is not None else Programme.objects.all()
