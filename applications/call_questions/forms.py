from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import TextCleaning
from core.languages import in_language, main_language, translation_codes


class AskForm(TextCleaning, forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the programme reads it. Its answer is published for every applicant, without your name."),
    )


class AnswerForm(TextCleaning, forms.Form):
    """The published question and its answer: the main language first, then every other one."""

    def __init__(self, *args, question=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, rows in (("question", _("Question as published"), 3), ("answer", _("Answer"), 5)):
            main = f"{name}_{main_language()}"
            self.fields[name] = forms.CharField(
                label=in_language(label, main_language()),
                required=False,
                max_length=8000,
                widget=forms.Textarea(attrs={"rows": rows, "lang": main_language()}),
                initial=getattr(question, main, "") if question else "",
            )
            for code in translation_codes():
                column = f"{name}_{code}"
                self.fields[column] = forms.CharField(
                    label=in_language(label, code),
                    required=False,
                    max_length=8000,
                    widget=forms.Textarea(attrs={"rows": 2, "lang": code}),
                    initial=(getattr(question, column, "") or "") if question else "",
                )
