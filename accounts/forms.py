from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationType
from accounts.orgid import COUNTRY_CHOICES, REGISTRIES, orgid_validate
from accounts.timezones import time_zone_names
from core.forms import TextCleaning


class SignupExtraForm(TextCleaning, forms.Form):
    """Extra fields on allauth's sign-up form."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"]
        user.language = (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]
        user.save(update_fields=["full_name", "language"])


class OrganisationForm(TextCleaning, forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["legal_name", "country", "org_type", "registration_id", "website"]
        help_texts = {
            "registration_id": _(
                "In org-id form: UA-EDR-12345678 (Ukraine), AM-SRALE-… (Armenia), "
                "GE-NAPR-… (Georgia), MD-IDNO-… (Moldova), AZ-IVI-… (Azerbaijan)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—")] + list(COUNTRY_CHOICES)
        self.fields["org_type"].choices = [("", "—")] + list(OrganisationType.choices)
        self.fields["registration_id"].widget.attrs["placeholder"] = "UA-EDR-12345678"

    def clean(self):
        data = super().clean()
        country, reg = data.get("country"), data.get("registration_id")
        if country and reg:
            try:
                data["registration_id"] = orgid_validate(country, reg)
            except ValidationError as exc:
                self.add_error("registration_id", exc)
        return data

    def validate_unique(self):
        # Uniqueness is decided by the service, which reports it on the right field.
        pass


class InviteForm(TextCleaning, forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person to invite"))


class LanguageForm(TextCleaning, forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class TimeZoneForm(TextCleaning, forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        required=False,
        help_text=_("Times on the site and in e-mails are shown in it. Empty: the site's time zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", "—")] + [(name, name.replace("_", " ")) for name in time_zone_names()]
        self.fields["time_zone"].widget.attrs["data-browser-time-zone"] = ""


def registry_examples():
    return [(code, REGISTRIES[code][2]) for code, _name in COUNTRY_CHOICES]


class ApiTokenForm(TextCleaning, forms.Form):
    """How long a new API token lives."""

    expires_in = forms.TypedChoiceField(
        label=_("Expires"),
        coerce=int,
        initial=90,
        choices=[(30, _("in 30 days")), (90, _("in 90 days")), (365, _("in a year")), (0, _("never"))],
        help_text=_("A token that never expires works until you revoke it or change your password."),
    )
