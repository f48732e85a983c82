from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import OneFileField, TextCleaning


class ImportForm(TextCleaning, forms.Form):
    file = OneFileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("The first row names the columns. Nothing is saved before you confirm the preview."),
    )

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programmes is not None:
            self.fields["programme"] = forms.ModelChoiceField(
                label=_("Programme"), queryset=programmes, empty_label=None
            )
