"""Sending one message on an open connection, as cheaply as the mail server allows.

With Django's SMTP backend the message (composed by Django's EmailMessage, as everywhere) goes
out in two round trips when the server offers PIPELINING (RFC 2920, offered by every common
mail server): MAIL, RCPT and DATA together, then the content. Without PIPELINING, or for an
address that is not plain ASCII, smtplib's own sendmail is used. Other backends (console, file,
memory) get the message through their send_messages.
"""

import re
import smtplib

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

CRLF = b"\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")


def message_send(mail, message) -> None:
    """Send `message` on the open backend `mail`; raise if the server does not accept it."""
    if not isinstance(mail, SMTPBackend) or mail.connection is None:
        if not mail.send_messages([message]):
            raise smtplib.SMTPException("the mail backend did not send the message")
        return
    encoding = message.encoding or settings.DEFAULT_CHARSET
    from_addr = sanitize_address(message.from_email, encoding)
    to_addrs = [sanitize_address(addr, encoding) for addr in message.recipients()]
    smtp_send(mail.connection, from_addr, to_addrs, message.message().as_bytes(linesep="\r\n"))


def smtp_send(smtp: smtplib.SMTP, from_addr: str, to_addrs: list[str], data: bytes) -> None:
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining") or not (from_addr.isascii() and all(a.isascii() for a in to_addrs)):
        smtp.sendmail(from_addr, to_addrs, data)
        return
    commands = [f"MAIL FROM:{smtplib.quoteaddr(from_addr)}"] + [f"RCPT TO:{smtplib.quoteaddr(a)}" for a in to_addrs]
    smtp.send("".join(c + "\r\n" for c in commands + ["DATA"]))
    mail_reply = smtp.getreply()
    rcpt_replies = [smtp.getreply() for _ in to_addrs]
    data_code, data_text = smtp.getreply()
    refused = {a: r for a, r in zip(to_addrs, rcpt_replies) if r[0] not in (250, 251)}
    if data_code == 354 and (mail_reply[0] != 250 or refused):
        smtp.send(b"." + CRLF)  # a server that wants the content anyway gets an empty one, then a reset
        smtp.getreply()
    if mail_reply[0] != 250:
        smtp.rset()
        raise smtplib.SMTPSenderRefused(mail_reply[0], mail_reply[1], from_addr)
    if refused:
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(data_code, data_text)
    content = _LEADING_DOT.sub(b"..", data)
    if not content.endswith(CRLF):
        content += CRLF
    smtp.send(content + b"." + CRLF)
    code, text = smtp.getreply()
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPDataError(code, text)
