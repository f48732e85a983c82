"""Forms of the review pages. They only parse; the services decide."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from applications.review.models import Recommendation
from core.forms import LocalDecimalField, TextCleaning


class NoConflictForm(TextCleaning, forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I declare that I have no conflict of interest with this application: no family, professional, "
            "financial or other tie to the applicant, and no other reason that could affect my impartiality. "
            "I will keep its content confidential."
        )
    )


class ConflictForm(TextCleaning, forms.Form):
    reason = forms.CharField(
        label=_("Describe the conflict of interest"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ScoreForm(TextCleaning, forms.Form):
    """One score and one comment per criterion, a recommendation and an overall comment."""

    def __init__(self, *args, criteria, min_chars, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for c in self.criteria:
            self.fields[f"score_{c.pk}"] = LocalDecimalField(
                label=_("Score for “%(criterion)s” (0–%(max)s)") % {"criterion": c, "max": c.max_score},
                required=False,
                min_value=Decimal("0"),
                max_value=c.max_score,
                decimal_places=1,
                max_digits=4,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "data-weight": str(c.weight),
                        "data-score-input": "",
                    }
                ),
            )
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": c},
                required=False,
                help_text=_("At least %(n)s characters.") % {"n": min_chars},
                widget=forms.Textarea(attrs={"rows": 4, "data-min-chars": str(min_chars)}),
            )
        self.fields["recommendation"] = forms.ChoiceField(
            label=_("Recommendation"), required=False, choices=[("", "—")] + list(Recommendation.choices)
        )
        self.fields["overall_comment"] = forms.CharField(
            label=_("Overall comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )

    def rows(self):
        """(criterion, score field, comment field) for the template."""
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "scores": {
                c.pk: {"score": data.get(f"score_{c.pk}"), "comment": data.get(f"comment_{c.pk}", "")}
                for c in self.criteria
            },
            "recommendation": data.get("recommendation", ""),
            "overall_comment": data.get("overall_comment", ""),
        }

    @classmethod
    def initial_from(cls, review, scores):
        initial = {"recommendation": review.recommendation, "overall_comment": review.overall_comment}
        for criterion_id, score in scores.items():
            initial[f"score_{criterion_id}"] = score.score
            initial[f"comment_{criterion_id}"] = score.comment
        return initial


class ReturnForm(TextCleaning, forms.Form):
    comment = forms.CharField(label=_("What should the reviewer revise?"), widget=forms.Textarea(attrs={"rows": 3}))


class ExtendForm(TextCleaning, forms.Form):
    due_at = forms.DateTimeField(
        label=_("New due date"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the site's time zone."),
    )
    reason = forms.CharField(label=_("Why more time?"), max_length=500)


class ConsensusForm(TextCleaning, forms.Form):
    score = LocalDecimalField(label=_("Consensus score"), min_value=Decimal("0"), decimal_places=2, max_digits=7)
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How the panel reached this score; it is kept in the audit trail."),
    )


class AssignForm(TextCleaning, forms.Form):
    """The reviewer chosen from the search; the service decides whether they may review it."""

    reviewer = forms.IntegerField(label=_("Reviewer"), min_value=1)


class ReviewerSearchForm(TextCleaning, forms.Form):
    q = forms.CharField(
        label=_("Find a reviewer"),
        required=False,
        max_length=100,
        help_text=_("Name, e-mail address, expertise or country code."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class DecisionForm(TextCleaning, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("award", _("Award")), ("put_on_reserve", _("Reserve list")), ("reject", _("Reject"))],
    )
    amount = LocalDecimalField(
        label=_("Amount to award"),
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=14,
        help_text=_("Leave empty to award the amount requested; never more."),
    )
    note = forms.CharField(
        label=_("Note to the applicant (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewerInviteForm(TextCleaning, forms.Form):
    programme = forms.TypedChoiceField(label=_("Programme"), coerce=int)
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    expertise = forms.CharField(
        label=_("Expertise areas"),
        required=False,
        help_text=_("Separated by commas, e.g. open contracting, media freedom."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages the reviewer reads"),
        required=False,
        choices=settings.LANGUAGES
        + [("ru", _("Russian")), ("ka", _("Georgian")), ("ro", _("Romanian")), ("az", _("Azerbaijani"))],
        widget=forms.CheckboxSelectMultiple,
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries the reviewer is from or works in"),
        required=False,
        choices=PROGRAMME_COUNTRY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.pk, str(p)) for p in programmes]
