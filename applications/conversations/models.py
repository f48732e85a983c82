"""A thread per application and per grant (the grant's is keyed by its application: a grant is
made from exactly one), its messages and events, their files, and how far each person has read.

The thread keeps the organisation and the programme of its application so that the inbox and
visibility are read from its own row and indexes; it is referred to by model label only, since
conversations sit below grants in the import order."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ThreadScope(models.TextChoices):
    APPLICATION = "application", _("application")
    GRANT = "grant", _("grant")


class EventKind(models.TextChoices):
    """Things that happen to an application or grant and are shown in its thread."""

    CLARIFICATION_REQUESTED = "clarification_requested", _("Clarification requested")
    CLARIFICATION_ANSWERED = "clarification_answered", _("Clarification answered")
    ELIGIBLE = "eligible", _("Found eligible")
    INELIGIBLE = "ineligible", _("Found not eligible")
    DECIDED = "decided", _("Decision")
    REPORT_CHANGES_REQUESTED = "report_changes_requested", _("Changes requested to a report")
    PAYMENT_RECORDED = "payment_recorded", _("Payment made")


class Thread(models.Model):
    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="threads")
    scope = models.CharField(_("about"), max_length=20, choices=ThreadScope.choices)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey("grants.Programme", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(_("subject"), max_length=300)
    last_message_id = models.BigIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "scope"], name="thread_one_per_scope")]
        indexes = [
            models.Index(fields=["organisation", "-last_message_at"], name="thread_org_recent"),
            models.Index(fields=["programme", "-last_message_at"], name="thread_programme_recent"),
        ]
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")

    def __str__(self):
        return self.subject


class Message(models.Model):
    """A message someone wrote, or an event (`event` set) with its text (the question, the reason)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_staff = models.BooleanField(_("from the programme"), default=False)
    event = models.CharField(_("event"), max_length=40, choices=EventKind.choices, blank=True)
    body = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    bulk_key = models.CharField(max_length=40, blank=True, editable=False)  # one bulk message, many threads
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["thread", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")


class MessageAttachment(models.Model):
    """A file sent with a message: the same rules as an application's documents (by content)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    content_type = models.CharField(_("detected type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["message", "pk"]


class ThreadRead(models.Model):
    """How far one person has read one thread (the last message id they have seen)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_read_once")]
