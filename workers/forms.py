from django import forms

from core.forms import TextCleaning
from workers.models import Delivery
from workers.notifications import KINDS


class PreferencesForm(TextCleaning, forms.Form):
    """One choice per configurable kind of notification."""

    def __init__(self, *args, preferences: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, mode in preferences.items():
            self.fields[kind] = forms.ChoiceField(
                label=KINDS[kind].label_text(), choices=Delivery.choices, initial=mode, widget=forms.Select
            )
