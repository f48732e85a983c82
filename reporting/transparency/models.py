"""Practices: a grantee's short story of what worked (in the spirit of the Council of Europe's
BePART platform), approved by a manager and then published with the grant's public page."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class PracticeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    PUBLISHED = "published", _("Published")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Practice(ConcurrentTransitionMixin, models.Model):
    grant = models.ForeignKey("grants.Grant", on_delete=models.CASCADE, related_name="practices")
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language of the story"), max_length=8, choices=settings.LANGUAGES, default="en")
    problem = models.TextField(_("the problem"))
    approach = models.TextField(_("what we did"))
    result = models.TextField(_("what changed"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    state = FSMField(_("state"), default=PracticeState.DRAFT, choices=PracticeState.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["state", "-published_at"], name="practice_state_published")]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self):
        return self.title

    @transition(
        field=state, source=[PracticeState.DRAFT, PracticeState.CHANGES_REQUESTED], target=PracticeState.SUBMITTED
    )
    def submit(self):
        pass

    @transition(field=state, source=PracticeState.SUBMITTED, target=PracticeState.PUBLISHED)
    def publish(self):
        pass

    @transition(field=state, source=PracticeState.SUBMITTED, target=PracticeState.CHANGES_REQUESTED)
    def request_changes(self):
        pass


class PracticePhoto(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="photos")
    stored_name = models.CharField(max_length=120, unique=True, editable=False)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    alt_text = models.CharField(_("description of the photo (alt text)"), max_length=300)
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["practice", "position", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
