from django import forms

from core.forms import TextCleaning
from workers.models import Delivery
from workers.notifications import KINDS


class PreferencesForm(TextCleaning, forms.Form):
    """One choice per configurable kind of notification."""

    def __init__(self, *args, preferences: dict[str, str], groups: list[tuple[str, list[str]]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        shown = [k for _label, kinds in groups for k in kinds] if groups is not None else list(preferences)
        self.groups = groups or []
        for kind in shown:
            mode = preferences[kind]
            self.fields[kind] = forms.ChoiceField(
                label=KINDS[kind].label_text(), choices=Delivery.choices, initial=mode, widget=forms.Select
            )

    def grouped(self):
        """(heading, bound fields) per role, for the page's fieldsets."""
        return [(label, [self[k] for k in kinds]) for label, kinds in self.groups]
