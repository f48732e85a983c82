"""Questions about a call, asked privately by would-be applicants; the programme answers and
publishes an anonymised version on the call's page, in the call's languages, with the date
(PRAG practice: questions until `call.questions_days` before the deadline, answers published by
`call.answers_days` before it). The published question and answer are translated texts
(applications/translation.py): one column per language."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CallQuestion(models.Model):  # type: ignore[django-manager-missing]
    call = models.ForeignKey("grants.Call", on_delete=models.CASCADE, related_name="questions_asked")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_questions"
    )
    text = models.TextField(_("question"), max_length=4000)  # as asked: seen by the programme only
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    # What the call's page shows: the question reworded without who asked, and the answer.
    question = models.TextField(_("question as published"), blank=True, max_length=4000)
    answer = models.TextField(_("answer"), blank=True, max_length=8000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        indexes = [models.Index(fields=["call", "published_at"], name="callquestion_call_published")]
        verbose_name = _("question about a call")
        verbose_name_plural = _("questions about calls")

    def __str__(self):
        return self.question or self.text[:80]
