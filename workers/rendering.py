"""A notification in words: its subject and body in a given language (the recipient's for
e-mail, the reader's for the notifications page), from the row's context alone — no queries,
except the items a daily digest carries."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.formatting import moment_text, number_text
from workers.mail import html_render, site_name, text_as_html, unsubscribe_url
from workers.notifications import KINDS, Kind


class _Blanks(dict):
    """Formatting context that shows a missing value as "…" instead of failing the message."""

    def __missing__(self, key):
        return "…"


def when_format(value: str) -> str:
    """An ISO date or time from a context, in the active language and time zone."""
    if not isinstance(value, str):
        return value
    if len(value) == 10:
        day = parse_date(value)
        return formats.date_format(day, "DATE_FORMAT") if isinstance(day, date) else value
    moment = parse_datetime(value)
    if not isinstance(moment, datetime):
        return value
    if timezone.is_naive(moment):  # SQLite's JSON holds naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment_text(moment)  # "4 Dec 2026, 17:00 (Kyiv)"


AMOUNTS = ("amount", "converted")  # context values that are money: grouped the language's way


def amount_format(value: object) -> object:
    """ "16000.00" from a context as the active language writes it: "16,000.00", "16 000,00"."""
    try:
        return number_text(Decimal(str(value)), 2)
    except (InvalidOperation, ValueError):
        return value


def context_localise(kind: Kind, context: dict, language: str) -> dict:
    """`x_uk`/`x_hy` for `x` in that language, dates and codes in words. Call inside override()."""
    lang = (language or "en")[:2]
    out = dict(context)
    if lang != "en":
        for name in context:
            variant = context.get(f"{name}_{lang}")
            if variant:
                out[name] = variant
    for name in kind.dates:
        if name in out:
            out[name] = when_format(out[name])
    for name in AMOUNTS:
        if name in out:
            out[name] = amount_format(out[name])
    for name, words in (kind.codes or {}).items():
        if out.get(name) in words:
            out[name] = str(words[out[name]])
    return out


def subject_render(kind: Kind, context: dict) -> str:
    template = kind.subject
    offset = context.get("offset")
    if kind.subject_overdue and isinstance(offset, int) and offset >= 0:
        template = kind.subject_overdue
    values = _Blanks({k: v for k, v in context.items() if isinstance(v, str | int)})
    return str(template % values)  # a plural subject (ngettext_lazy) picks its form from the count it names


def notification_subject(n, language: str | None = None) -> str:
    kind = KINDS.get(n.kind)
    if kind is None:
        return n.kind
    language = language or n.language
    with translation.override(language):
        return subject_render(kind, context_localise(kind, n.context, language))


def digest_items(n, language: str) -> list[dict]:
    """The messages a daily digest carries, each as its subject and link, in `language`."""
    items = []
    for item in n.items.order_by("created_at", "pk"):
        items.append(
            {
                "subject": notification_subject(item, language),
                "path": item.context.get("path", ""),
                "created_at": item.created_at,
            }
        )
    return items


@dataclass
class Email:
    subject: str
    text: str
    html: str
    unsubscribe: str  # the one-click URL, or "" for what cannot be stopped


def notification_unsubscribable(n) -> bool:
    """Digests, reminders and alerts a person chose to get (or may stop) — never account mail."""
    kind = KINDS.get(n.kind)
    return bool(n.recipient_id) and kind is not None and (kind.configurable or n.kind == "daily_digest")


def _why(kind: Kind, name: str) -> str:
    if name == "daily_digest":
        return _("You receive this daily digest because you chose to get some notifications once a day.")
    if kind.configurable:
        return _("You receive this e-mail because “%(label)s” is sent to you by e-mail.") % {"label": kind.label_text()}
    return _(
        "You receive this e-mail because it concerns your account or something you must act on; it cannot be "
        "switched off."
    )


def notification_email(n, language: str | None = None, time_zone: str | None = None) -> Email:
    """The whole message in the recipient's language and time zone: subject, text part with the
    footer saying why it was sent, HTML part (the kind's template, or the shared layout showing
    the text) and the unsubscribe URL where there is one."""
    kind = KINDS[n.kind]
    language = language or n.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(time_zone or settings.TIME_ZONE):
        context = context_localise(kind, n.context, language)
        if n.kind == "daily_digest":
            context["items"] = digest_items(n, language)
            context["count"] = len(context["items"])
        subject = subject_render(kind, context)
        base = {**context, "site_url": settings.SITE_URL, "subject": subject}
        main = render_to_string(kind.template, base).rstrip()
        unsubscribe = unsubscribe_url(n.recipient_id, n.kind) if notification_unsubscribable(n) else ""
        footer = {
            "why": _why(kind, n.kind),
            "preferences_url": f"{settings.SITE_URL}/notifications/preferences/",
            "unsubscribe_url": unsubscribe,
        }
        text = f"{main}\n\n{render_to_string('workers/email/_footer.txt', footer)}"
        path = context.get("path")
        action_url = f"{settings.SITE_URL}{path}" if isinstance(path, str) and path.startswith("/") else ""
        html = html_render(
            [f"workers/email/html/{n.kind}.html", "workers/email/html/_layout.html"],
            {
                **base,
                **footer,
                "language": language,
                "site_name": site_name(),
                "body_html": mark_safe(text_as_html(main, drop=(action_url,))),  # escaped by text_as_html
                "action_url": action_url,
                "action_label": _("Open in Hromada"),
            },
        )
    return Email(subject, text, html, unsubscribe)


def notification_render(n, language: str | None = None, time_zone: str | None = None) -> tuple[str, str]:
    """Subject and text part."""
    email = notification_email(n, language, time_zone)
    return email.subject, email.text
