"""Spreadsheets of applications. Rows come only from the visibility-checked selectors and every
cell goes through core.spreadsheet (formula-safe); files are written in constant memory."""

from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.conversations.models import ThreadScope
from applications.conversations.selectors import event_summary, thread_messages, thread_of
from applications.models import BudgetLine
from core.spreadsheet import csv_streamed, xlsx_tempfile
from core.storage import content_disposition
from grants.calls.form.layout import form_load

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_ROWS = 2000  # applications read from the database cursor at a time


def call_applications_table(applications, call) -> tuple[list, Iterator[list]]:
    """One row per application (the queryset is already limited to what the user may see), read
    CHUNK_ROWS at a time from the database as the rows are consumed."""
    headers = [
        _("Reference"),
        _("State"),
        _("Organisation"),
        _("Registration identifier"),
        _("Country"),
        _("Organisation type"),
        _("Project title"),
        _("Amount requested"),
        _("Co-financing"),
        _("Currency"),
        _("Duration (months)"),
        _("Submitted at"),
        _("Individual deadline"),
        _("Reason for ineligibility"),
    ]
    # One column per question of the form (a table as readable text, one row per line); an
    # answer its conditions hide is left empty, as it is left out of what was sent.
    form = form_load(call.pk)
    questions = form.answerable
    headers += [str(q) for q in questions]
    currency = str(call.envelope.currency)

    def rows() -> Iterator[list]:
        for app in applications.iterator(chunk_size=CHUNK_ROWS):
            org = app.organisation
            yield [
                app.reference or "",
                app.get_state_display(),
                org.legal_name,
                org.registration_id,
                org.get_country_display(),
                org.get_org_type_display(),
                app.title,
                app.requested_amount,
                app.cofinancing_amount,
                currency,
                app.duration_months,
                timezone.localtime(app.submitted_at).replace(tzinfo=None) if app.submitted_at else None,
                timezone.localtime(app.deadline_extended_to).replace(tzinfo=None) if app.deadline_extended_to else None,
                app.ineligibility_reason,
                *_answers(form, questions, app.answers),
            ]

    return headers, rows()


def _answers(form, questions, answers) -> list[str]:
    shown = dict(form.answer_rows(answers))
    return [shown.get(q, "") for q in questions]


def application_table(app, form) -> tuple[list, list]:
    """One application as a two-column sheet: its fields, answers and budget lines."""
    content = app.submitted_content or {}
    headers = [_("Field"), _("Value")]
    rows = [
        [_("Reference"), app.reference or ""],
        [_("State"), app.get_state_display()],
        [_("Organisation"), app.organisation.legal_name],
        [_("Project title"), app.title],
        [_("Summary"), app.summary],
        [_("Amount requested"), app.requested_amount],
        [_("Co-financing"), app.cofinancing_amount],
        [_("Duration (months)"), app.duration_months],
    ]
    if content:
        rows.append([_("SHA-256 of the submitted content"), app.receipt_sha256])
        for answer in content.get("answers", []):
            rows.append([answer["question"], answer.get("text", answer["answer"])])
        for line in content.get("budget", []):
            rows.append(
                [
                    f"{_('Budget')}: {line['heading_name']}",
                    f"{line['description']}: {line['units']} × {line['unit_cost']} = {line['total']}",
                ]
            )
    else:
        for q, text in form.answer_rows(app.answers):
            rows.append([q.text, text])
        for line in BudgetLine.objects.filter(application=app).select_related("heading").order_by("position"):
            rows.append(
                [
                    f"{_('Budget')}: {line.heading.name}",
                    f"{line.description}: {line.units} × {line.unit_cost} = {line.total}",
                ]
            )
    # The thread: this export's readers (the organisation's members, the programme's managers)
    # are the thread's readers.
    thread = thread_of(app, ThreadScope.APPLICATION)
    for message in thread_messages(thread):
        who = (message.author.full_name or message.author.email) if message.author else "Hromada"
        what = message.get_event_display() if message.event else _("Message")
        text = "\n".join(part for part in (event_summary(message), message.body) if part)
        files = ", ".join(a.original_name for a in message.attachments.all())
        rows.append(
            [
                f"{what} · {timezone.localtime(message.created_at):%Y-%m-%d %H:%M} · {who}",
                f"{text}\n[{files}]" if files else text,
            ]
        )
    return headers, rows


def response(fmt: str, headers, rows, sheet_title: str, filename: str) -> HttpResponseBase:
    """The file as a download in constant memory: CSV streamed row by row, XLSX written to a
    temporary file first (a write-only workbook)."""
    if fmt == "csv":
        streamed = StreamingHttpResponse(csv_streamed(headers, rows), content_type=FORMATS["csv"])
        streamed["Content-Disposition"] = content_disposition(filename)
        return streamed
    workbook = FileResponse(xlsx_tempfile(headers, rows, sheet_title=sheet_title), content_type=FORMATS["xlsx"])
    workbook["Content-Disposition"] = content_disposition(filename)
    return workbook
