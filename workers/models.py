"""The outbox: one row per message, written in the transaction of the change that causes it.

A row is unique per kind, object, recipient and key (the audit sequence of a transition, or the
due date of a reminder), so writing it twice — a sweep run twice, two workers at once, a
redelivered task — leaves one row, and one row is one e-mail."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    """How one kind of message reaches one person; NotificationPreference.mode holds the choice."""

    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("In a daily digest")
    OFF = "off", _("Only in the app")


class Notification(models.Model):
    kind = models.CharField(_("kind"), max_length=60)
    # Indexed by notification_inbox (recipient, -created_at): a second index would only slow the sweep's inserts.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(max_length=8, default="en")
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    key = models.CharField(max_length=64, help_text="due date for reminders, audit sequence for transitions")
    context = models.JSONField(default=dict, blank=True)
    # Decided when the row is written, from the recipient's preference for this kind: the relay
    # e-mails "immediate" rows, the daily digest gathers "digest" rows, "off" rows stay in the app.
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    created_at = models.DateTimeField(auto_now_add=True)
    # The relay may claim the row from this moment: a claim moves it a lease ahead (a relay that
    # died leaves its unconfirmed rows to be claimed again after the lease), a failure moves it
    # by a back-off. Set by the database's clock, the one the relay claims by (a row written a
    # moment "ahead" by a process clock would wait for the database to catch up).
    available_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # For a "digest" row: the daily digest e-mail that carried it.
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="items", db_index=False
    )  # indexed where set (notification_digest_items)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "email", "key"], name="notification_once"
            ),
        ]
        indexes = [
            # What the relay claims: small, whatever the size of the history.
            models.Index(
                fields=["available_at"],
                name="notification_to_send",
                condition=models.Q(sent_at__isnull=True, delivery="immediate"),
            ),
            models.Index(
                fields=["recipient"],
                name="notification_digest_waiting",
                condition=models.Q(sent_at__isnull=True, delivery="digest"),
            ),
            # The header's unread count and the notifications page.
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["digest"], name="notification_digest_items", condition=models.Q(digest__isnull=False)),
        ]

    def __str__(self):
        return f"{self.kind} → {self.email}"


class NotificationPreference(models.Model):
    """How a user wants one kind of message: at once, in a daily digest, or only in the app."""

    Mode = Delivery

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=60)
    mode = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self):
        return f"{self.user} — {self.kind}: {self.mode}"
