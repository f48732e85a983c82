from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import TextCleaning
from reporting.grantee.forms import DateInput


class DonorReportRequestForm(TextCleaning, forms.Form):
    programme: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Programme"), queryset=None, empty_label=None)
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period to"), widget=DateInput())
    language = forms.ChoiceField(label=_("Language of the report"), choices=settings.LANGUAGES)

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        first = programmes.first()
        if first is not None and not self.is_bound:
            self.initial.setdefault("programme", first.pk)
            self.initial.setdefault("period_start", first.starts_on)
            self.initial.setdefault(
                "period_end",
                min(first.ends_on, timezone.localdate()) if first.starts_on <= timezone.localdate() else first.ends_on,
            )
