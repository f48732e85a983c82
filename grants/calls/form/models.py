"""The forms of a call: sections holding typed questions, the screening checklist, and the log
of changes a frozen form received (wording fixes), told to drafts started before them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FormPurpose(models.TextChoices):
    APPLICATION = "application", _("Application form")
    ELIGIBILITY = "eligibility", _("Eligibility check")
    INTERIM = "interim", _("Interim report form")
    FINAL = "final", _("Final report form")


class SectionKind(models.TextChoices):
    QUESTIONS = "questions", _("Questions")
    BUDGET = "budget", _("Budget table")


class QuestionKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    AMOUNT = "amount", _("Amount of money")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    YES_NO = "yes_no", _("Yes or no")
    EMAIL = "email", _("E-mail address")
    URL = "url", _("Web address")
    FILE = "file", _("File")
    TABLE = "table", _("Table")


class FormSection(models.Model):  # type: ignore[django-manager-missing]
    """A page of a call's form: a title, guidance, and the questions in it (or the budget table).
    A condition on an earlier answer shows or hides the whole section."""

    call = models.ForeignKey("grants.Call", on_delete=models.CASCADE, related_name="form_sections")
    purpose = models.CharField(_("form"), max_length=12, choices=FormPurpose.choices, default=FormPurpose.APPLICATION)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=SectionKind.choices, default=SectionKind.QUESTIONS)
    title = models.CharField(_("title"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True)
    # {"question": id, "op": "equals"|"in"|"yes"|"no"|"above"|"below", "value": …} or {}
    condition = models.JSONField(_("shown only when"), default=dict, blank=True)

    class Meta:
        ordering = ["call", "purpose", "position", "pk"]
        verbose_name = _("form section")
        verbose_name_plural = _("form sections")
        indexes = [models.Index(fields=["call", "purpose", "position"], name="section_call_purpose")]

    def __str__(self):
        return self.title


class Question(models.Model):  # type: ignore[django-manager-missing]
    """One question of a call's form. Its answer is stored under its id in the answers of the
    draft (or report); `options` holds what its kind needs (see grants.calls.form.answers)."""

    call = models.ForeignKey("grants.Call", on_delete=models.CASCADE, related_name="questions")
    purpose = models.CharField(_("form"), max_length=12, choices=FormPurpose.choices, default=FormPurpose.APPLICATION)
    section = models.ForeignKey(FormSection, null=True, blank=True, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    kind = models.CharField(_("type"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.LONG_TEXT)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.TextField(_("guidance"), blank=True)
    max_chars = models.PositiveIntegerField(_("character limit"), default=3000)
    required = models.BooleanField(_("required"), default=True)
    # Answers a blind reviewer never sees (the organisation's name, staff, partners).
    identifying = models.BooleanField(_("identifying"), default=False)
    # choices [{"value", "label": {lang: text}}], display, min, max, unit, min_picks, max_picks,
    # columns [{"key", "label": {lang: text}, "kind", "total"}], max_rows, file_types, max_mb,
    # accept (eligibility: the answers that qualify).
    options = models.JSONField(_("options"), default=dict, blank=True)
    condition = models.JSONField(_("shown only when"), default=dict, blank=True)
    # A file question is a document slot: its attachments point at this row.
    document = models.OneToOneField(
        "grants.RequiredDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="question"
    )

    class Meta:
        ordering = ["call", "position"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["call", "purpose", "position"], name="question_call_purpose")]

    def __str__(self):
        return self.text


class ChecklistItem(models.Model):  # type: ignore[django-manager-missing]
    """An item of the call's screening checklist, ticked by a programme manager before an
    application is marked eligible. `key` is what the audit event records (never translated)."""

    call = models.ForeignKey("grants.Call", on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("item"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("screening checklist")
        constraints = [models.UniqueConstraint(fields=["call", "key"], name="checklist_key_unique")]

    def __str__(self):
        return self.label


class FormChange(models.Model):
    """A wording fix made to a frozen form (or any change to a published one): drafts started
    before it are told what changed."""

    call = models.ForeignKey("grants.Call", on_delete=models.CASCADE, related_name="form_changes")
    purpose = models.CharField(max_length=12, choices=FormPurpose.choices, default=FormPurpose.APPLICATION)
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    section = models.ForeignKey(FormSection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # {"field": "text"|"help_text"|…, "before": …, "after": …}
    change = models.JSONField(default=dict)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["call", "changed_at"], name="form_change_call")]
