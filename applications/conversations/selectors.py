"""Reads for the thread pages, the inbox, the API and exports."""

from django.db.models import BooleanField, Case, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.conversations.models import EventKind, Message, MessageAttachment, Thread, ThreadRead
from applications.conversations.visibility import thread_list_visible
from applications.models.application import ApplicationState


def inbox_list(user):
    """The threads the user may see that have something in them, newest unread first, then newest."""
    last_read = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user.pk).values("last_read_id")[:1]
    return (
        thread_list_visible(user)
        .filter(last_message_id__gt=0)
        .annotate(read_up_to=Coalesce(Subquery(last_read), Value(0)))
        .annotate(
            unread=Case(
                When(last_message_id__gt=Coalesce(Subquery(last_read), Value(0)), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("organisation", "application__grant")
        .order_by("-unread", "-last_message_at", "-pk")
    )


def inbox_unread_count(user) -> int:
    last_read = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user.pk).values("last_read_id")[:1]
    return (
        thread_list_visible(user)
        .filter(last_message_id__gt=0)
        .filter(Q(last_message_id__gt=Coalesce(Subquery(last_read), Value(0))))
        .count()
    )


def thread_of(application, scope: str) -> Thread | None:
    return Thread.objects.filter(application=application, scope=scope).first()


def thread_messages(thread: Thread | None):
    if thread is None:
        return Message.objects.none()
    return (
        Message.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=MessageAttachment.objects.order_by("pk")))
        .order_by("pk")
    )


def thread_last_read(thread: Thread | None, user) -> int:
    if thread is None:
        return 0
    return ThreadRead.objects.filter(thread=thread, user=user.pk).values_list("last_read_id", flat=True).first() or 0


def message_attachment_of(thread: Thread | None, attachment_id) -> MessageAttachment | None:
    if thread is None:
        return None
    try:
        return MessageAttachment.objects.filter(pk=int(attachment_id), message__thread=thread).first()
    except (TypeError, ValueError):
        return None


REPORT_WORDS = {"interim": gettext_lazy("interim report"), "final": gettext_lazy("final report")}


def event_summary(message: Message) -> str:
    """One line saying what an event was, in the reader's language, from its stored data."""
    data = message.data or {}
    if message.event == EventKind.CLARIFICATION_REQUESTED and data.get("due"):
        due = parse_datetime(data["due"])
        if due is not None:
            return _("Answer due by %(due)s") % {"due": formats.date_format(timezone.localtime(due), "DATETIME_FORMAT")}
    if message.event == EventKind.DECIDED:
        decision = data.get("decision")
        if decision == ApplicationState.AWARDED:
            return _("Awarded: %(amount)s %(currency)s") % {
                "amount": data.get("amount"),
                "currency": data.get("currency"),
            }
        if decision == ApplicationState.RESERVE:
            return _("Put on the reserve list.")
        if decision == ApplicationState.REJECTED:
            return _("Not selected for funding.")
    if message.event == EventKind.PAYMENT_RECORDED:
        paid_on = parse_date(data.get("paid_on") or "")
        return _("Tranche %(tranche)s: %(amount)s %(currency)s paid on %(date)s.") % {
            "tranche": data.get("tranche"),
            "amount": data.get("amount"),
            "currency": data.get("currency"),
            "date": formats.date_format(paid_on, "DATE_FORMAT") if paid_on else "",
        }
    if message.event == EventKind.REPORT_CHANGES_REQUESTED:
        return _("The %(report)s needs changes before it can be approved.") % {
            "report": REPORT_WORDS.get(str(data.get("report")), _("report"))
        }
    return ""
