"""How every e-mail of the site looks and is addressed, notifications and allauth's alike:
`multipart/alternative` with the text part first and a simple HTML part (one column, the action
as a real link styled as a button, no remote images, readable with images off), the headers
(`Content-Language`, `Auto-Submitted`, a `Message-ID` in the site's domain) and, for what a
person may stop, `List-Unsubscribe` with a signed one-click URL (RFC 8058)."""

import ipaddress
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import select_template
from django.utils.html import escape, linebreaks, urlize

UNSUBSCRIBE_SALT = "hromada.unsubscribe"


def site_name() -> str:
    return getattr(settings, "HROMADA_SITE_NAME", "Hromada")


def message_id_domain() -> str:
    """The site's own domain (SITE_URL) when it is a name, else the sender's address's domain."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    try:
        ipaddress.ip_address(host)
        host = ""
    except ValueError:
        pass
    if host and "." in host:
        return host
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "hromada.local"


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a token this site signed; None for anything else."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]


def unsubscribe_url(user_id: int, kind: str) -> str:
    return f"{settings.SITE_URL}/notifications/unsubscribe/{unsubscribe_token(user_id, kind)}/"


def text_as_html(text: str, drop: tuple[str, ...] = ()) -> str:
    """A plain-text body as HTML paragraphs with its links clickable; lines equal to one of `drop`
    (the action's URL, shown as the button) are left out."""
    lines = [line for line in text.splitlines() if line.strip() not in drop]
    return linebreaks(urlize(escape("\n".join(lines).strip()), nofollow=True), autoescape=False)


def html_render(templates: list[str], context: dict) -> str:
    return select_template(templates).render(context)


def email_compose(
    *,
    subject: str,
    text: str,
    html: str,
    to: str,
    language: str,
    message_id: str,
    unsubscribe: str = "",
    connection=None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject, text, from_email=from_email, to=[to], connection=connection, headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message
