"""Forms for threads: they parse and label; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications import uploads
from core.forms import MultipleFileField, TextCleaning


class MessageForm(TextCleaning, forms.Form):
    body = forms.CharField(label=_("Your message"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    upload = MultipleFileField(
        label=_("Files (optional)"), required=False, help_text=_("PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG.")
    )
    answers = forms.BooleanField(
        label=_("This message answers the clarification request"), required=False, initial=True
    )

    def __init__(self, *args, can_answer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upload"].widget.attrs["accept"] = uploads.ACCEPT_ATTRIBUTE
        if not can_answer:
            del self.fields["answers"]


class BulkMessageForm(TextCleaning, forms.Form):
    TO_CALL, TO_PROGRAMME = "call", "programme"
    to = forms.ChoiceField(
        label=_("Send to"),
        widget=forms.RadioSelect,
        choices=[
            (TO_CALL, _("Every organisation that applied to a call")),
            (TO_PROGRAMME, _("Every grantee of a programme")),
        ],
    )
    call = forms.TypedChoiceField(label=_("Call"), coerce=int, required=False)
    programme = forms.TypedChoiceField(label=_("Programme"), coerce=int, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, calls=(), programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", "—")] + [(c.pk, str(c)) for c in calls]
        self.fields["programme"].choices = [("", "—")] + [(p.pk, str(p)) for p in programmes]

    def clean(self):
        data = super().clean()
        if data.get("to") == self.TO_CALL and not data.get("call"):
            self.add_error("call", _("Choose the call."))
        if data.get("to") == self.TO_PROGRAMME and not data.get("programme"):
            self.add_error("programme", _("Choose the programme."))
        return data
