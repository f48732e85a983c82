from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import OneFileField, TextCleaning
from reporting.transparency.models import Practice


class RegisterFilterForm(TextCleaning, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    programme = forms.ChoiceField(label=_("Programme"), required=False)
    call = forms.TypedChoiceField(label=_("Call"), required=False, coerce=int, empty_value=None)
    country = forms.ChoiceField(label=_("Country"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        every: list = [("", _("All"))]
        self.fields["programme"].choices = every + [(p.code, str(p)) for p in choices["programmes"]]  # type: ignore[attr-defined]
        self.fields["call"].choices = every + [(c.pk, f"{c.programme.code.upper()} · {c}") for c in choices["calls"]]  # type: ignore[attr-defined]
        self.fields["country"].choices = every + [(code, str(name)) for code, name in choices["countries"]]  # type: ignore[attr-defined]
        self.fields["year"].choices = every + [(y, str(y)) for y in choices["years"]]  # type: ignore[attr-defined]


class ReceiptCheckForm(TextCleaning, forms.Form):
    reference = forms.CharField(label=_("Submission reference"), max_length=40, help_text=_("e.g. ADV-0007"))
    fingerprint = forms.CharField(
        label=_("Receipt fingerprint (SHA-256)"),
        max_length=80,
        help_text=_("The 64 hexadecimal characters printed on your receipt."),
    )

    def clean_fingerprint(self):
        value = "".join(self.cleaned_data["fingerprint"].split()).lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise forms.ValidationError(_("A fingerprint is 64 hexadecimal characters."))
        return value


class PracticeForm(TextCleaning, forms.ModelForm):
    class Meta:
        model = Practice
        fields = ["title", "language", "problem", "approach", "result", "contact"]
        widgets = {f: forms.Textarea(attrs={"rows": 5}) for f in ("problem", "approach", "result")}
        help_texts = {"contact": _("Who others can ask about it (name and e-mail); it is published.")}

    def _post_clean(self):
        pass  # the model is written by the service, not by the form


class PhotoForm(TextCleaning, forms.Form):
    photo = OneFileField(label=_("Photo"), help_text=_("PNG or JPEG, at most 5 MB."))
    alt_text = forms.CharField(
        label=_("Description of the photo (alt text)"),
        max_length=300,
        help_text=_("What the photo shows, for people who cannot see it."),
    )


class ChangesForm(TextCleaning, forms.Form):
    comment = forms.CharField(label=_("What should change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
