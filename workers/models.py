"""The outbox: one row per message, written in the transaction of the change that causes it."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    kind = models.CharField(_("kind"), max_length=60)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications")
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(max_length=8, default="en")
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    key = models.CharField(max_length=64, help_text="due date for reminders, audit sequence for transitions")
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_type", "object_id", "email", "key"], name="notification_once"),
        ]
        indexes = [models.Index(fields=["sent_at", "attempts"], name="notification_pending")]

    def __str__(self):
        return f"{self.kind} → {self.email}"


class NotificationPreference(models.Model):
    """How a user wants one kind of message: at once, or in a daily digest."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DIGEST = "digest", _("In a daily digest")
        OFF = "off", _("Only in the app")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=60)
    mode = models.CharField(_("delivery"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]
