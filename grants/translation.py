"""Which texts of a programme and its calls exist in every UI language (django-modeltranslation).

Each field below gets one column per language in settings.LANGUAGES (`title_en`, `title_uk`…);
reading `call.title` gives the active language's text, English where it is missing. Forms and
services write the per-language columns by name (grants.calls.languages), never `title` itself,
whose meaning depends on the language of the request.
"""

from modeltranslation.translator import TranslationOptions, register

from grants.calls.form.models import ChecklistItem, FormSection
from grants.calls.models import (
    BudgetHeading,
    Call,
    Criterion,
    Programme,
    ProgrammeIndicator,
    Question,
    RequiredDocument,
)


@register(Programme)
class ProgrammeTexts(TranslationOptions):
    fields = ("title", "description")


@register(Call)
class CallTexts(TranslationOptions):
    fields = ("title", "description")


@register(ProgrammeIndicator)
class IndicatorTexts(TranslationOptions):
    fields = ("name",)


@register(Criterion)
class CriterionTexts(TranslationOptions):
    fields = ("name", "description")


@register(BudgetHeading)
class HeadingTexts(TranslationOptions):
    fields = ("name",)


@register(Question)
class QuestionTexts(TranslationOptions):
    fields = ("text", "help_text")


@register(RequiredDocument)
class DocumentTexts(TranslationOptions):
    fields = ("name", "description")


@register(FormSection)
class SectionTexts(TranslationOptions):
    fields = ("title", "guidance")


@register(ChecklistItem)
class ChecklistItemTexts(TranslationOptions):
    fields = ("label", "guidance")
