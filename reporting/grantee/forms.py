from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LocalDecimalField, OneFileField, TextCleaning
from reporting.grantee.models import ReportKind
from reporting.grantee.selectors import NARRATIVE_MAX_CHARS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReportAddForm(TextCleaning, forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    period_start = forms.DateField(label=_("Period from"), widget=DateInput(), required=False)
    period_end = forms.DateField(label=_("Period to"), widget=DateInput(), required=False)


class ReportMoveForm(TextCleaning, forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    period_start = forms.DateField(label=_("Period from"), widget=DateInput(), required=False)
    period_end = forms.DateField(label=_("Period to"), widget=DateInput(), required=False)
    reason = forms.CharField(label=_("Why it moves"), required=False, max_length=500)


class IndicatorForm(TextCleaning, forms.Form):
    name = forms.CharField(label=_("Indicator"), max_length=300)
    unit = forms.CharField(label=_("Unit"), max_length=60, required=False)
    baseline = LocalDecimalField(label=_("Baseline"), max_digits=14, decimal_places=2, initial=0)
    target = LocalDecimalField(label=_("Target"), max_digits=14, decimal_places=2)


class IndicatorChangeForm(TextCleaning, forms.Form):
    """A change of a grant indicator's target: an amendment of the logframe, with its reason."""

    indicator = forms.TypedChoiceField(label=_("Indicator"), coerce=int)
    target = forms.DecimalField(label=_("New target"), max_digits=14, decimal_places=2)
    baseline = forms.DecimalField(label=_("Baseline"), max_digits=14, decimal_places=2, required=False)
    reason = forms.CharField(label=_("Why it changes"), max_length=1000)

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(i.pk, i.name) for i in indicators]


class DocumentForm(TextCleaning, forms.Form):
    file = OneFileField(
        label=_("Supporting document"), help_text=_("PDF, image (PNG, JPEG) or office document; at most 10 MB.")
    )
    indicator = forms.TypedChoiceField(
        label=_("Evidence for the indicator"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", "—"), *((i.pk, i.name) for i in indicators)]
        if not indicators:
            del self.fields["indicator"]


class DecisionForm(TextCleaning, forms.Form):
    comment = forms.CharField(
        label=_("Comment to the grantee"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class ReportForm(TextCleaning, forms.Form):
    """The grantee's part of a report: narrative sections, spending per approved budget line,
    actual values of the indicators. Built for one report's lines and indicators."""

    version = forms.IntegerField(widget=forms.HiddenInput())
    # The refusals of the call's report form's answers, by field name (set by the saving view).
    typed_errors: dict | None = None

    def __init__(self, *args, sections, lines, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections, self.lines, self.indicators = sections, lines, indicators
        for section in sections:
            self.fields[f"narrative_{section['key']}"] = forms.CharField(
                label=section["label"],
                required=False,
                max_length=NARRATIVE_MAX_CHARS,
                initial=section["text"],
                widget=forms.Textarea(attrs={"rows": 5}),
            )
        for line in lines:
            self.fields[f"spent_{line.budget_line_id}"] = LocalDecimalField(
                label=_("Spent on “%(line)s”") % {"line": line.description},
                min_value=0,
                max_digits=14,
                decimal_places=2,
                required=False,
                initial=line.spent,
            )
            self.fields[f"note_{line.budget_line_id}"] = forms.CharField(
                label=_("Note on “%(line)s”") % {"line": line.description},
                required=False,
                max_length=2000,
                initial=line.note,
            )
        for row in indicators:
            ind = row["indicator"]
            self.fields[f"actual_{ind.pk}"] = LocalDecimalField(
                label=_("Actual value of “%(name)s”") % {"name": ind.name},
                max_digits=14,
                decimal_places=2,
                required=False,
                initial=row["actual"],
            )
            self.fields[f"comment_{ind.pk}"] = forms.CharField(
                label=_("Comment on “%(name)s”") % {"name": ind.name},
                required=False,
                max_length=2000,
                initial=row["comment"],
            )
            for key, label in row.get("genders", ()):
                self.fields[f"actual_{ind.pk}_{key}"] = forms.DecimalField(
                    label=_("“%(name)s”: of which %(group)s") % {"name": ind.name, "group": label},
                    min_value=0,
                    max_digits=14,
                    decimal_places=2,
                    required=False,
                    initial=row["breakdown"].get(key),
                )

    def narrative_fields(self):
        return [self[f"narrative_{s['key']}"] for s in self.sections]

    def line_fields(self):
        return [
            (line, self[f"spent_{line.budget_line_id}"], self[f"note_{line.budget_line_id}"]) for line in self.lines
        ]

    def indicator_fields(self):
        return [
            (
                row,
                self[f"actual_{row['indicator'].pk}"],
                self[f"comment_{row['indicator'].pk}"],
                [self[f"actual_{row['indicator'].pk}_{key}"] for key, _label in row.get("genders", ())],
            )
            for row in self.indicators
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "version": data["version"],
            "narrative": {s["key"]: data.get(f"narrative_{s['key']}", "") for s in self.sections},
            "expenditures": {
                line.budget_line_id: {
                    "amount_spent": data.get(f"spent_{line.budget_line_id}") or 0,
                    "note": data.get(f"note_{line.budget_line_id}", ""),
                }
                for line in self.lines
            },
            "indicators": {
                row["indicator"].pk: {
                    "actual": data.get(f"actual_{row['indicator'].pk}"),
                    "comment": data.get(f"comment_{row['indicator'].pk}", ""),
                    "breakdown": {
                        key: data.get(f"actual_{row['indicator'].pk}_{key}") for key, _label in row.get("genders", ())
                    },
                }
                for row in self.indicators
            },
        }


class IneligibleForm(TextCleaning, forms.Form):
    reason = forms.CharField(
        label=_("Why these costs are ineligible"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"ineligible_{line.budget_line_id}"] = LocalDecimalField(
                label=_("Ineligible on “%(line)s”") % {"line": line.description},
                min_value=0,
                max_digits=14,
                decimal_places=2,
                required=False,
                initial=line.ineligible,
            )

    def line_fields(self):
        return [(line, self[f"ineligible_{line.budget_line_id}"]) for line in self.lines]

    def amounts(self) -> dict:
        return {
            line.budget_line_id: self.cleaned_data.get(f"ineligible_{line.budget_line_id}") or 0 for line in self.lines
        }
