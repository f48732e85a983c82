"""Texts of applying that exist in every UI language (django-modeltranslation): a call's published
questions and answers, in the call's languages."""

from modeltranslation.translator import TranslationOptions, register

from applications.call_questions.models import CallQuestion


@register(CallQuestion)
class CallQuestionTexts(TranslationOptions):
    fields = ("question", "answer")
