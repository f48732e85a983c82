from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from reporting.grantee.models import ReportKind
from reporting.grantee.selectors import NARRATIVE_MAX_CHARS


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"),
                           help_text=_("The first row names the columns. Nothing is saved before you confirm the preview."))

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programmes is not None:
            self.fields["programme"] = forms.ModelChoiceField(label=_("Programme"), queryset=programmes, empty_label=None)
